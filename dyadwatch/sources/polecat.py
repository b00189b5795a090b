"""POLECAT: the PLOVER-coded global event data that succeeded ICEWS, from Harvard Dataverse.

Registered as ``polecat``; events are stored as source ``polecat``. The Dataverse dataset
"POLECAT Weekly Data" (doi:10.7910/DVN/AJGVIT) holds weekly releases
(``ngecEvents.20230103111842.Release603.DV.txt``, named by their production time) and yearly
files (``ngecEventsDV-2022.txt.zip``, ``ngecEvents.DV.2018.txt``): tab-separated, ISO-8859-1,
with a header naming the columns (:data:`COLUMNS`; 39 or 40 of them — files differ, e.g.
``Intensity`` or ``Event Intensity``, and some add ``Headline``, ``Event Text``, ``Feed`` or
``Story ID``). Columns are read by name; only ``Event ID``, ``Event Date``, ``Event Type``,
``Actor Country`` and ``Recipient Country`` are required.

Known malformed releases, repaired with a note (logged, and in each repaired event's
``attributes``) or set aside with a reason:

- a header with a ``Headline`` column that its rows do not have (one name more than every
  row has fields): the name is dropped and the rows read by the rest;
- stray tabs: a row with empty fields after its last column has them dropped; a row whose
  extra fields hold text is set aside (it cannot be told which field is extra).

Mapping:

=====================  ====================================================================
canonical              from
=====================  ====================================================================
``source_key``         ``Event ID``
``event_date``         ``Event Date``
``plover_type``        ``Event Type`` (PLOVER, upper case); ``plover_mode`` ``Event Mode``;
                       ``plover_context`` ``Contexts`` (``;``-joined)
``cameo_code``         from the PLOVER type, mode and contexts (:mod:`.crosswalk`, with the
                       losses of that direction written down there); root and Goldstein
                       follow from the code
``quad_class``         ``Quad Code`` (``VERBAL COOPERATION`` … ``MATERIAL CONFLICT``)
``actor*_country``     ``Actor Country`` / ``Recipient Country`` (the first, when several)
``actor*_agent``       ``Primary Actor Sector`` and ``Actor Sectors`` (recipient alike):
                       state organs first (:mod:`.sectors`)
``actor*_name``        ``Actor Name`` / ``Recipient Name``
``action_*``           ``Placename`` (else ``City, District, Province``), ``Country``,
                       ``Latitude`` / ``Longitude``
``attributes``         ``Intensity``, contexts, both sector lists and titles, COW codes,
                       Wikipedia ids, ``Source``, ``Language``, ``Version``, GeoNames id
=====================  ====================================================================

Lost: the actors' other sectors, titles and Wikipedia ids as fields (kept in
``attributes``); POLECAT's ``Intensity`` as the event's score — ``goldstein`` is the CAMEO
code's, so that every source is on one scale (the intensity is kept in ``attributes``).

``known_at``: the story's ``Publication Date`` (the end of that day when it is a date only),
never earlier than the start of the event's day; else the release of the file (the
``--known-at`` option, its Dataverse publication time, or the production stamp in its name);
else the end of the event's day.

Terms: POLECAT is released for research and education use (see its Dataverse page for the
full terms); cite the dataset.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.sources.base import Artifact, Reject
from dyadwatch.sources.crosswalk import cameo_for, plover_types, quad_class_for
from dyadwatch.sources.dataverse import (
    DataverseSource,
    Interval,
    stamp,
    year_interval,
)
from dyadwatch.sources.eventfile import (
    EventFileSource,
    actor_code,
    end_of_day,
    iso_days,
    join_present,
    not_before_day,
    set_aside_rows,
    to_json,
)
from dyadwatch.sources.lookups import country_codes
from dyadwatch.sources.sectors import agent_for_sector, pick_agent, split_sectors
from dyadwatch.sources.tabular import apply, strptime_strict

log = logging.getLogger(__name__)

DATASET = "doi:10.7910/DVN/AJGVIT"
"""POLECAT Weekly Data on Harvard Dataverse."""

COLUMNS = (
    "Event ID",
    "Event Date",
    "Event Type",
    "Event Mode",
    "Intensity",
    "Quad Code",
    "Contexts",
    "Actor Name",
    "Actor Country",
    "Actor COW",
    "Primary Actor Sector",
    "Actor Sectors",
    "Actor Title",
    "Actor Name Raw",
    "Wikipedia Actor ID",
    "Recipient Name",
    "Recipient Country",
    "Recipient COW",
    "Primary Recipient Sector",
    "Recipient Sectors",
    "Recipient Title",
    "Recipient Name Raw",
    "Wikipedia Recipient ID",
    "Placename",
    "City",
    "District",
    "Province",
    "Country",
    "Latitude",
    "Longitude",
    "GeoNames ID",
    "Raw Placename",
    "Feature Type",
    "Source",
    "Publication Date",
    "Story People",
    "Story Organizations",
    "Story Locations",
    "Language",
    "Version",
)
"""The POLECAT header as a published loader quotes it (the Temporal Graph Benchmark's
``tkgl-polecat`` script, read through a code search: 40 names). Other releases write
``Event Intensity`` for ``Intensity`` and have 39 columns; both are read by name."""

EXTRA_HEADER = "Headline"
"""The column name some releases have in the header only (A. Beger, "POLECAT Event Data",
andybeger.com, 2024: "files with excess column names in the first row")."""

_YEARLY = re.compile(r"ngecEvents\W*DV\W*(?P<year>\d{4})(?!\d)")
_WEEKLY = re.compile(r"ngecEvents\.(?P<stamp>\d{14})\.")
_STAMP = re.compile(r"(?<!\d)(?P<stamp>\d{14})(?!\d)")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ")


def classify(name: str) -> Interval | None:
    """The interval a POLECAT Dataverse file covers, from its name (None: not event data).

    A weekly release is taken to cover the 7 days before its production stamp (its events
    are those coded in the week it closes); a yearly file, its year.

    >>> classify("ngecEventsDV-2022.txt.zip")[:2]
    ('yearly', datetime.datetime(2022, 1, 1, 0, 0, tzinfo=datetime.timezone.utc))
    >>> classify("ngecEvents.20230103111842.Release603.DV.txt")[1].date()
    datetime.date(2022, 12, 27)
    >>> classify("POLECAT_codebook.pdf") is None
    True
    """
    m = _WEEKLY.search(name)
    if m:
        produced = stamp(m["stamp"])
        if produced is None:
            return None
        start = datetime.combine(produced.date() - timedelta(days=7), datetime.min.time(), UTC)
        return "weekly", start, produced, produced
    m = _YEARLY.search(name)
    if m:
        start, end = year_interval(int(m["year"]))
        return "yearly", start, end, None
    return None


def parse_times(values: Any) -> Any:
    """Publication dates/times → timestamps (UTC); a date alone → the end of that day.

    >>> [t.isoformat() for t in parse_times(pa.array(["2021-01-19", "2021-01-19 08:30:00"])
    ...                                    ).to_pylist()]
    ['2021-01-19T23:59:59.999999+00:00', '2021-01-19T08:30:00+00:00']
    """
    day_only = strptime_strict(values, "%Y-%m-%d", "us")
    stamped = [strptime_strict(values, f, "us") for f in _DATE_FORMATS[1:]]
    end = end_of_day(pc.cast(day_only, pa.date32()))
    full = pc.cast(pc.coalesce(*stamped), pa.timestamp("us", tz="UTC"))
    return pc.coalesce(full, end)


def first_code(values: Any) -> Any:
    """``USA; MEX`` → ``USA`` (the first of several); a name → its code (``Mexico`` → MEX).

    >>> first_code(pa.array(["USA; MEX", "Mexico", None, "Atlantis"])).to_pylist()
    ['USA', 'MEX', None, None]
    """

    def one(v: str) -> str | None:
        items = split_sectors(v)
        if not items:
            return None
        head = items[0]
        if re.fullmatch(r"[A-Za-z]{3}", head):
            return head.upper()
        return country_codes().get(head)

    return apply(values, one)


class PolecatSource(DataverseSource, EventFileSource):
    """POLECAT events, Harvard Dataverse doi:10.7910/DVN/AJGVIT (research and education use)."""

    name: ClassVar[str] = "polecat"
    label: ClassVar[str] = "POLECAT"
    stored_as: ClassVar[str] = "polecat"
    codebook: ClassVar[str] = "plover"
    schema_versions: ClassVar[tuple[str, ...]] = ("polecat-dataverse-40", "polecat-dataverse-39")
    about: ClassVar[str] = (
        "POLECAT (Political Event Classification, Attributes, and Types), coded in the PLOVER "
        "ontology by the NGEC coder; Harvard Dataverse doi:10.7910/DVN/AJGVIT. Released for "
        "research and education use under the terms on its Dataverse page; cite the dataset."
    )
    encoding: ClassVar[str] = "iso-8859-1"
    required: ClassVar[tuple[str, ...]] = (
        "Event ID",
        "Event Date",
        "Event Type",
        "Actor Country",
        "Recipient Country",
    )
    kind_of_file: ClassVar[str] = "a POLECAT event file"
    key_columns: ClassVar[tuple[str, ...]] = ("Event Date", "Actor Country", "Recipient Country")
    trailing_empty_ok: ClassVar[bool] = True
    default_confidence: float = 0.5

    dataset: ClassVar[str] = DATASET
    classify = staticmethod(classify)

    # --- reading -----------------------------------------------------------------------------

    def column_names(self, header: list[str], first_row: list[str]) -> list[str] | None:
        if EXTRA_HEADER in header and len(header) == len(first_row) + 1:
            log.warning(
                "the header names a %r column its rows do not have (a known malformed POLECAT "
                "release); the rows are read by the other %d names",
                EXTRA_HEADER,
                len(header) - 1,
            )
            return [h for h in header if h != EXTRA_HEADER]
        return None

    def release_time(self, artifact: Artifact) -> datetime | None:
        given = super().release_time(artifact)
        if given is not None:
            return given
        m = _STAMP.search(Path(artifact.key).name)
        return stamp(m["stamp"]) if m else None

    def keys(self, table: pa.Table) -> tuple[Any, Any, Any]:
        day = iso_days(table.column("Event Date"))
        return (
            day,
            first_code(table.column("Actor Country")),
            first_code(table.column("Recipient Country")),
        )

    def validate(self, table: pa.Table, rejects: list[Reject]) -> pa.Table:
        """Set aside rows whose event type is not PLOVER's or whose quad code is unknown."""
        known = plover_types()
        kind = table.column("Event Type")
        ok = apply(kind, lambda v: "1" if v.strip().upper() in known else None)
        table = set_aside_rows(
            table,
            pc.is_null(ok),
            lambda r: (
                f"Event Type {r['Event Type']!r} is not a PLOVER event type "
                f"({', '.join(sorted(known))})"
            ),
            "plover_type",
            rejects,
        )
        if "Quad Code" in table.column_names:
            quad = table.column("Quad Code")
            read = apply(quad, lambda v: str(quad_class_for(v) or "") or None)
            table = set_aside_rows(
                table,
                pc.and_(pc.is_valid(quad), pc.is_null(read)),
                lambda r: (
                    f"Quad Code {r['Quad Code']!r} is not one of VERBAL/MATERIAL "
                    "COOPERATION/CONFLICT"
                ),
                "quad_class",
                rejects,
            )
        return table

    def to_canonical(
        self, table: pa.Table, artifact: Artifact, rejects: list[Reject]
    ) -> dict[str, Any]:
        n = table.num_rows

        def col(name: str, *alternatives: str) -> Any:
            for candidate in (name, *alternatives):
                if candidate in table.column_names:
                    return table.column(candidate)
            return pa.nulls(n, pa.string())

        day, a1, a2 = self.keys(table)
        kind = pc.utf8_upper(pc.utf8_trim_whitespace(col("Event Type")))
        mode = pc.utf8_lower(pc.utf8_trim_whitespace(col("Event Mode")))
        contexts = apply(col("Contexts"), lambda v: ";".join(split_sectors(v.lower())) or None)
        key = join_present([kind, pc.fill_null(mode, ""), pc.fill_null(contexts, "")], "|")
        code = apply(key, _cameo_of_key)
        agent1 = _agent(col("Primary Actor Sector"), col("Actor Sectors"))
        agent2 = _agent(col("Primary Recipient Sector"), col("Recipient Sectors"))
        published = parse_times(col("Publication Date"))
        release = self.release_time(artifact)
        fallback: Any = pa.nulls(n, pa.timestamp("us", tz="UTC"))
        if release is not None:
            fallback = pa.array([release] * n, pa.timestamp("us", tz="UTC"))
        known = pc.coalesce(published, fallback)
        known = pc.if_else(pc.is_valid(known), not_before_day(known, day), known)
        quad = apply(col("Quad Code"), lambda v: str(quad_class_for(v) or "") or None)
        place = join_present([col("City"), col("District"), col("Province")], ", ")
        return {
            "source_key": col("Event ID"),
            "event_date": day,
            "known_at": known,
            "actor1_code": actor_code(a1, agent1),
            "actor1_name": col("Actor Name"),
            "actor1_country": a1,
            "actor1_agent": agent1,
            "actor2_code": actor_code(a2, agent2),
            "actor2_name": col("Recipient Name"),
            "actor2_country": a2,
            "actor2_agent": agent2,
            "cameo_code": code,
            "quad_class": quad,
            "plover_type": kind,
            "plover_mode": mode,
            "plover_context": contexts,
            "action_name": pc.coalesce(col("Placename"), place),
            "action_country": first_code(col("Country")),
            "action_lat": col("Latitude"),
            "action_lon": col("Longitude"),
            "attributes": to_json(
                {
                    "intensity": col("Intensity", "Event Intensity"),
                    "contexts": col("Contexts"),
                    "actor_sectors": col("Actor Sectors"),
                    "primary_actor_sector": col("Primary Actor Sector"),
                    "actor_title": col("Actor Title"),
                    "actor_cow": col("Actor COW"),
                    "wikipedia_actor_id": col("Wikipedia Actor ID"),
                    "recipient_sectors": col("Recipient Sectors"),
                    "primary_recipient_sector": col("Primary Recipient Sector"),
                    "recipient_title": col("Recipient Title"),
                    "recipient_cow": col("Recipient COW"),
                    "wikipedia_recipient_id": col("Wikipedia Recipient ID"),
                    "source": col("Source"),
                    "publication_date": col("Publication Date"),
                    "language": col("Language"),
                    "version": col("Version"),
                    "geonames_id": col("GeoNames ID"),
                }
            ),
        }


def _cameo_of_key(key: str) -> str | None:
    kind, _, rest = key.partition("|")
    mode, _, contexts = rest.partition("|")
    return cameo_for(kind, mode or None, contexts.split(";") if contexts else ())


def _agent(primary: Any, sectors: Any) -> Any:
    key = join_present([pc.fill_null(primary, ""), pc.fill_null(sectors, "")], "\x1f")

    def one(v: str) -> str | None:
        head, _, rest = v.partition("\x1f")
        items = ([head] if head else []) + split_sectors(rest)
        return pick_agent(agent_for_sector(s) for s in items)

    return apply(key, one)


__all__ = ["COLUMNS", "DATASET", "EXTRA_HEADER", "PolecatSource", "classify", "parse_times"]
