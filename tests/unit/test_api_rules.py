"""The rules API: checking a rule file returns the CLI's problems in the API's one error shape;
the backtest answers with outcomes when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dyadwatch.present.api.app import create_app
from dyadwatch.settings import Settings
from tests.unit.api_support import assert_error, curated_store, make_client

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root: Path = curated_store(tmp_path_factory)
    return make_client(create_app(Settings(store=root)), raise_server_exceptions=False)


GOOD = (
    "rules:\n  - id: frozen_dialogue\n    title: T\n"
    '    condition: \'instrument.state("dialogue") == "frozen"\'\n'
)
BAD = (
    "rules:\n  - id: bad\n    title: T\n"
    "    lever: merida\n"
    '    condition: \'instrument.state("merida") == "active"\'\n'
    "  - id: worse\n    title: W\n"
    '    condition: \'instrument.state("merida") like "*suspendd*"\'\n'
)


def test_a_valid_rule_file_is_ok(client: Any) -> None:
    r = client.post("/api/rules/validate", json={"text": GOOD})
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "rules": ["frozen_dialogue"]}


def test_problems_come_in_the_api_error_shape_with_file_and_line(client: Any) -> None:
    err = assert_error(
        client.post("/api/rules/validate", json={"text": BAD, "name": "mine.yaml"}),
        422,
        "invalid_rule",
    )
    assert "mine.yaml:4: rule bad: lever 'merida' needs its direction" in err["message"]
    locs = [d["loc"] for d in err["details"]]
    assert locs == [["mine.yaml", 4, "bad"], ["mine.yaml", 8, "worse"]]
    assert "matches no state merida can be in" in err["details"][1]["message"]


def test_unparsable_yaml_and_bad_bodies(client: Any) -> None:
    err = assert_error(
        client.post("/api/rules/validate", json={"text": "rules: [\n"}), 422, "invalid_rule"
    )
    assert "YAML does not parse" in err["message"]
    assert_error(client.post("/api/rules/validate", json={"text": GOOD, "name": "../x"}), 422)
    assert_error(client.post("/api/rules/validate", json={"txt": GOOD}), 422)


def test_backtest_outcomes_on_request(client: Any) -> None:
    plain = client.get("/api/backtest", params={"from": "2020-06", "to": "2021-03"}).json()
    assert "outcomes" not in plain and all("outcomes" not in r for r in plain["rules"])
    body = client.get(
        "/api/backtest",
        params={"from": "2020-06", "to": "2021-03", "outcomes": "true", "monthly": "false"},
    ).json()
    rows = {r["rule_id"]: r for r in body["outcomes"]}
    assert "central_america_wary" not in rows  # no lever
    merida = rows["merida_suspend"]
    assert merida["direction"] == "USA->MEX" and merida["min_changes"] == 3
    assert merida["status"] == "insufficient_data"  # no change of Mérida in the range
    assert {s["measure"] for s in merida["studies"]} >= {"index:relationship"}
    assert rows["stop_returning_suspects"]["lever"] == "us_returns"


def test_the_rules_page_shows_reasons_and_the_outcomes_table(client: Any) -> None:
    html = client.get("/rules", params={"as_of": "2021-01-31", "from": "2020-10"}).text
    # The reason in words first (no codes), the rule's own terms beside it.
    why = html.split("<strong>Why:</strong>", 1)[1].split("</p>", 1)[0]
    assert why.strip() and "_" not in why, why
    assert "s terms: <code>met:" in html
    assert 'id="outcomes"' in html and 'id="oc-merida_suspend"' in html
    assert "no observable use of this lever" in html  # treatment funding: not observable
    assert 'id="oc-central_america_wary"' not in html  # no lever, no outcome row
    assert "unknown (no evidence within the rule's horizon" in html


def test_a_character_yaml_cannot_read_is_an_invalid_rule_not_a_crash(client: Any) -> None:
    err = assert_error(
        client.post("/api/rules/validate", json={"text": "rules:\u0097\n"}), 422, "invalid_rule"
    )
    assert "YAML does not parse" in err["message"]
