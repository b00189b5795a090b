"""The store: one writer, many readers; migrations; ingest log; quarantine (see store.py)."""

from dyadwatch.store.query import EventFilter, count_events, events, parse_dyad
from dyadwatch.store.store import Snapshot, Store
from dyadwatch.store.writer import ArtifactRun, ArtifactSummary, Writer

__all__ = [
    "ArtifactRun",
    "ArtifactSummary",
    "EventFilter",
    "Snapshot",
    "Store",
    "Writer",
    "count_events",
    "events",
    "parse_dyad",
]
