"""Shared fixtures: where the real data lives, and fresh stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DYADWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))


def _in_ci() -> bool:
    """Whether this run is CI's (``CI`` set, as CI services and .ci/run set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_sessionstart(session: pytest.Session) -> None:
    # On a developer's machine the sample tier may be skipped when ../shared/data is absent;
    # in CI that would hide about 70 tests behind skips, so the run fails at once instead.
    if _in_ci() and not SHARED_DATA.is_dir():
        raise pytest.UsageError(
            f"CI needs the shared data at {SHARED_DATA} (the sample tier reads it); "
            "lay ../shared/data beside the repository or set DYADWATCH_SHARED_DATA."
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real third-party files; see each folder's PROVENANCE.md)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set DYADWATCH_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture()
def store_dir(tmp_path: Path) -> Path:
    """A path for a new store (not yet created)."""
    return tmp_path / "store"


def make_event(key: str, **kw: object):  # type: ignore[no-untyped-def]
    """A valid canonical event for tests: USA→MEX, CAMEO 036 (meet), 2021-01-15."""
    from datetime import UTC, date, datetime

    from dyadwatch.model import Actor, Event

    defaults: dict[str, object] = {
        "source": "demo",
        "source_key": key,
        "event_date": date(2021, 1, 15),
        "known_at": datetime(2021, 1, 15, 12, tzinfo=UTC),
        "actor1": Actor(code="USAGOV", country="USA", agent_type="GOV"),
        "actor2": Actor(code="MEXGOV", country="MEX", agent_type="GOV"),
        "cameo_code": "036",
        "summary": f"test event {key}",
    }
    defaults.update(kw)
    return Event(**defaults)  # type: ignore[arg-type]
