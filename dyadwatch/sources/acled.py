"""ACLED: the Armed Conflict Location & Event Data project's events (Mexico from 2018).

Registered as ``acled``; events are stored as source ``acled``. Reads ACLED's CSV exports —
comma-separated, quoted, a header of 31 columns ``event_id_cnty, event_date, year,
time_precision, disorder_type, event_type, sub_event_type, actor1, assoc_actor_1, inter1,
actor2, assoc_actor_2, inter2, interaction, civilian_targeting, iso, region, country,
admin1, admin2, admin3, location, latitude, longitude, geo_precision, source,
source_scale, notes, fatalities, tags, timestamp`` (:data:`COLUMNS`), and older exports
with fewer (no ``disorder_type``, ``civilian_targeting`` or ``tags``; extra columns are
ignored) — and the months its API delivers (:mod:`dyadwatch.sources.acled_api`), which are
written in the same layout.

ACLED records events *in a country*, between actors that are mostly of that country, so a
dyad filter would keep almost nothing. The filter is by country instead: an event is kept
when it took place in, or names an actor of, a country of a watched dyad (Mexico and the
United States by default). The index's ``scope`` step then tells the few state-to-state
events from the security environment.

Mapping:

=====================  ====================================================================
canonical              from
=====================  ====================================================================
``source_key``         ``event_id_cnty`` (``MEX1234``)
``event_date``         ``event_date`` (``2021-01-02``, ``2021-01-02T00:00:00Z`` or
                       ``02 January 2021``); ``date_precision`` from ``time_precision``
                       (1 a day; 2, within a week, and 3, within a month, are ``month``)
``actor*_name``        ``actor1`` / ``actor2``
``actor*_country``     the country the actor's name gives (``Police Forces of Mexico
                       (2018-)``, ``Civilians (Mexico)``), else the event's country
``actor*_agent``       ``inter1`` / ``inter2`` (:func:`agent_for`): state forces are ``COP``,
                       ``GOV`` or ``MIL`` by their name; rebels ``REB``; political and
                       identity militias ``UAF`` — ``CRM`` when the name is a cartel's or a
                       gang's; rioters, protesters and civilians ``CVL``; external forces by
                       their name
``cameo_code``         ``event_type`` / ``sub_event_type`` through the crosswalk in
                       ``data/acled_crosswalk.csv`` (with its reason for each code; five
                       strategic developments have no CAMEO equivalent and stay unscored)
``plover_*``           from the CAMEO code (the codebook's crosswalk), except where the ACLED
                       table overrides it (a grenade is an explosive, not a suicide attack)
``fatalities``         ``fatalities``
``action_*``           ``country`` (→ code), ``location, admin2, admin1``, coordinates
``summary``            ``notes``
``attributes``         ``event_type``, ``sub_event_type``, ``disorder_type``, ``inter1``,
                       ``inter2``, ``interaction``, ``civilian_targeting``, the associated
                       actors, ``time_precision``, ``geo_precision``, ``source``,
                       ``source_scale``, ``tags``, ``admin1..3``, ``iso``, ``region``
=====================  ====================================================================

Lost in the mapping: the sub-event type's detail beyond its CAMEO code (kept in
``attributes``), the associated actors as actors (kept as names), and the exact week of a
``time_precision`` 2 event.

Set aside with a reason: an event or sub-event type not in the crosswalk, an ``inter`` code
that is not one of ACLED's eight categories (0, no actor, is allowed for actor 2), and the
checks every source gets (dates, numbers, ranges).

``known_at``: ACLED's ``timestamp`` — when the row was last changed in ACLED's database
(Unix time) — never earlier than the start of the event's day. A row ACLED revised later is
dated by its revision: point-in-time queries may see it later than it first appeared, never
earlier. Without a timestamp, the end of the event's day.

Terms: ACLED's data are free to use under ACLED's Terms of Use, which require attribution
and restrict redistribution of the data themselves: dyadwatch stores them for the analyst's
own use, and a partner release that includes them must respect those terms.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import io
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.errors import UsageError
from dyadwatch.settings import Settings
from dyadwatch.sources.acled_api import BASE_URL, AcledApi, Credentials
from dyadwatch.sources.base import Artifact, Reject
from dyadwatch.sources.download import FetchResult, Progress
from dyadwatch.sources.eventfile import (
    EventFileSource,
    join_present,
    not_before_day,
    parse_dyads,
    set_aside_rows,
    to_json,
)
from dyadwatch.sources.fetch import Fetcher, download_settings
from dyadwatch.sources.lookups import country_codes
from dyadwatch.sources.remote import RemoteFile
from dyadwatch.sources.tabular import apply, lookup, strptime_strict

COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
"""ACLED's export and API columns (31), in order."""

