"""The CAMEO codebook: event codes with Goldstein weights and quad classes, actor codes, FIPS.

CAMEO (Conflict and Mediation Event Observations, manual v1.1b3) is the event ontology of
GDELT, ICEWS and Phoenix. The tables here are GDELT's published lookups with their upstream
defects repaired (see ``data/PROVENANCE.md`` and ``tools/build_codebooks.py``).

Event codes are *strings* with their leading zeros: ``"010"`` (Make statement), ``"0211"``
(Appeal for economic cooperation), ``"190"`` (Use conventional military force). The first two
digits are the root (``"01"`` … ``"20"``); the quad class follows from the root as in the
GDELT 2.0 codebook's QuadClass field (01-05 verbal cooperation, 06-09 material cooperation,
10-14 verbal conflict, 15-20 material conflict).

>>> book = cameo()
>>> book.event("190").goldstein
-10.0
>>> book.normalise_event_code("43")
'043'
>>> book.fips_to_iso3("MX")
'MEX'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pyarrow as pa

from dyadwatch.codebooks._data import read_rows, versions
from dyadwatch.errors import CodebookError, did_you_mean

EVENT_TABLE_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("goldstein", pa.float32(), nullable=False),
        pa.field("quad_class", pa.int8(), nullable=False),
        pa.field("root", pa.string(), nullable=False),
    ]
)
"""Arrow schema of :meth:`Cameo.event_table` (matches the canonical event's code columns)."""

FIPS_TABLE_SCHEMA = pa.schema(
    [
        pa.field("fips", pa.string(), nullable=False),
        pa.field("iso3", pa.string(), nullable=False),
        pa.field("cameo", pa.string()),
        pa.field("name", pa.string(), nullable=False),
    ]
)
"""Arrow schema of :meth:`Cameo.fips_table`; ``cameo`` is null where CAMEO has no code."""

_CODES_HELP = (
    "CAMEO event codes are strings of 2-4 digits with their leading zeros (e.g. '010', "
    "'0211', '190'); the full list is dyadwatch/codebooks/data/cameo_events.csv."
)


@dataclass(frozen=True, slots=True)
class EventCode:
    """One CAMEO event code.

    Attributes
    ----------
    code : str
        The code with its leading zeros, e.g. ``"0211"``.
    name : str
        Short CAMEO name, e.g. ``"Appeal for economic cooperation"`` (roots are upper case).
    goldstein : float
        Goldstein conflict-cooperation weight, -10.0 … +10.0 (GDELT's table).
    quad_class : int
        1 verbal cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict.
    root : str
        The two-digit root, e.g. ``"02"``.

    Examples
    --------
    >>> cameo().event("0211")
    EventCode(code='0211', name='Appeal for economic cooperation', goldstein=3.4, quad_class=1, root='02')
    """  # noqa: E501

    code: str
    name: str
    goldstein: float
    quad_class: int
    root: str


@dataclass(frozen=True, slots=True)
class FipsCountry:
    """A FIPS 10-4 country code (GDELT geography) with its ISO3 and CAMEO equivalents."""

    fips: str
    iso3: str
    cameo: str | None
    name: str


@dataclass(frozen=True, eq=False)
class Cameo:
    """The loaded CAMEO codebook. Get it with :func:`cameo`; it is immutable and shared.

    Attributes
    ----------
    version : str
        Codebook version, e.g. ``"cameo-1.1b3+gdelt-lookups.dw1"``; stored with derived data.
    events : Mapping[str, EventCode]
        Every event code (roots included), keyed by code.
    countries : Mapping[str, str]
        CAMEO country and region codes → label (``"MEX"`` → ``"Mexico"``).
    agent_types : Mapping[str, str]
        CAMEO actor role/type codes → label (``"COP"`` → ``"Police forces"``).
    known_groups : Mapping[str, str]
        CAMEO known-group codes → label (``"UNO"``-style organisations, armed groups).
    fips : Mapping[str, FipsCountry]
        FIPS 10-4 country code → its ISO3 and CAMEO codes.
    """

    version: str
    events: Mapping[str, EventCode]
    countries: Mapping[str, str]
    agent_types: Mapping[str, str]
    known_groups: Mapping[str, str]
    fips: Mapping[str, FipsCountry]
    _event_table: pa.Table = field(repr=False)
    _fips_table: pa.Table = field(repr=False)

    def event(self, code: str) -> EventCode:
        """Return the event code ``code``; raise :class:`CodebookError` if it is unknown.

        Parameters
        ----------
        code : str
            A CAMEO event code with its leading zeros, e.g. ``"010"``.

        Raises
        ------
        CodebookError
            If ``code`` is not a CAMEO event code; the message suggests the nearest code.

        Examples
        --------
        >>> cameo().event("010").name
        'Make statement, not specified below'
        >>> cameo().event("12")  # the root REJECT, not 012
        EventCode(code='12', name='REJECT', goldstein=-4.0, quad_class=3, root='12')
        """
        if isinstance(code, str) and code in self.events:
            return self.events[code]
        raise CodebookError(self._unknown_message(code))

    def _unknown_message(self, code: object) -> str:
        repaired = self.normalise_event_code(code)  # type: ignore[arg-type]
        if repaired is not None:
            hint = (
                f" Did you mean {repaired}? (leading zeros matter; "
                "Cameo.normalise_event_code repairs codes a spreadsheet has stripped)"
            )
        else:
            hint = did_you_mean(str(code).strip(), self.events)
        kind = "" if isinstance(code, str) else f" (given as {type(code).__name__}; codes are str)"
        return f"Unknown CAMEO event code {code!r}{kind}.{hint} {_CODES_HELP}"

    def is_event_code(self, code: object) -> bool:
        """Whether ``code`` is exactly a CAMEO event code (a ``str`` with its leading zeros).

        >>> cameo().is_event_code("010"), cameo().is_event_code("10"), cameo().is_event_code(10)
        (True, True, False)
        >>> cameo().is_event_code("0101")
        False
        """
        return isinstance(code, str) and code in self.events

    def normalise_event_code(self, raw: str | int | None) -> str | None:
        """Return the CAMEO event code ``raw`` stands for, repairing a lost leading zero.

        The rule (no CAMEO code starts with ``00``, so at most one zero can have been lost):

        1. ``None``, booleans, negative numbers and anything that is not all ASCII digits
           after stripping whitespace (``""``, ``"12.0"``, ``"--"``) → ``None``.
        2. A value that starts with ``0`` was not stripped: it is returned if it is a code
           (``"010"``, ``"0211"``, ``"01"``), else ``None``.
        3. A value of three or more digits is returned if it is a code (``"110"``, ``"190"``),
           else with a ``0`` prepended if that is a code (``"211"`` → ``"0211"``), else ``None``.
        4. A value of one or two digits is read as a code that lost its leading zero:
           ``"12"`` → ``"012"``, ``"43"`` → ``"043"``, ``"1"`` → ``"01"``. So the bare roots
           ``"10"`` … ``"20"`` come back as ``"010"`` … ``"020"``: in a code column a
           spreadsheet turns ``012`` into ``12``, and that is the case this repairs. If the
           padded value is not a code the value itself is returned if it is one, else ``None``
           (``"47"`` → ``None``). To check a root code as written, use :meth:`is_event_code`.

        For three and four digits the rule is unambiguous: no code ``X`` has ``"0" + X``
        also a code. Integers are read as their decimal digits (``12`` → ``"012"``).

        Examples
        --------
        >>> book = cameo()
        >>> [book.normalise_event_code(x) for x in ("12", "43", "110", 211, " 0211 ", "999")]
        ['012', '043', '110', '0211', '0211', None]
        """
        if raw is None or isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            if raw < 0:
                return None
            text = str(raw)
        elif isinstance(raw, str):
            text = raw.strip()
        else:
            return None
        if not text or not text.isascii() or not text.isdigit():
            return None
        if text.startswith("0"):
            return text if text in self.events else None
        padded = "0" + text
        candidates = (padded, text) if len(text) <= 2 else (text, padded)
        for candidate in candidates:
            if candidate in self.events:
                return candidate
        return None

    def event_table(self) -> pa.Table:
        """All event codes as an Arrow table, for vectorised joins (DuckDB, polars).

        Columns: ``code`` (string), ``name`` (string), ``goldstein`` (float32),
        ``quad_class`` (int8), ``root`` (string); see :data:`EVENT_TABLE_SCHEMA`.

        Examples
        --------
        >>> t = cameo().event_table()
        >>> t.num_rows, t.schema.field("goldstein").type
        (311, DataType(float))
        """
        return self._event_table

    def is_country(self, code: object) -> bool:
        """Whether ``code`` is a CAMEO country or region code (``"MEX"``, ``"USA"``, ``"LAM"``).

        >>> cameo().is_country("MEX"), cameo().is_country("MX")
        (True, False)
        """
        return isinstance(code, str) and code in self.countries

    def country(self, code: str) -> str:
        """Return the label of CAMEO country code ``code``; raise if it is unknown.

        >>> cameo().country("USA")
        'United States'
        """
        if isinstance(code, str) and code in self.countries:
            return self.countries[code]
        hint = did_you_mean(str(code).upper(), self.countries)
        fips = self.fips_to_cameo(code) if isinstance(code, str) else None
        if fips is not None:
            hint = f" {code!r} is a FIPS 10-4 code; its CAMEO code is {fips}."
        raise CodebookError(
            f"Unknown CAMEO country code {code!r}.{hint} CAMEO country codes are three "
            "upper-case letters (mostly ISO 3166 alpha-3, e.g. 'MEX', 'USA')."
        )

    def agent_type(self, code: str) -> str:
        """Return the label of CAMEO actor type ``code`` (``"MIL"`` → ``"Military"``).

        >>> cameo().agent_type("SPY")
        'State Intelligence'
        """
        if isinstance(code, str) and code in self.agent_types:
            return self.agent_types[code]
        raise CodebookError(
            f"Unknown CAMEO agent type {code!r}.{did_you_mean(str(code).upper(), self.agent_types)}"
            f" Known types: {', '.join(sorted(self.agent_types))}."
        )

    def fips_to_iso3(self, fips: str | None) -> str | None:
        """ISO 3166 alpha-3 code of a FIPS 10-4 country code, or ``None`` if unknown.

        GDELT's geography fields (``ActionGeo_CountryCode``) use FIPS 10-4, which differs
        from ISO for many countries (FIPS ``MX`` → ``MEX``, but FIPS ``RS`` is Russia).

        >>> cameo().fips_to_iso3("MX"), cameo().fips_to_iso3("us"), cameo().fips_to_iso3("ZZ")
        ('MEX', 'USA', None)
        """
        row = self._fips_row(fips)
        return row.iso3 if row else None

    def fips_to_cameo(self, fips: str | None) -> str | None:
        """CAMEO country code of a FIPS 10-4 code (``"RO"`` → ``"ROM"``), or ``None``.

        ``None`` also when CAMEO has no code for that country (e.g. South Sudan).

        >>> cameo().fips_to_cameo("MX"), cameo().fips_to_cameo("RO")
        ('MEX', 'ROM')
        """
        row = self._fips_row(fips)
        return row.cameo if row else None

    def _fips_row(self, fips: str | None) -> FipsCountry | None:
        if not isinstance(fips, str):
            return None
        return self.fips.get(fips.strip().upper())

    def fips_table(self) -> pa.Table:
        """FIPS 10-4 → ISO3 → CAMEO as an Arrow table (columns ``fips, iso3, cameo, name``).

        >>> cameo().fips_table().column_names
        ['fips', 'iso3', 'cameo', 'name']
        """
        return self._fips_table


def _labels(name: str) -> Mapping[str, str]:
    return MappingProxyType({row["code"]: row["label"] for row in read_rows(name)})


@functools.cache
def cameo() -> Cameo:
    """Load the CAMEO codebook from the package data (once; later calls share it).

    Examples
    --------
    >>> book = cameo()
    >>> book.version
    'cameo-1.1b3+gdelt-lookups.dw1'
    >>> book.event("044").name
    'Meet at a "third" location'
    """
    events = {
        row["code"]: EventCode(
            code=row["code"],
            name=row["name"],
            goldstein=float(row["goldstein"]),
            quad_class=int(row["quad_class"]),
            root=row["root"],
        )
        for row in read_rows("cameo_events.csv")
    }
    event_table = pa.table(
        {
            "code": [e.code for e in events.values()],
            "name": [e.name for e in events.values()],
            "goldstein": [e.goldstein for e in events.values()],
            "quad_class": [e.quad_class for e in events.values()],
            "root": [e.root for e in events.values()],
        },
        schema=EVENT_TABLE_SCHEMA,
    )
    fips = {
        row["fips"]: FipsCountry(
            fips=row["fips"], iso3=row["iso3"], cameo=row["cameo"] or None, name=row["name"]
        )
        for row in read_rows("fips_countries.csv")
    }
    fips_table = pa.table(
        {
            "fips": [f.fips for f in fips.values()],
            "iso3": [f.iso3 for f in fips.values()],
            "cameo": [f.cameo for f in fips.values()],
            "name": [f.name for f in fips.values()],
        },
        schema=FIPS_TABLE_SCHEMA,
    )
    return Cameo(
        version=versions()["cameo"],
        events=MappingProxyType(events),
        countries=_labels("cameo_countries.csv"),
        agent_types=_labels("cameo_types.csv"),
        known_groups=_labels("cameo_knowngroups.csv"),
        fips=MappingProxyType(fips),
        _event_table=event_table,
        _fips_table=fips_table,
    )
