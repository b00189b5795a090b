"""As of any date D, no output shows anything that became public after D (issue 14 item 2).

For as-of dates drawn by Hypothesis, every CLI command that takes ``--as-of`` and ``--json``
(found by walking the click command tree, so a new command is covered without editing this
file) and every JSON API route that takes ``as_of`` (found in the app's OpenAPI schema, which
FastAPI builds from its routes) is run against one store holding the shipped knowledge base,
and its JSON is searched for anything later than D:

* a date or datetime anywhere in a string (``2021-05-03``, ``2021-05-03T12:00:00+00:00``,
  ``curated:2021-05-03-dea-says-cooperation-unraveled``, a URL's ``/2021-01-25/``) — ids that
  begin with a date (curated event ids) are dated this way;
* an event id or source key of an event public only after D;
* a URL whose page was first public after D (its recorded publication date, else the
  ``known_at`` of the record that cites it — :func:`dyadwatch.visibility.visible_citations`).

The only dates allowed past D are those under :data:`PERIOD_BOUNDS`: the bounds of the period
a figure is about (January 2021's value as of 19 January ends on the 31st).

Each of the four leaks issue 14 names has its own test below.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from dyadwatch import pipeline
from dyadwatch.errors import AnalysisError
from dyadwatch.model import INSTRUMENT_STATE_SCHEMA, end_of_day
from dyadwatch.policy.instruments import states_from_table
from dyadwatch.present.api.app import create_app
from dyadwatch.present.cli.main import cli
from dyadwatch.settings import Settings
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from dyadwatch.store.query import events
from tests.unit.api_support import curated_store, make_client

pytestmark = pytest.mark.unit

FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2026, 1, 31)
"""As-of dates are drawn from here: the knowledge base runs from 1985 to 2026."""

ESSAY = date(2021, 1, 19)
"""Felbab-Brown, 'The US-Mexico security relationship in 2021', Brookings, 19 January 2021."""

PERIOD_BOUNDS = frozenset({"period_start", "period_end", "first_period", "last_period"})
"""Keys whose date may pass D: the bounds of the period a figure is about, not when anything
became public. January 2021's value as of 19 January is computed from what was public by
then, and its period still ends on the 31st; a budget for the next fiscal year is public
before the year begins. When a figure became public is checked under its own keys
(``known_at``, ``last_known_at``), as everywhere else."""

SKIPPED: dict[str, str] = {
    "brief": "writes an HTML or PDF file, not JSON (its content as of D: test_the_brief_*)",
    "index chart": "writes an image file, not JSON",
    "release create": "writes a release package to a directory (tests/unit/test_release*)",
}
"""Commands with --as-of that the property cannot read as JSON, and why."""

ECHO = "echo"
"""A second source, the knowledge base's events again, so ``index compare`` has two."""

ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)")
URL = re.compile(r"https?://[^\s\"'<>|]+")
TOKEN = re.compile(r"[^\s:@#,;|()\[\]{}\"'<>=]+")


# --- what became public when ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class Public:
    """When each id and page in the store first became public."""

    ids: dict[str, datetime]  # event ids and source keys → known_at
    urls: dict[str, datetime]  # cited pages → the first time any record showed them
    visible_ids: tuple[str, ...]  # event ids in the order they became public
    known: tuple[datetime, ...]  # ... and when

    def __repr__(self) -> str:  # Hypothesis shows the arguments of a failing example
        return f"Public({len(self.ids)} ids, {len(self.urls)} pages)"

    def leaks(self, body: Any, as_of: date) -> list[str]:
        """Everything in ``body`` later than ``as_of``, as ``key=text`` lines."""
        limit = end_of_day(as_of)
        found = []
        for key, text in _strings(body):
            for reason in self._late(key, text, as_of, limit):
                found.append(f"{key}={text[:120]!r}: {reason}")
        return found

    def _late(self, key: str, text: str, as_of: date, limit: datetime) -> Iterator[str]:
        for url in URL.findall(text):
            url = url.rstrip(".,;)")
            first = self.urls.get(url)
            if first is not None and first > limit:
                yield f"page first public {first.date()}"
        rest = URL.sub(" ", text)
        if key not in PERIOD_BOUNDS:
            for y, m, d in ISO_DATE.findall(text):
                try:
                    day = date(int(y), int(m), int(d))
                except ValueError:
                    continue
                if day > as_of:
                    yield f"date {day}"
        for token in TOKEN.findall(rest):
            first = self.ids.get(token)
            if first is not None and first > limit:
                yield f"{token} public {first.date()}"


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), str(k)  # keys are output too (a dict keyed by period or id)
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def _public(store: Store) -> Public:
    table = events(store)
    ids: dict[str, datetime] = {}
    urls: dict[str, datetime] = {}
    for e in table.to_pylist():
        for ident in (e["event_id"], e["source_key"]):
            ids[ident] = min(e["known_at"], ids.get(ident, e["known_at"]))
        published = e["source_published"] or []
        for i, url in enumerate(e["source_urls"] or []):
            day = published[i] if i < len(published) else None
            when = end_of_day(day) if day is not None else e["known_at"]
            urls[url] = min(when, urls.get(url, when))
    for r in store.table("indicators").to_pylist():
        if r["source_url"]:
            urls[r["source_url"]] = min(r["known_at"], urls.get(r["source_url"], r["known_at"]))
    order = pc.sort_indices(table, [("known_at", "ascending"), ("event_id", "ascending")])
    ordered = table.take(order)
    return Public(
        ids,
        urls,
        tuple(ordered.column("event_id").to_pylist()),
        tuple(ordered.column("known_at").to_pylist()),
    )