ATTRIBUTE_COLUMNS = (
    "event_type",
    "sub_event_type",
    "disorder_type",
    "inter1",
    "inter2",
    "interaction",
    "civilian_targeting",
    "assoc_actor_1",
    "assoc_actor_2",
    "time_precision",
    "geo_precision",
    "source",
    "source_scale",
    "tags",
    "admin1",
    "admin2",
    "admin3",
    "iso",
    "region",
    "timestamp",
)
"""ACLED's columns kept, as given, in each event's ``attributes``."""

INTER_CATEGORIES: Mapping[str, int] = {
    "state forces": 1,
    "rebel group": 2,
    "rebel groups": 2,
    "political militia": 3,
    "political militias": 3,
    "identity militia": 4,
    "identity militias": 4,
    "rioters": 5,
    "protesters": 6,
    "civilians": 7,
    "external/other forces": 8,
    "external forces": 8,
    "other forces": 8,
}
"""ACLED's actor categories written in words (the API without ``inter_num``) → their code."""

_CRIME = re.compile(
    r"cartel|gang|mara\b|zetas|cjng|sinaloa|narco|criminal|drug|sicario|clan del golfo",
    re.IGNORECASE,
)
_POLICE = re.compile(r"police|policía|guardia nacional|national guard|gendarm", re.IGNORECASE)
_MILITARY = re.compile(r"military|army|navy|marine|air force|armed forces", re.IGNORECASE)
_GOVERNMENT = re.compile(r"government|ministry|president|governor|mayor", re.IGNORECASE)
_UN = re.compile(r"united nations|\bun\b", re.IGNORECASE)
_PARENS = re.compile(r"\(([^()]*)\)")
_OF = re.compile(r"\bof (?:the )?([A-Z][\w' .-]*?)(?:\s*\(|$)")

log = logging.getLogger(__name__)

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%d %B %Y")


@functools.cache
def crosswalk() -> Mapping[tuple[str, str], dict[str, str | None]]:
    """``(event_type, sub_event_type)`` (lower case) → CAMEO code, PLOVER override, note."""
    text = (
        importlib.resources.files("dyadwatch.sources")
        .joinpath("data/acled_crosswalk.csv")
        .read_text("utf-8")
    )
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["event_type"].strip().lower(), row["sub_event_type"].strip().lower())
        out[key] = {k: (v or None) for k, v in row.items()}
    return out


ACLED_COUNTRY_NAMES: Mapping[str, str] = {"USA": "United States", "MEX": "Mexico"}
"""Country code → the name ACLED's API is queried by, where the look-up table has several
names for one code (its territories)."""


def acled_country_name(code: str) -> str:
    """The country name ACLED writes for a three-letter code.

    >>> acled_country_name("USA"), acled_country_name("MMR")
    ('United States', 'Myanmar')
    """
    if code in ACLED_COUNTRY_NAMES:
        return ACLED_COUNTRY_NAMES[code]
    names = sorted(n for n, c in country_codes().items() if c == code)
    if not names:
        raise UsageError(f"no country name is known for {code!r}; ACLED is queried by name.")
    return min(names, key=len)


def inter_code(value: str | None) -> int | None:
    """An ``inter1``/``inter2`` value (a digit or ACLED's words) → 0–8, or None if neither.

    >>> inter_code("1"), inter_code("State forces"), inter_code("0"), inter_code("9")
    (1, 1, 0, None)
    """
    if value is None:
        return 0
    text = value.strip()
    if text.isdigit():
        n = int(text)
        return n if 0 <= n <= 8 else None
    return INTER_CATEGORIES.get(text.lower())


