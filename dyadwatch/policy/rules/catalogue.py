"""What a rule file may name: instruments (with the states each can be in and who acts on
whom), indicator series, and the index's named series.

A rule that tests a state no instrument can be in, reads an indicator nobody publishes, or
names a series the index does not have can never be decided the way its author meant: "the
lever was never used" would be true by construction. :func:`default_catalogue` reads the
knowledge base's declarations (``instruments.yaml``: ``vocabulary`` and ``direction``;
``indicators/*.yaml``: series ids) so :func:`~dyadwatch.policy.rules.loader.load_rules` can
refuse such rules with their file and line.

Examples
--------
>>> cat = default_catalogue()
>>> "suspended_except_uncontested_programmes" in cat.instruments["merida"].vocabulary
True
>>> cat.instruments["us_returns"].direction
'USA->MEX'
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from dyadwatch.policy.rules.index_series import SERIES_NAMES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    """An instrument's declared states (``None``: not declared) and direction."""

    id: str
    vocabulary: tuple[str, ...] | None = None
    direction: str | None = None

    def parties(self) -> tuple[str, str] | None:
        """``("USA", "MEX")`` for ``USA->MEX``; None when mutual or not declared."""
        if not self.direction or "->" not in self.direction:
            return None
        by, on = self.direction.split("->", 1)
        return by, on


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The names rule files may use, and what they may say about them."""

    instruments: Mapping[str, InstrumentInfo] = field(default_factory=dict)
    indicators: frozenset[str] = frozenset()
    series: tuple[str, ...] = SERIES_NAMES

    def with_indicators(self, ids: Iterable[str]) -> Catalogue:
        """This catalogue plus indicator ids (e.g. the series a store holds)."""
        return replace(self, indicators=self.indicators | frozenset(ids))


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        log.warning("cannot read %s for the rule catalogue: %s", path, exc)
        return None


def catalogue_from(root: Path) -> Catalogue:
    """The catalogue declared by the knowledge base at ``root``.

    Malformed records are skipped here (``dyadwatch kb validate`` reports them).
    """
    instruments: dict[str, InstrumentInfo] = {}
    data = _read_yaml(root / "instruments.yaml")
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        vocab = item.get("vocabulary")
        direction = item.get("direction")
        instruments[item["id"]] = InstrumentInfo(
            id=item["id"],
            vocabulary=tuple(str(k) for k in vocab) if isinstance(vocab, dict) else None,
            direction=str(direction) if isinstance(direction, str) else None,
        )
    indicators: set[str] = set()
    for path in sorted((root / "indicators").glob("*.yaml")):
        data = _read_yaml(path)
        items = data if isinstance(data, list) else [data]
        indicators.update(
            str(x["id"]) for x in items if isinstance(x, dict) and isinstance(x.get("id"), str)
        )
    return Catalogue(instruments=instruments, indicators=frozenset(indicators))


@functools.cache
def default_catalogue() -> Catalogue:
    """The catalogue of the knowledge base shipped with dyadwatch (read once per process)."""
    from dyadwatch.knowledge.loader import data_root

    return catalogue_from(data_root())


__all__ = ["Catalogue", "InstrumentInfo", "catalogue_from", "default_catalogue"]