# --- the store and the two front ends -------------------------------------------------------


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped knowledge base, and the same events again as a second source."""
    root = tmp_path_factory.mktemp("pit-outputs") / "store"
    shutil.copytree(curated_store(tmp_path_factory), root, ignore=shutil.ignore_patterns("*.lock"))
    store = Store.open(root)
    kb = events(store)
    echo = kb.set_column(kb.column_names.index("source"), "source", pa.array([ECHO] * len(kb)))
    src = MemorySource()
    src.add("echo", echo.drop_columns(["event_id", "ingested_at", "dedupe_group"]))
    assert pipeline.ingest(src, src.discover(), store).ok
    return root


@pytest.fixture(scope="module")
def public(store_root: Path) -> Public:
    found = _public(Store.open(store_root))
    assert any(t > end_of_day(ESSAY) for t in found.ids.values()), "the KB runs past 2021"
    return found


@pytest.fixture(scope="module")
def client(store_root: Path) -> Any:
    return make_client(create_app(Settings(store=store_root)), raise_server_exceptions=True)


def _commands() -> dict[str, click.Command]:
    """Every command of the click tree by its path (a group run on its own counts too)."""
    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: tuple[str, ...], ctx: click.Context) -> None:
        if not isinstance(command, click.Group) or command.invoke_without_command:
            found[" ".join(path)] = command
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, name
                walk(sub, (*path, name), click.Context(sub, parent=ctx, info_name=name))

    walk(cli, (), click.Context(cli, info_name="dyadwatch"))
    return {k: v for k, v in found.items() if k}


def _options(command: click.Command) -> set[str]:
    return {o for p in command.params for o in getattr(p, "opts", ())}


def _as_of_commands() -> tuple[list[str], list[str]]:
    """(commands with --as-of and --json, commands with --as-of only)."""
    both, other = [], []
    for path, command in sorted(_commands().items()):
        opts = _options(command)
        if "--as-of" in opts:
            (both if "--json" in opts else other).append(path)
    return both, other


JSON_COMMANDS, OTHER_COMMANDS = _as_of_commands()


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _arguments(path: str, rule: str, period: str | None) -> list[str] | None:
    """What a command needs besides --as-of (a required argument, or two sources to compare);
    None when it cannot be asked yet (no period with a value as of that day).

    A new command with a required argument fails here until it is given one.
    """
    extra: dict[str, list[str] | None] = {
        "index evidence": [period] if period else None,
        "index lowest-since": [period] if period else None,
        "index compare": ["--sources", f"curated,{ECHO}"],
        "rules explain": [rule],
    }
    command = _commands()[path]
    required = [p.name for p in command.params if isinstance(p, click.Argument) and p.required]
    assert not required or path in extra, f"{path} needs {required}: add them to _arguments"
    return extra.get(path, [])


def run_json(store_root: Path, path: str, as_of: date, extra: Sequence[str] = ()) -> Any:
    """``dyadwatch PATH … --as-of D --json`` parsed; a question that cannot be answered yet
    (:class:`~dyadwatch.errors.AnalysisError`) gives its message, checked like any answer."""
    args = [*path.split(), *extra, "--store", str(store_root), "--as-of", as_of.isoformat()]
    try:
        result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    except AnalysisError as exc:
        return {"error": str(exc)}
    assert result.exit_code == 0, (args, result.output[-500:])
    return json.loads(result.stdout)


def _valued_period(rows: list[dict[str, Any]]) -> str | None:
    """The latest period of a series with a value (None: none yet)."""
    valued = [r["period"] for r in rows if r.get("value") is not None]
    return valued[-1] if valued else None


def _spec(client: Any) -> dict[str, Any]:
    spec: dict[str, Any] = client.app.openapi()
    return spec


def api_routes(client: Any) -> list[tuple[str, list[str]]]:
    """GET routes taking ``as_of``: their path and required query parameters."""
    found = []
    for path, ops in sorted(_spec(client)["paths"].items()):
        op = ops.get("get")
        params = (op or {}).get("parameters", [])
        if any(p["name"] == "as_of" and p["in"] == "query" for p in params):
            needed = [p["name"] for p in params if p["in"] == "query" and p.get("required")]
            found.append((path, needed))
    return found


def _visible_event(public: Public, as_of: date) -> str | None:
    limit = end_of_day(as_of)
    seen = [e for e, k in zip(public.visible_ids, public.known, strict=True) if k <= limit]
    return seen[-1] if seen else None


def get_json(client: Any, route: str, needed: list[str], as_of: date, fill: dict[str, str]) -> Any:
    """GET ``route`` as of ``as_of``, its path parameters and required ones from ``fill``."""
    for name in re.findall(r"{(\w+)}", route):
        route = route.replace(f"{{{name}}}", fill[name])
    params = {"as_of": as_of.isoformat(), **{n: fill[n] for n in needed}}
    r = client.get(route, params=params)
    cannot = r.status_code == 422 and r.json()["error"]["code"] == "not_computable"
    assert r.status_code == 200 or cannot, (route, params, r.text[:300])
    return r.json()


# --- the property ---------------------------------------------------------------------------


def test_the_property_covers_every_as_of_command() -> None:
    assert {"events", "index", "instruments", "rules", "rules explain"} <= set(JSON_COMMANDS)
    unexplained = sorted(set(OTHER_COMMANDS) - set(SKIPPED))
    assert not unexplained, f"--as-of without --json: say why in SKIPPED: {unexplained}"
    assert not set(SKIPPED) - set(OTHER_COMMANDS), "SKIPPED names a command that changed"


def test_the_property_covers_every_as_of_route(client: Any) -> None:
    paths = {p for p, _ in api_routes(client)}
    assert {"/api/events", "/api/findings", "/api/instruments/{instrument_id}"} <= paths


class World:
    """The store, what became public when, and an API client.

    Not a dataclass: Hypothesis prints a failing example's arguments, a dataclass field by
    field (here, hundreds of kilobytes).
    """

    def __init__(self, root: Path, public: Public, client: Any) -> None:
        self.root, self.public, self.client = root, public, client

    def __repr__(self) -> str:
        return f"World({self.root})"


@pytest.fixture(scope="module")
def world(store_root: Path, public: Public, client: Any) -> World:
    return World(store_root, public, client)


def _cli_leaks(world: World, as_of: date, pick: int) -> dict[str, list[str]]:
    first = {path: run_json(world.root, path, as_of) for path in ("index", "rules")}
    period = _valued_period(first["index"])
    rules = [f["rule_id"] for f in first["rules"]["findings"]]
    problems = {}
    for path in JSON_COMMANDS:
        extra = _arguments(path, rules[pick % len(rules)], period)
        if extra is None:
            continue  # no period has a value yet: the command refuses, rightly
        body = first[path] if path in first else run_json(world.root, path, as_of, extra)
        if leaks := world.public.leaks(body, as_of):
            problems[f"dyadwatch {path}"] = leaks[:5]
    return problems


def _api_leaks(world: World, as_of: date, pick: int) -> dict[str, list[str]]:
    client, public = world.client, world.public
    fill = {}
    if (
        period := _valued_period(get_json(client, "/api/index", [], as_of, {})["rows"])
    ) is not None:
        fill["period"] = period
    instruments = get_json(client, "/api/instruments", [], as_of, {})["rows"]
    if instruments:
        fill["instrument_id"] = instruments[pick % len(instruments)]["id"]
    indicators = get_json(client, "/api/indicators", [], as_of, {})["rows"]
    if indicators:
        fill["indicator_id"] = indicators[pick % len(indicators)]["indicator"]
    if (event := _visible_event(public, as_of)) is not None:
        fill["event_id"] = event
    problems = {}
    for route, needed in api_routes(client):
        if any(n not in fill for n in [*re.findall(r"{(\w+)}", route), *needed]):
            continue  # nothing of that kind was public yet
        if leaks := public.leaks(get_json(client, route, needed, as_of, fill), as_of):
            problems[route] = leaks[:5]
    return problems


def _report(as_of: date, problems: dict[str, list[str]]) -> str:
    return f"as of {as_of}:\n" + "\n".join(f"{k}: {v}" for k, v in problems.items())


# Each example runs every output (about a second per CLI command, which opens the store
# afresh): a handful of examples, the essay's date always among them, and no shrinking.
DATES = st.dates(FIRST_DAY, LAST_DAY)
PICK = st.integers(0, 1000)  # which rule, instrument and indicator the example asks about


@settings(
    max_examples=2,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
@example(as_of=ESSAY, pick=0)
@given(as_of=DATES, pick=PICK)
def test_no_cli_output_as_of_d_shows_anything_later(world: World, as_of: date, pick: int) -> None:
    problems = _cli_leaks(world, as_of, pick)
    assert not problems, _report(as_of, problems)


@settings(
    max_examples=5,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
@example(as_of=ESSAY, pick=0)
@given(as_of=DATES, pick=PICK)
def test_no_api_answer_as_of_d_shows_anything_later(world: World, as_of: date, pick: int) -> None:
    problems = _api_leaks(world, as_of, pick)
    assert not problems, _report(as_of, problems)


# --- the four leaks issue 14 names --------------------------------------------------------------

LATER_EVIDENCE = (
    "2021-05-03-dea-says-cooperation-unraveled",
    "2021-06-08-harris-visit-amlo-rejects-merida",
    "2021-09-29-ebrard-merida-is-over",
    "2024-05-08-sre-defends-accreditation",
)
"""Evidence of instrument states in force on 19 January 2021, published months or years later."""

UNIT_2022 = (
    "https://www.plenglish.com/news/2022/04/20/mexico-dissolves-deas-special-investigation-unit/"
)
"""Prensa Latina, 20 April 2022: cited for the 1997 founding of the DEA's vetted unit."""
LAW_PAGE = (
    "https://www.loc.gov/item/global-legal-monitor/2021-01-25/"
    "mexico-amendment-reforming-national-security-law-approved/"
)
"""Library of Congress, 25 January 2021: cited for the foreign-agent law of 15 December 2020."""
LAW_DAY_PAGE = "https://kvoa.com/ap-national-news/2020/12/15/mexicos-congress-approves-law-limiting-foreign-agents/"
"""AP (via KVOA), 15 December 2020: the law's own page of the day."""


