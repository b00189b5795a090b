"""The brief with a sensitive-handling event: marked where it shows, or left out entirely."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dyadwatch.errors import UsageError
from dyadwatch.model import Actor
from dyadwatch.pipeline import ingest
from dyadwatch.present.brief import brief
from dyadwatch.present.brief.handling import MARK, overview_for
from dyadwatch.present.overview import overview
from dyadwatch.sources import get_source
from dyadwatch.sources.memory import MemorySource
from dyadwatch.store import Store
from tests.conftest import make_event

pytestmark = pytest.mark.sample

AS_OF = date(2021, 1, 31)
SECRET = "a sensitive report of a joint operation"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Store]:
    """The knowledge base alone, and with one sensitive-handling event in January 2021."""
    base = tmp_path_factory.mktemp("brief-handling")
    out = []
    for name in ("plain", "mixed"):
        store = Store.init(base / name)
        curated = get_source("curated")
        assert ingest(curated, curated.discover(), store).ok
        out.append(store)
    mem = MemorySource()
    mem.add(
        "notes",
        [
            make_event(
                "op-1",
                source="analyst",
                event_date=date(2021, 1, 20),
                known_at=datetime(2021, 1, 21, tzinfo=UTC),
                actor1=Actor(code="USAGOV", country="USA", agent_type="GOV"),
                actor2=Actor(code="MEXGOV", country="MEX", agent_type="GOV"),
                cameo_code="057",  # sign formal agreement: Goldstein +8, shown among changes
                summary=SECRET,
                handling="sensitive",
            )
        ],
    )
    assert ingest(mem, mem.discover(), out[1]).ok
    return out[0], out[1]


def test_mark_shows_the_event_marked_and_says_so(stores: tuple[Store, Store]) -> None:
    _, mixed = stores
    ov = overview_for(mixed, AS_OF, sensitive="mark")
    shown = [e.summary for e in ov.changes.events if SECRET in e.summary]
    assert shown == [f"{MARK} {SECRET}"]
    assert ov.notes[0].startswith("The figures of this brief are computed with 1 sensitive")


def test_omit_leaves_the_event_out_of_every_line_and_figure(
    stores: tuple[Store, Store], tmp_path: Path
) -> None:
    plain, mixed = stores
    omitted = overview_for(mixed, AS_OF, sensitive="omit")
    assert not any(SECRET in e.summary for e in omitted.changes.events)
    want = overview(plain, AS_OF)
    assert [(p.period, p.n, p.value) for p in omitted.index] == [
        (p.period, p.n, p.value) for p in want.index
    ]
    assert omitted.events_known == want.events_known
    html = brief(mixed, tmp_path / "shareable.html", AS_OF, sensitive="omit").read_text()
    assert SECRET not in html and MARK not in html
    marked = brief(mixed, tmp_path / "office.html", AS_OF).read_text()
    assert f"{MARK} {SECRET}" in marked


def test_an_unknown_choice_is_a_clear_error(stores: tuple[Store, Store]) -> None:
    with pytest.raises(UsageError, match="sensitive must be one of mark, omit"):
        overview_for(stores[0], AS_OF, sensitive="hide")