def agent_for(inter: str | None, name: str | None) -> str | None:
    """The CAMEO agent code of an ACLED actor, from its category and its name.

    >>> agent_for("1", "Police Forces of Mexico (2018-) State Police")
    'COP'
    >>> agent_for("1", "Military Forces of Mexico (2018-)"), agent_for("3", "CJNG: Jalisco Cartel")
    ('MIL', 'CRM')
    >>> agent_for("7", "Civilians (Mexico)"), agent_for("0", None)
    ('CVL', None)
    """
    code = inter_code(inter)
    if not code or name is None:
        return None
    if code in (1, 8):
        if _POLICE.search(name):
            return "COP"
        if _MILITARY.search(name):
            return "MIL"
        if _GOVERNMENT.search(name):
            return "GOV"
        if code == 8:
            return "IGO" if _UN.search(name) else "UAF"
        return "MIL"
    if code == 2:
        return "REB"
    if code in (3, 4):
        return "CRM" if _CRIME.search(name) else "UAF"
    return "CVL"


def country_of_actor(name: str, countries: Mapping[str, str]) -> str | None:
    """The country an ACLED actor name names, if any.

    >>> cc = {"Mexico": "MEX", "United States": "USA"}
    >>> country_of_actor("Military Forces of Mexico (2018-)", cc)
    'MEX'
    >>> country_of_actor("Civilians (United States)", cc), country_of_actor("CJNG", cc)
    ('USA', None)
    """
    for inside in reversed(_PARENS.findall(name)):
        code = countries.get(inside.strip())
        if code:
            return code
    for candidate in _OF.findall(name):
        code = countries.get(candidate.strip())
        if code:
            return code
    return None