@pytest.fixture(scope="module")
def instruments_at_essay(store_root: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = run_json(store_root, "instruments", ESSAY)
    return rows


@pytest.mark.parametrize("later", LATER_EVIDENCE)
def test_instruments_as_of_the_essay_cite_no_later_evidence(
    instruments_at_essay: list[dict[str, Any]], later: str
) -> None:
    cited = {k for row in instruments_at_essay for k in row["evidence"]}
    assert later not in cited
    assert cited, "the states in force cite the evidence public by then"


def test_rules_as_of_the_essay_list_no_later_page_or_event(
    store_root: Path, public: Public
) -> None:
    body = run_json(store_root, "rules", ESSAY)
    urls = {u for f in body["findings"] for e in f["evidence"] for u in e["urls"]}
    assert UNIT_2022 not in urls and urls
    refs = {e["ref"] for f in body["findings"] for e in f["evidence"]}
    assert not {r for r in refs if r.split(":", 1)[-1] in LATER_EVIDENCE}
    assert not public.leaks(body, ESSAY)


def _brief_links(store_root: Path, as_of: date, tmp: Path) -> set[str]:
    path = tmp / f"brief-{as_of}.html"
    args = ["brief", "--store", str(store_root), "--as-of", as_of.isoformat(), "-o", str(path)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    return {u.replace("&amp;", "&") for u in re.findall(r'href="(https?://[^"]+)"', html)}


def test_the_brief_as_of_31_january_2021_does_not_cite_a_2022_article_for_the_1997_unit(
    store_root: Path, public: Public, tmp_path: Path
) -> None:
    links = _brief_links(store_root, date(2021, 1, 31), tmp_path)
    assert UNIT_2022 not in links
    assert links and not public.leaks(sorted(links), date(2021, 1, 31))


def test_the_brief_before_25_january_2021_cites_the_law_by_its_page_of_the_day(
    store_root: Path, public: Public, tmp_path: Path
) -> None:
    links = _brief_links(store_root, date(2021, 1, 24), tmp_path)
    assert LAW_PAGE not in links
    assert LAW_DAY_PAGE in links
    assert not public.leaks(sorted(links), date(2021, 1, 24))


def test_an_instrument_state_shows_only_the_evidence_public_by_then() -> None:
    table = pa.Table.from_pylist(
        [
            {
                "instrument": "merida",
                "state": "active_contested_by_mexico",
                "valid_from": date(2019, 5, 7),
                "known_at": end_of_day(date(2019, 5, 9)),
                "evidence": ["then", "later", "undated"],
                "source": "curated",
            }
        ],
        schema=INSTRUMENT_STATE_SCHEMA,
    )
    known = {"then": end_of_day(date(2019, 5, 9)), "later": end_of_day(date(2021, 9, 29))}
    (early,) = states_from_table(table, date(2021, 1, 19), evidence_known=known)
    assert early.states[0].evidence == ("then",)
    (now,) = states_from_table(table, date(2021, 9, 30), evidence_known=known)
    assert now.states[0].evidence == ("then", "later")
    (everything,) = states_from_table(table, None)
    assert everything.states[0].evidence == ("then", "later", "undated")
