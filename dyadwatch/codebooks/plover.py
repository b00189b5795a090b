"""The CAMEO → PLOVER crosswalk.

PLOVER (Political Language Ontology for Verifiable Event Records) is CAMEO's successor and
the ontology of POLECAT: 16 event types (AGREE, CONSULT, SUPPORT, COOPERATE, AID, CONCEDE,
RETREAT, ACCUSE, REQUEST, REJECT, THREATEN, PROTEST, MOBILIZE, SANCTION, COERCE, ASSAULT),
each with an optional *mode* (how: ``visit``, ``arrest``, ``firearms``) and *context* (the
domain: ``military``, ``legal``, ``crime;corruption``). The table is P. Schrodt's
CAMEO2PLOVER conversion for PLOVER Draft 0.8 (2021), with the fixes listed in
``data/PROVENANCE.md``.

Every CAMEO event code has a row: either a mapping, or an explicit reason why there is none
(CAMEO roots 01 MAKE PUBLIC STATEMENT and 02 APPEAL have no PLOVER entry in the table).

>>> plover().for_cameo("173")
PloverMapping(cameo_code='173', event_type='COERCE', mode='arrest', context='legal')
>>> plover().for_cameo("010") is None
True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pyarrow as pa

from dyadwatch.codebooks._data import read_rows, versions
from dyadwatch.errors import CodebookError, did_you_mean

CROSSWALK_SCHEMA = pa.schema(
    [
        pa.field("cameo_code", pa.string(), nullable=False),
        pa.field("plover_type", pa.string()),
        pa.field("plover_mode", pa.string()),
        pa.field("plover_context", pa.string()),
        pa.field("unmapped_reason", pa.string()),
    ]
)
"""Arrow schema of :meth:`Plover.crosswalk_table`; PLOVER columns are null when not given."""


@dataclass(frozen=True, slots=True)
class PloverMapping:
    """The PLOVER reading of one CAMEO code.

    Attributes
    ----------
    cameo_code : str
        The CAMEO code, e.g. ``"0314"``.
    event_type : str
        PLOVER event type, e.g. ``"AGREE"``.
    mode : str or None
        PLOVER mode, or ``None`` when the crosswalk gives none.
    context : str or None
        PLOVER context; several are joined with ``;`` (``"crime;corruption"``).

    Examples
    --------
    >>> plover().for_cameo("091").contexts
    ('crime', 'corruption')
    """

    cameo_code: str
    event_type: str
    mode: str | None
    context: str | None

    @property
    def contexts(self) -> tuple[str, ...]:
        """The contexts as a tuple (empty when there is none)."""
        return tuple(self.context.split(";")) if self.context else ()


@dataclass(frozen=True, eq=False)
class Plover:
    """The loaded crosswalk. Get it with :func:`plover`; it is immutable and shared.

    Attributes
    ----------
    version : str
        Crosswalk version, e.g. ``"plover-0.8+cameo2plover-2021-09-17.dw1"``.
    event_types : frozenset[str]
        The PLOVER event types the crosswalk uses.
    """

    version: str
    event_types: frozenset[str]
    _mappings: Mapping[str, PloverMapping | None] = field(repr=False)
    _unmapped: Mapping[str, str] = field(repr=False)
    _table: pa.Table = field(repr=False)

    def for_cameo(self, code: str) -> PloverMapping | None:
        """Return the PLOVER mapping of CAMEO code ``code``, or ``None`` if it has none.

        Parameters
        ----------
        code : str
            A CAMEO event code with its leading zeros.

        Returns
        -------
        PloverMapping or None
            ``None`` for a CAMEO code the crosswalk explicitly leaves unmapped (see
            :meth:`unmapped_reason`).

        Raises
        ------
        CodebookError
            If ``code`` is not a CAMEO code at all (a typo is not silently "unmapped").

        Examples
        --------
        >>> plover().for_cameo("0314")
        PloverMapping(cameo_code='0314', event_type='AGREE', mode=None, context='intelligence')
        """
        if isinstance(code, str) and code in self._mappings:
            return self._mappings[code]
        raise CodebookError(
            f"{code!r} is not a CAMEO code in the PLOVER crosswalk."
            f"{did_you_mean(str(code), self._mappings)} Codes are strings with their leading "
            "zeros (e.g. '010'); normalise them first with cameo().normalise_event_code."
        )

    def unmapped_reason(self, code: str) -> str | None:
        """Why CAMEO code ``code`` has no PLOVER mapping, or ``None`` if it has one.

        >>> plover().unmapped_reason("0211")[:22]
        'CAMEO root 02 has no e'
        """
        self.for_cameo(code)  # raises for unknown codes
        return self._unmapped.get(code)

    def crosswalk_table(self) -> pa.Table:
        """The crosswalk as an Arrow table, one row per CAMEO code.

        Columns ``cameo_code, plover_type, plover_mode, plover_context, unmapped_reason``
        (see :data:`CROSSWALK_SCHEMA`); unmapped codes have null PLOVER columns.

        >>> plover().crosswalk_table().column_names[:4]
        ['cameo_code', 'plover_type', 'plover_mode', 'plover_context']
        """
        return self._table


@functools.cache
def plover() -> Plover:
    """Load the CAMEO → PLOVER crosswalk from the package data (once; later calls share it).

    >>> plover().version
    'plover-0.8+cameo2plover-2021-09-17.dw1'
    """
    rows = read_rows("cameo_plover.csv")
    mappings: dict[str, PloverMapping | None] = {}
    unmapped: dict[str, str] = {}
    for row in rows:
        code = row["cameo_code"]
        if row["plover_type"]:
            mappings[code] = PloverMapping(
                cameo_code=code,
                event_type=row["plover_type"],
                mode=row["plover_mode"] or None,
                context=row["plover_context"] or None,
            )
        else:
            mappings[code] = None
            unmapped[code] = row["unmapped_reason"]
    table = pa.table(
        {column: [row[column] or None for row in rows] for column in CROSSWALK_SCHEMA.names},
        schema=CROSSWALK_SCHEMA,
    )
    return Plover(
        version=versions()["plover"],
        event_types=frozenset(m.event_type for m in mappings.values() if m is not None),
        _mappings=MappingProxyType(mappings),
        _unmapped=MappingProxyType(unmapped),
        _table=table,
    )
