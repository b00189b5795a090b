"""The JSON API: every read endpoint, its filters, its pagination, and malformed parameters.

One store built from the shipped knowledge base serves the whole module (read-only here;
writes are in test_api_auth.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from dyadwatch.errors import StoreLockedError
from dyadwatch.present.api.app import create_app
from dyadwatch.present.api.data import StoreView
from dyadwatch.settings import Settings
from tests.unit.api_support import assert_error, curated_store, make_client

pytestmark = pytest.mark.unit

ESSAY_DAY = "2021-01-31"


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return curated_store(tmp_path_factory)


@pytest.fixture(scope="module")
def client(store_root: Path) -> Any:
    return make_client(create_app(Settings(store=store_root)), raise_server_exceptions=False)


def get(client: Any, url: str, **params: Any) -> Any:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json()


# --- status and events ---------------------------------------------------------------------------


def test_status_reports_generation_and_sources(client: Any) -> None:
    body = get(client, "/api/status")
    assert body["generation"] > 0
    assert [s["source"] for s in body["sources"]] == ["curated"]
    assert body["sources"][0]["events"] > 100
    assert body["read_access"] == "open"
    assert "events" in body["datasets"]


def test_events_page_has_totals_and_links(client: Any) -> None:
    body = get(client, "/api/events", limit=10)
    assert body["count"] == 10 == len(body["events"])
    assert body["total"] > 10
    assert body["prev"] is None
    nxt = parse_qs(urlparse(body["next"]).query)
    assert nxt["offset"] == ["10"] and nxt["limit"] == ["10"]
    ev = body["events"][0]
    assert {"event_id", "event_date", "known_at", "summary", "sources"} <= set(ev)
    assert all(set(s) == {"url", "title", "outlet", "published"} for s in ev["sources"])
    dates = [e["event_date"] for e in body["events"]]
    assert dates == sorted(dates)


def test_walking_every_page_yields_each_event_once(client: Any) -> None:
    total = get(client, "/api/events", limit=1)["total"]
    seen: list[str] = []
    url: str | None = "/api/events?limit=97"
    while url:
        body = client.get(url).json()
        seen += [e["event_id"] for e in body["events"]]
        url = body["next"]
    assert len(seen) == total == len(set(seen))
    last = client.get(f"/api/events?limit=97&offset={total - 1}").json()
    assert last["count"] == 1 and last["next"] is None and last["prev"] is not None


def test_as_of_hides_what_was_not_yet_public(client: Any) -> None:
    everything = get(client, "/api/events", limit=1000)
    then = get(client, "/api/events", as_of=ESSAY_DAY, limit=1000)
    assert 0 < then["total"] < everything["total"]
    assert all(e["known_at"][:10] <= ESSAY_DAY for e in then["events"])


def test_event_filters_narrow_and_agree(client: Any) -> None:
    both = get(client, "/api/events", dyad="usa-mex", limit=1)["total"]
    ab = get(client, "/api/events", dyad="USA-MEX", direction="ab", limit=1)["total"]
    ba = get(client, "/api/events", dyad="USA-MEX", direction="ba", limit=1)["total"]
    assert both == ab + ba and ab > 0 and ba > 0
    window = get(client, "/api/events", since="2020-10-01", until="2021-01-31", limit=1000)
    assert window["total"] > 0
    assert all("2020-10-01" <= e["event_date"] <= "2021-01-31" for e in window["events"])
    merida = get(client, "/api/events", instrument="merida", limit=1000)
    assert merida["total"] > 0 and all("merida" in e["instruments"] for e in merida["events"])
    assert get(client, "/api/events", source="curated", limit=1)["total"] > 0
    assert get(client, "/api/events", source="nope", limit=1)["total"] == 0


def test_actor_and_text_search(client: Any) -> None:
    fgr = get(client, "/api/events", actor="mex:fgr", limit=1000)
    assert fgr["total"] > 0
    assert all("MEX:FGR" in (e["actor1_code"] or "", e["actor2_code"] or "") for e in fgr["events"])
    cienfuegos = get(client, "/api/events", q="CIENFUEGOS", limit=1000)
    assert cienfuegos["total"] > 0
    assert all("cienfuegos" in (e["summary"] or "").lower() or "cienfuegos" in e["source_key"]
               or any("cienfuegos" in (s["title"] or "").lower() for s in e["sources"])
               for e in cienfuegos["events"])  # fmt: skip
    assert get(client, "/api/events", q="100% _literal_", limit=1)["total"] == 0


def test_order_desc_reverses(client: Any) -> None:
    asc = get(client, "/api/events", limit=5)["events"]
    desc = get(client, "/api/events", limit=5, order="desc")["events"]
    assert asc[0]["event_date"] <= desc[-1]["event_date"]
    assert desc[0]["event_date"] >= desc[-1]["event_date"]


def test_event_by_id_respects_as_of(client: Any) -> None:
    ev = get(client, "/api/events", q="Cienfuegos", limit=1, order="desc")["events"][0]
    assert get(client, f"/api/events/{ev['event_id']}")["event_id"] == ev["event_id"]
    assert_error(client.get(f"/api/events/{ev['event_id']}?as_of=1990-01-01"), 404, "not_found")
    assert_error(client.get("/api/events/" + "0" * 32), 404, "not_found")
    assert_error(client.get("/api/events/not-hex"), 422, "invalid_parameter")


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"since": "2021-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"as_of": "0001-01-01"}, "as_of"),
        ({"since": "2021-02-01", "until": "2021-01-01"}, "since"),
        ({"dyad": "USAMEX"}, "dyad"),
        ({"direction": "sideways"}, "direction"),
        ({"order": "random"}, "order"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_malformed_event_parameters_are_422_naming_the_parameter(
    client: Any, params: dict[str, Any], name: str
) -> None:
    err = assert_error(client.get("/api/events", params=params), 422, "invalid_parameter")
    assert name in err["message"]
    assert err["details"] and err["details"][0]["loc"][-1] == name


# --- index ----------------------------------------------------------------------------------------

ESSAY = "2021-01-19"
"""The date of the essay dyadwatch operationalises."""


def test_index_is_the_relationship_series_by_default(client: Any) -> None:
    body = get(client, "/api/index", as_of=ESSAY)
    assert body["measure"] == "relationship" and body["named"] is True
    assert body["sources"] == ["curated", "fused"] and body["windows"]["curated"] >= 1
    assert body["query"]["freq"] == "month" and body["query"]["as_of"] == ESSAY
    rows = body["rows"]
    assert {r["source"] for r in rows} == {"fused"}
    last = rows[-1]
    assert last["period"] == "2021-01" and last["status"] == "ok"
    assert last["lo"] < last["value"] < last["hi"] and last["n"] >= body["min_n"]
    assert last["value"] < 0  # the exoneration and the released file pull it down
    thin = [r for r in rows if r["status"] == "insufficient"]
    assert thin and all(r["value"] is None and "insufficient evidence" in r["reason"] for r in thin)
    assert {"value", "lo", "hi", "n", "status", "reason", "window"} <= set(body["columns"])
    every = get(client, "/api/index", as_of=ESSAY, source="all")["rows"]
    assert {r["source"] for r in every} == {"curated", "fused"}


def test_index_measure_selects_environment_or_a_cameo_measure(client: Any) -> None:
    env = get(client, "/api/index", as_of=ESSAY, measure="environment", freq="year")
    assert env["measure"] == "environment" and env["named"] is True
    assert env["rows"][-1]["period"] == "2021"
    cameo = get(client, "/api/index", freq="year", as_of=ESSAY, measure="net_coop")
    assert cameo["named"] is False and cameo["windows"] == {} and cameo["level"] is None
    fused = cameo["rows"]
    assert fused[-1]["period"] == "2021" and "net_coop" in cameo["columns"]
    assert all(r["value"] == r["net_coop"] for r in fused)
    assert all(r["net_coop"] is None or -1 <= r["net_coop"] <= 1 for r in fused)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"freq": "decade"}, "freq"),
        ({"measure": "vibes"}, "measure"),
        ({"min_confidence": 2}, "min_confidence"),
        ({"min_confidence": "nan"}, "min_confidence"),
        ({"baseline": 1}, "baseline"),
        ({"window": 0}, "window"),
        ({"episodes": "some"}, "episodes"),
        ({"min_n": 1}, "min_n"),
        ({"level": 1.5}, "level"),
        ({"weights": "curated"}, None),
        ({"sources": "curatd"}, None),
        ({"source": "gdelt"}, None),
        ({"dedupe": "sometimes"}, "dedupe"),
        ({"dyad": "USA-XYZ"}, "dyad"),
        ({"as_of": "2999-01-01"}, "as_of"),
    ],
)
def test_malformed_index_parameters(client: Any, params: dict[str, Any], name: str | None) -> None:
    err = assert_error(client.get("/api/index", params={"freq": "year", **params}), 422)
    assert err["code"] == "invalid_parameter"
    if name is not None:
        assert err["details"] and err["details"][0]["loc"][-1] == name
    if params.get("sources") == "curatd":
        assert "Did you mean curated?" in err["message"]
    if params.get("dyad"):
        assert "XYZ" in err["message"]


def test_turning_points(client: Any) -> None:
    rows = get(client, "/api/index/turning-points", as_of=ESSAY, events=2)["rows"]
    assert rows, "the relationship has changed level at least once since 1985"
    assert all(r["sure"] in ("clear", "likely", "uncertain") and r["direction"] in ("up", "down")
               for r in rows)  # fmt: skip
    assert all(len(r["events"]) <= 2 for r in rows) and any(r["events"] for r in rows)
    cameo = get(
        client, "/api/index/turning-points", freq="quarter", as_of=ESSAY, measure="net_coop"
    )["rows"]
    assert cameo and cameo[0]["direction"] in ("up", "down") and cameo[0]["events"]
    assert_error(
        client.get("/api/index/turning-points", params={"penalty": -1}), 422, "invalid_parameter"
    )
    assert_error(
        client.get("/api/index/turning-points", params={"measure": "vibes"}),
        422,
        "invalid_parameter",
    )


def test_alerts(client: Any) -> None:
    body = get(client, "/api/index/alerts", as_of=ESSAY)
    alert = next(r for r in body["rows"] if r["measure"] == "value")
    assert alert["period"] == "2021-01" and alert["reading"] == "more conflictual than usual"
    assert alert["events"] and all(e["value"] < 0 for e in alert["events"])
    assert get(client, "/api/index/alerts", as_of=ESSAY, threshold=1e6)["rows"] == []
    cameo = get(client, "/api/index/alerts", freq="week", as_of="2020-10-18", measure="net_coop")
    assert [(r["period"], r["measure"]) for r in cameo["rows"]] == [("2020-W42", "n")]
    assert any("Cienfuegos" in (e["summary"] or "") for e in cameo["rows"][0]["events"])
    for bad in ({"threshold": 0}, {"threshold": "nan"}, {"recent": 0}, {"source": "nope"}):
        assert_error(client.get("/api/index/alerts", params=bad), 422)


def test_lowest_since(client: Any) -> None:
    body = get(client, "/api/index/lowest-since", period="2021-01", as_of=ESSAY)
    assert body["period"] == "2021-01" and "lowest since" in body["text"]
    assert body["record_low"] is (body["since"] is None)
    assert body["n"] >= 5 and body["lo"] <= body["value"] <= body["hi"]
    assert (body["within_noise"] is None) == body["record_low"]
    cameo = get(
        client, "/api/index/lowest-since", freq="year", period="2020", as_of=ESSAY,
        measure="net_coop",
    )  # fmt: skip
    assert cameo["period"] == "2020" and "lowest" in cameo["text"]
    assert_error(client.get("/api/index/lowest-since"), 422)
    assert_error(
        client.get("/api/index/lowest-since", params={"freq": "year", "period": "9999"}),
        422,
        "invalid_parameter",
    )
    assert_error(
        client.get("/api/index/lowest-since", params={"period": "1950-01"}), 422, "not_computable"
    )
    assert_error(
        client.get("/api/index/lowest-since", params={"period": "2021"}), 422, "invalid_parameter"
    )


def test_evidence(client: Any) -> None:
    rows = get(client, "/api/index/evidence", period="2021-01", limit=3, as_of=ESSAY)["rows"]
    assert 0 < len(rows) <= 3 and all(r["period"] == "2021-01" for r in rows)
    assert rows[0]["contribution"] < 0 and rows[0]["effect_rationale"]
    cites = [c for r in rows for c in r["citations"]]
    assert cites and all(c["published"] is None or c["published"] <= ESSAY for c in cites)
    down = get(client, "/api/index/evidence", period="2021-01", as_of=ESSAY, sign=-1)["rows"]
    assert down and all(r["value"] < 0 for r in down)
    cameo = get(
        client, "/api/index/evidence", freq="quarter", period="2020Q4", limit=3, as_of=ESSAY,
        measure="net_coop",
    )["rows"]  # fmt: skip
    assert 0 < len(cameo) <= 3 and all(r["period"] == "2020Q4" for r in cameo)
    assert_error(client.get("/api/index/evidence", params={"period": "2020-12", "limit": 0}), 422)
    assert_error(client.get("/api/index/evidence", params={"period": "2020-12", "sign": 2}), 422)


def test_judgments_are_scored_as_known_at_their_dates(client: Any) -> None:
    body = get(client, "/api/validate/judgments", as_of=ESSAY)
    rows = body["rows"]
    assert body["file"] == "judgments.csv" and body["later"] > 0 and rows
    assert all(r["date"] <= ESSAY for r in rows)
    assert body["n_agree"] + body["n_disagree"] + body["n_insufficient"] == len(rows)
    assert {r["verdict"] for r in rows} <= {"agree", "disagree", "insufficient"}
    if body["n_agree"] + body["n_disagree"]:
        assert body["agreement"] == body["n_agree"] / (body["n_agree"] + body["n_disagree"])
    assert set(body["by_direction"]) <= {"improving", "deteriorating", "low", "high", "mixed"}
    everything = get(client, "/api/validate/judgments")
    assert everything["later"] == 0 and len(everything["rows"]) > len(rows)
    assert_error(
        client.get("/api/validate/judgments", params={"measure": "net_coop"}),
        422,
        "invalid_parameter",
    )


# --- instruments, indicators, findings, backtest, overview ----------------------------------------


def test_instruments_as_of(client: Any) -> None:
    rows = get(client, "/api/instruments", as_of=ESSAY_DAY)["rows"]
    by_id = {r["id"]: r for r in rows}
    assert by_id["dialogue"]["state"] == "frozen"
    assert all(s["known_at"][:10] <= ESSAY_DAY for r in rows for s in r["states"])
    early = get(client, "/api/instruments", as_of="1990-01-01")["rows"]
    assert len(early) <= len(rows)


def test_instrument_detail_has_evidence_with_sources(client: Any) -> None:
    body = get(client, "/api/instruments/merida", as_of=ESSAY_DAY)
    assert body["id"] == "merida" and body["states"]
    events = [e for s in body["states"] for e in s["evidence_events"]]
    assert events and all(e["sources"] for e in events)
    err = assert_error(client.get("/api/instruments/meridaa"), 404, "not_found")
    assert "merida" in err["message"]


def test_indicators(client: Any) -> None:
    rows = get(client, "/api/indicators")["rows"]
    ids = [r["indicator"] for r in rows]
    assert "extraditions_mexico_to_us" in ids
    series = get(client, "/api/indicators/extraditions_mexico_to_us", as_of=ESSAY_DAY)["rows"]
    assert series and all(p["known_at"][:10] <= ESSAY_DAY for p in series)
    first = get(client, "/api/indicators/extraditions_mexico_to_us", vintage="first-known")["rows"]
    assert len(first) >= len(series)
    assert_error(client.get("/api/indicators/nope"), 404, "not_found")
    assert get(client, "/api/indicators", as_of="1900-01-01")["rows"] == []
    named = {r["indicator"]: r for r in rows}["extraditions_mexico_to_us"]
    assert named["name"].startswith("Extraditions from Mexico") and named["latest"]["value"] > 0
    found = get(client, "/api/indicators", q="EXTRADITIONS mexico")["rows"]
    assert found and all(
        "extradition" in (r["indicator"] + r["name"] + r["group_title"]).lower() for r in found
    )
    group = get(client, "/api/indicators", group=named["group"])["rows"]
    assert {r["group"] for r in group} == {named["group"]} and len(group) < len(rows)
    every = get(client, "/api/indicators/extraditions_mexico_to_us", vintage="all")["rows"]
    assert len(every) >= len(first)
    assert [(r["known_at"], r["vintage"]) for r in every] == sorted(
        (r["known_at"], r["vintage"]) for r in every
    )


def test_findings_as_of_the_essay(client: Any) -> None:
    rows = get(client, "/api/findings", as_of=ESSAY_DAY)["rows"]
    assert rows
    assert {r["status"] for r in rows} <= {"met", "not_met", "unknown"}
    assert all(r["as_of"] == ESSAY_DAY and r["explanation"] for r in rows)
    one = rows[0]["rule_id"]
    only = get(client, "/api/findings", as_of=ESSAY_DAY, rule=one)["rows"]
    assert [r["rule_id"] for r in only] == [one]
    assert_error(client.get("/api/findings", params={"rule": "nope"}), 422, "invalid_parameter")


def test_backtest(client: Any) -> None:
    body = get(client, "/api/backtest", **{"from": "2020-01", "to": "2021-01"})
    assert body["start"] == "2020-01-31" and body["end"] == "2021-01-31"
    assert body["rules"] and all(r["months"] == 13 for r in body["rules"])
    assert len(body["monthly"]) == 13 * len(body["rules"])
    lean = get(client, "/api/backtest", **{"from": "2020-01", "to": "2021-01", "monthly": "false"})
    assert "monthly" not in lean
    for params in ({"from": "2021-13"}, {"from": "21-01"}, {"from": "2021-02", "to": "2021-01"}):
        assert_error(client.get("/api/backtest", params=params), 422, "invalid_parameter")


def test_overview(client: Any) -> None:
    body = get(client, "/api/overview", as_of=ESSAY_DAY, freq="quarter")
    assert body["as_of"] == ESSAY_DAY and body["freq"] == "quarter"
    assert body["headline"]["text"] and body["index"] and body["instruments"]
    assert all(s["url"].startswith("http") for s in body["sources"])
    future = date.today().replace(year=date.today().year + 1).isoformat()
    assert_error(client.get("/api/overview", params={"as_of": future}), 422, "invalid_parameter")


# --- the error shape, OpenAPI, caching ----------------------------------------------------------


AS_OF_ROUTES = (
    "/api/events",
    "/api/index",
    "/api/index/turning-points",
    "/api/index/alerts",
    "/api/index/lowest-since?period=2021-01",
    "/api/index/evidence?period=2021-01",
    "/api/validate/judgments",
    "/api/instruments",
    "/api/instruments/merida",
    "/api/indicators",
    "/api/indicators/extraditions_mexico_to_us",
    "/api/findings",
    "/api/overview",
)
DYAD_ROUTES = (
    "/api/events",
    "/api/index",
    "/api/index/turning-points",
    "/api/index/alerts",
    "/api/index/lowest-since?period=2021-01",
    "/api/index/evidence?period=2021-01",
    "/api/validate/judgments",
    "/api/overview",
)


@pytest.mark.parametrize("route", AS_OF_ROUTES)
def test_every_route_refuses_a_future_as_of(client: Any, route: str) -> None:
    future = date.today().replace(year=date.today().year + 1).isoformat()
    sep = "&" if "?" in route else "?"
    err = assert_error(client.get(f"{route}{sep}as_of={future}"), 422, "invalid_parameter")
    assert "in the future" in err["message"] and err["details"][0]["loc"] == ["query", "as_of"]


@pytest.mark.parametrize("route", DYAD_ROUTES)
def test_every_route_refuses_an_unknown_dyad(client: Any, route: str) -> None:
    sep = "&" if "?" in route else "?"
    err = assert_error(client.get(f"{route}{sep}dyad=USA-MXE"), 422, "invalid_parameter")
    assert "'MXE'" in err["message"] and "Did you mean MEX?" in err["message"]
    assert err["details"][0]["loc"] == ["query", "dyad"]


def test_unknown_route_and_method(client: Any) -> None:
    assert_error(client.get("/api/nothing"), 404, "not_found")
    assert_error(client.post("/api/index"), 405, "method_not_allowed")


def test_dyadwatch_errors_are_translated_once(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(self: StoreView) -> Any:
        raise StoreLockedError("another process holds the writer lock; try again shortly.")

    monkeypatch.setattr(StoreView, "status", locked)
    client.app.state.view.bodies.clear()  # an earlier test's answer is cached
    r = client.get("/api/status")
    err = assert_error(r, 409, "store_busy")
    assert "writer lock" in err["message"] and r.headers["retry-after"] == "5"


def test_unexpected_errors_are_500_in_the_same_shape(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: StoreView) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(StoreView, "status", boom)
    client.app.state.view.bodies.clear()
    err = assert_error(client.get("/api/status"), 500, "internal_error")
    assert "secret" not in err["message"]


def test_openapi_documents_every_endpoint_and_the_error_shape(client: Any) -> None:
    schema = get(client, "/openapi.json")
    paths = set(schema["paths"])
    assert {
        "/api/events",
        "/api/events/{event_id}",
        "/api/index",
        "/api/index/turning-points",
        "/api/index/alerts",
        "/api/index/lowest-since",
        "/api/index/evidence",
        "/api/validate/judgments",
        "/api/instruments",
        "/api/instruments/{instrument_id}",
        "/api/indicators",
        "/api/indicators/{indicator_id}",
        "/api/findings",
        "/api/backtest",
        "/api/overview",
        "/api/ingest",
    } <= paths
    assert not any(p.startswith("/timeline") for p in paths)
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    ref = schema["paths"]["/api/events"]["get"]["responses"]["422"]["content"]
    assert ref["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "token" in schema["components"]["securitySchemes"]


def test_answers_are_cached_per_generation(client: Any) -> None:
    cache = client.app.state.view.cache
    get(client, "/api/index", freq="year", as_of="2019-06-30")
    misses = cache.misses
    get(client, "/api/index", freq="year", as_of="2019-06-30")
    get(client, "/api/index/evidence", freq="year", as_of="2019-06-30", period="2019")
    assert cache.misses == misses + 1  # the evidence, not the series again
    bodies = client.app.state.view.bodies
    assert bodies.hits > 0 and len(bodies) > 0


def test_the_measure_parameter_lists_every_measure() -> None:
    from typing import get_args

    from dyadwatch.analyse.answers import MEASURE_NAMES
    from dyadwatch.present.api.params import Measure

    assert get_args(Measure) == MEASURE_NAMES