def parse_dates(values: Any) -> Any:
    """ACLED's date forms → date32 (null where none fits).

    >>> days = pa.array(["2021-01-02", "2021-01-02T00:00:00Z", "02 January 2021", "x"])
    >>> [str(d) for d in parse_dates(days).to_pylist()]
    ['2021-01-02', '2021-01-02', '2021-01-02', 'None']
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    first, *others = DATE_FORMATS
    out = strptime_strict(values, first)
    # The first form that reads a value wins; later forms are tried only on what is left
    # (an export uses one form: the others would parse every row for nothing).
    for form in others:
        left = pc.and_(pc.is_valid(values), pc.is_null(out))
        if not pc.any(left).as_py():
            break
        parsed = strptime_strict(values.filter(left), form)
        out = pc.replace_with_mask(out, left, parsed)
    return pc.cast(out, pa.date32())


class AcledSource(Fetcher, EventFileSource):
    """ACLED events (acleddata.com; ACLED's Terms of Use: attribution, no redistribution)."""

    name: ClassVar[str] = "acled"
    label: ClassVar[str] = "ACLED"
    credential_settings: ClassVar[tuple[str, ...]] = ("acled_username", "acled_password")
    stored_as: ClassVar[str] = "acled"
    codebook: ClassVar[str] = "acled"
    schema_versions: ClassVar[tuple[str, ...]] = ("acled-export-31", "acled-export-30")
    about: ClassVar[str] = (
        "ACLED, Armed Conflict Location & Event Data (acleddata.com): used under ACLED's "
        "Terms of Use, which require attribution and restrict redistribution of the data; "
        "downloading needs a myACLED account. Mexico is covered from 2018."
    )
    delimiter: ClassVar[str] = ","
    quoted: ClassVar[bool] = True
    required: ClassVar[tuple[str, ...]] = (
        "event_id_cnty",
        "event_date",
        "event_type",
        "sub_event_type",
        "actor1",
        "inter1",
        "country",
    )
    kind_of_file: ClassVar[str] = "an ACLED export"
    key_columns: ClassVar[tuple[str, ...]] = ()
    """One full pass: an ACLED export is already one country's events, nearly all kept."""
    default_confidence: float = 0.8
    """ACLED is coded by researchers from sources they review, not by a machine: its events
    are more often real than machine-coded ones (0.5), less often than a verified curated
    event (0.9)."""

    def __init__(
        self,
        *,
        dyads: Sequence[str] = ("USA-MEX",),
        known_at: date | datetime | None = None,
        cache_dir: Path | None = None,
        base_url: str = BASE_URL,
        credentials: Credentials | None = None,
        retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 1.0,
        today: date | None = None,
        progress: Progress | None = None,
    ) -> None:
        super().__init__(dyads=(), known_at=known_at)
        self.countries = tuple(sorted({c for pair in parse_dyads(dyads) for c in pair}))
        self.api = AcledApi(
            countries=[acled_country_name(c) for c in self.countries],
            cache_dir=Path(cache_dir) if cache_dir is not None else Path(".dyadwatch/cache"),
            credentials=credentials,
            base_url=base_url,
            retries=retries,
            timeout=timeout,
            backoff=backoff,
            today=today,
            columns=COLUMNS,
            progress=progress,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> AcledSource:
        args = {
            **download_settings(settings),
            "credentials": Credentials.from_settings(settings),
        }
        args.update(kw)
        return cls(**args)

    # --- downloads ---------------------------------------------------------------------------

    def fetch(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        after: datetime | None = None,
        skip: Iterable[str] = (),
        retry: Sequence[RemoteFile] = (),
    ) -> FetchResult:
        """Download the watched countries' months from ACLED's API (see
        :mod:`dyadwatch.sources.acled_api`); the gap report lists the months that failed."""
        return self.api.fetch(since, until, after=after, skip=skip, retry=retry)

    def gap_key(self, file: RemoteFile) -> str:
        """A month's artifact key: ``acled-<country>-<YYYY-MM>.csv``."""
        return f"{file.name}.csv"

    def retry_files(self, files: Sequence[RemoteFile]) -> list[RemoteFile]:
        """Earlier failed months of the watched countries, rebuilt on this run's server."""
        units = [self.api.parse_unit(f.name) for f in files]
        out = [self.api.unit(*u) for u in units if u is not None]
        return sorted(out, key=lambda f: (f.start, f.name))

    def resume_after(self, keys: Iterable[str]) -> datetime | None:
        """Start of the latest month of a watched country among the ingested ``keys``."""
        starts = []
        for key in keys:
            name = Path(key).name
            unit = self.api.parse_unit(name.removesuffix(".csv")) if name.endswith(".csv") else None
            if unit is not None:
                starts.append(datetime.combine(unit[1], datetime.min.time(), UTC))
        return max(starts) if starts else None

    def where(self) -> str:
        return f"ACLED's API at {self.api.base_url.rstrip('/')}"

    def discover(self, since: date | None = None, until: date | None = None) -> Iterator[Artifact]:
        """Fetch the period and yield the months that arrived; gaps are logged."""
        result = self.fetch(since, until)
        for gap in result.gaps.gaps:
            log.warning("gap: %s %s–%s %s", gap.stream, gap.start, gap.end, gap.reason)
        yield from result.artifacts

    # --- reading -----------------------------------------------------------------------------

    def keys(self, table: pa.Table) -> tuple[Any, Any, Any]:
        countries = country_codes()
        event_country = lookup(table.column("country"), countries)
        a1 = self._actor_country(table, "actor1", event_country)
        a2 = self._actor_country(table, "actor2", event_country)
        return parse_dates(table.column("event_date")), a1, a2

    def _actor_country(self, table: pa.Table, column: str, fallback: Any) -> Any:
        if column not in table.column_names:
            return pa.nulls(table.num_rows, pa.string())
        names = table.column(column)
        named = apply(names, lambda v: country_of_actor(v, country_codes()))
        return pc.if_else(pc.is_valid(names), pc.coalesce(named, fallback), named)

    def keep(self, table: pa.Table, a1: Any, a2: Any) -> Any:
        """The events in, or naming an actor of, a country of the watched dyads."""
        if not self.countries:
            return pa.array([True] * table.num_rows)
        wanted = pa.array(self.countries, pa.string())
        event_country = lookup(table.column("country"), country_codes())
        keep = pc.or_(
            pc.or_(pc.is_in(event_country, wanted), pc.is_in(a1, wanted)), pc.is_in(a2, wanted)
        )
        return pc.fill_null(keep, False)

    def validate(self, table: pa.Table, rejects: list[Reject]) -> pa.Table:
        """Set aside unknown event types and actor categories."""
        walk = crosswalk()
        key = join_present(
            [
                pc.utf8_lower(table.column("event_type")),
                pc.utf8_lower(table.column("sub_event_type")),
            ],
            "\x1f",
        )
        known = apply(key, lambda v: "1" if tuple(v.split("\x1f")) in walk else None)
        bad_type = pc.is_null(known)
        table = set_aside_rows(
            table,
            bad_type,
            lambda r: (
                f"event_type {r['event_type']!r} / sub_event_type {r['sub_event_type']!r} is "
                "not in ACLED's typology (data/acled_crosswalk.csv)"
            ),
            "sub_event_type",
            rejects,
        )
        for column in ("inter1", "inter2"):
            if column not in table.column_names:
                continue
            ok = apply(table.column(column), lambda v: "1" if inter_code(v) is not None else None)
            bad = pc.and_(pc.is_valid(table.column(column)), pc.is_null(ok))
            if column == "inter1":
                # Actor 1 is required: 0 (no actor) is allowed for actor 2 only.
                zero = pc.equal(pc.utf8_trim_whitespace(table.column(column)), "0")
                bad = pc.or_(pc.fill_null(bad, False), pc.fill_null(zero, False))
            table = set_aside_rows(
                table,
                bad,
                functools.partial(_bad_inter, column),
                column,
                rejects,
            )
        return table

    def to_canonical(
        self, table: pa.Table, artifact: Artifact, rejects: list[Reject]
    ) -> dict[str, Any]:
        n = table.num_rows

        def col(name: str) -> Any:
            if name in table.column_names:
                return table.column(name)
            return pa.nulls(n, pa.string())

        day, a1, a2 = self.keys(table)
        walk = crosswalk()
        key = join_present(
            [pc.utf8_lower(col("event_type")), pc.utf8_lower(col("sub_event_type"))], "\x1f"
        )

        def field(name: str) -> Any:
            return apply(key, lambda v: walk.get(tuple(v.split("\x1f")), {}).get(name))

        inter1, inter2 = col("inter1"), col("inter2")
        agent1 = _agents(inter1, col("actor1"))
        agent2 = _agents(inter2, col("actor2"))
        known: Any = pa.nulls(n, pa.timestamp("us", tz="UTC"))
        release = self.release_time(artifact)
        raw = col("timestamp")
        numeric = pc.fill_null(pc.match_substring_regex(raw, r"^\s*\d{1,12}(\.\d*)?\s*$"), False)
        stamp = pc.cast(
            pc.cast(pc.if_else(numeric, raw, pa.scalar(None, pa.string())), pa.float64()),
            pa.int64(),
            safe=False,
        )
        if release is not None:
            known = not_before_day(pa.array([release] * n, pa.timestamp("us", tz="UTC")), day)
        else:
            seconds = pc.cast(pc.multiply(stamp, 1_000_000), pa.timestamp("us"))
            known = not_before_day(pc.cast(seconds, pa.timestamp("us", tz="UTC")), day)
        precision = apply(col("time_precision"), lambda v: "day" if v.strip() == "1" else "month")
        return {
            "source_key": col("event_id_cnty"),
            "event_date": day,
            "date_precision": pc.coalesce(precision, pa.scalar("day")),
            "known_at": known,
            "actor1_name": col("actor1"),
            "actor1_country": a1,
            "actor1_agent": agent1,
            "actor2_name": col("actor2"),
            "actor2_country": a2,
            "actor2_agent": agent2,
            "cameo_code": field("cameo_code"),
            "plover_type": field("plover_type"),
            "plover_mode": field("plover_mode"),
            "plover_context": field("plover_context"),
            "fatalities": col("fatalities"),
            "action_country": lookup(col("country"), country_codes()),
            "action_name": join_present(
                [col("location"), col("admin2"), col("admin1"), col("country")], ", "
            ),
            "action_lat": col("latitude"),
            "action_lon": col("longitude"),
            "summary": col("notes"),
            "attributes": to_json({name: col(name) for name in ATTRIBUTE_COLUMNS}),
        }


def _bad_inter(column: str, row: dict[str, Any]) -> str:
    allowed = "1–8" if column == "inter1" else "1–8, or 0 for no actor"
    return f"{column} {row[column]!r} is not an ACLED actor category ({allowed})"


def _agents(inter: Any, names: Any) -> Any:
    key = join_present([pc.fill_null(inter, "0"), names], "\x1f")
    return apply(key, lambda v: agent_for(*[*v.split("\x1f", 1), None][:2]))


__all__ = [
    "COLUMNS",
    "INTER_CATEGORIES",
    "AcledSource",
    "agent_for",
    "country_of_actor",
    "crosswalk",
    "inter_code",
    "parse_dates",
]
