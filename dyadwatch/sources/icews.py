"""ICEWS: the Integrated Crisis Early Warning System's coded events, from Harvard Dataverse.

Registered as ``icews``; events are stored as source ``icews``. The Dataverse event files
(Boschee et al., "ICEWS Coded Event Data", doi:10.7910/DVN/28075; discontinued on 11 April
2023, succeeded by POLECAT) are tab-separated with a header of 20 columns — ``Event ID,
Event Date, Source Name, Source Sectors, Source Country, Event Text, CAMEO Code, Intensity,
Target Name, Target Sectors, Target Country, Story ID, Sentence Number, Publisher, City,
District, Province, Country, Latitude, Longitude`` — yearly (``events.2018.<stamp>.tab``,
zipped on Dataverse) or daily; missing values are the literal ``NA``. Older files carry
``Event Text`` without ``CAMEO Code``: the label is mapped back to its code with the ICEWS
label list (:func:`dyadwatch.sources.lookups.icews_event_labels`).

Mapping to the canonical event:

=====================  =========================================================================
canonical              from
=====================  =========================================================================
``source_key``         ``Event ID``
``event_date``         ``Event Date`` (the story's date)
``actor*_name``        ``Source Name`` / ``Target Name``
``actor*_country``     ``Source Country`` / ``Target Country``, names → codes (``Mexico`` → MEX)
``actor*_agent``       ``Source Sectors`` / ``Target Sectors``: each sector to its CAMEO agent,
                       then one code per actor, state organs first (:mod:`.sectors`)
``actor*_code``        country code + agent code (``MEXGOV``), as GDELT writes actor codes
``cameo_code``         ``CAMEO Code``, else ``Event Text`` through the label list
``goldstein``          ``Intensity``: ICEWS's intensity is the Goldstein score of its CAMEO code
                       (it differs from GDELT's Goldstein table for 3 codes of the 2018 sample)
``action_*``           ``Country`` (→ code), ``City, District, Province, Country`` as the name,
                       ``Latitude`` / ``Longitude``
``summary``            ``Source Name — Event Text — Target Name``
``attributes``         both sector lists as given, ``Event Text``, ``Intensity``, ``Story ID``,
                       ``Sentence Number``, ``Publisher``
=====================  =========================================================================

Lost: the sectors beyond the one code per actor (kept in ``attributes``), and the place names'
own codes (ICEWS gives names only; ``action_adm1`` stays empty).

``known_at`` (point in time): the release of the file — the ``--known-at`` option, else the
file's publication time on Dataverse when it was downloaded, else the production stamp in
its name (``events.2018.20200427084805.tab`` was produced 2020-04-27 08:48:05 UTC) — never
earlier than the start of the event's own day. A file with none of these (a sample, a
renamed copy) falls back to the end of the event's day: ICEWS dates an event by its story,
so the report itself was public that day, though the coded record came later.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.errors import ArtifactError
from dyadwatch.sources.base import Artifact, Reject
from dyadwatch.sources.dataverse import (
    DataverseSource,
    Interval,
    stamp,
    year_interval,
)
from dyadwatch.sources.eventfile import (
    EventFileSource,
    actor_code,
    iso_days,
    join_present,
    not_before_day,
    to_json,
)
from dyadwatch.sources.lookups import country_codes, icews_event_labels, icews_sectors
from dyadwatch.sources.sectors import agents
from dyadwatch.sources.tabular import lookup

DATASET = "doi:10.7910/DVN/28075"
"""ICEWS Coded Event Data on Harvard Dataverse (Boschee et al. 2015)."""

COLUMNS = (
    "Event ID",
    "Event Date",
    "Source Name",
    "Source Sectors",
    "Source Country",
    "Event Text",
    "CAMEO Code",
    "Intensity",
    "Target Name",
    "Target Sectors",
    "Target Country",
    "Story ID",
    "Sentence Number",
    "Publisher",
    "City",
    "District",
    "Province",
    "Country",
    "Latitude",
    "Longitude",
)
"""The 20 columns of an ICEWS Dataverse event file, in order."""

_YEARLY = re.compile(r"events\.(?P<year>\d{4})\.(?P<stamp>\d{14})\.")
_DAILY = re.compile(r"(?<!\d)(?P<day>\d{8})(?!\d)")
_STAMP = re.compile(r"(?<!\d)(?P<stamp>\d{14})(?!\d)")


def classify(name: str) -> Interval | None:
    """The interval an ICEWS Dataverse file covers, from its name (None: not an event file).

    >>> classify("events.2018.20200427084805.tab.zip")[:2]
    ('yearly', datetime.datetime(2018, 1, 1, 0, 0, tzinfo=datetime.timezone.utc))
    >>> classify("20181004-icews-events.zip")[0]
    'daily'
    >>> classify("ICEWS_Codebook.pdf") is None
    True
    """
    m = _YEARLY.search(name)
    if m:
        start, end = year_interval(int(m["year"]))
        return "yearly", start, end, stamp(m["stamp"])
    if "event" not in name.lower():
        return None
    m = _DAILY.search(name)
    if m:
        try:
            day = datetime.strptime(m["day"], "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            return None
        return "daily", day, day + timedelta(days=1), None
    return None


class IcewsSource(DataverseSource, EventFileSource):
    """ICEWS events, Harvard Dataverse doi:10.7910/DVN/28075 (cite Boschee et al.; its terms).

    The full terms are in :attr:`about`; the module docstring documents the mapping and the
    ``known_at`` rule.
    """

    name: ClassVar[str] = "icews"
    label: ClassVar[str] = "ICEWS"
    stored_as: ClassVar[str] = "icews"
    codebook: ClassVar[str] = "cameo"
    schema_versions: ClassVar[tuple[str, ...]] = ("icews-dataverse-20",)
    about: ClassVar[str] = (
        "ICEWS Coded Event Data (Boschee, Lautenschlager, O'Brien, Shellman, Starz, Ward; "
        "Harvard Dataverse, doi:10.7910/DVN/28075): public on Dataverse under the terms shown "
        "on its dataset page; cite the dataset. Discontinued on 11 April 2023 (successor: "
        "POLECAT)."
    )
    required: ClassVar[tuple[str, ...]] = (
        "Event ID",
        "Event Date",
        "Source Country",
        "Target Country",
    )
    kind_of_file: ClassVar[str] = "an ICEWS event file"
    key_columns: ClassVar[tuple[str, ...]] = ("Event Date", "Source Country", "Target Country")
    default_confidence: float = 0.5

    dataset: ClassVar[str] = DATASET
    classify = staticmethod(classify)

    # --- reading -----------------------------------------------------------------------------

    def release_time(self, artifact: Artifact) -> datetime | None:
        given = super().release_time(artifact)
        if given is not None:
            return given
        m = _STAMP.search(Path(artifact.key).name)
        return stamp(m["stamp"]) if m else None

    def keys(self, table: pa.Table) -> tuple[Any, Any, Any]:
        countries = country_codes()
        day = iso_days(table.column("Event Date"))
        return (
            day,
            lookup(table.column("Source Country"), countries),
            lookup(table.column("Target Country"), countries),
        )

    def column_names(self, header: list[str], first_row: list[str]) -> list[str] | None:
        if "CAMEO Code" not in header and "Event Text" not in header:
            raise ArtifactError(
                "the header has neither 'CAMEO Code' nor 'Event Text': an ICEWS event file has "
                "one of them. Is this an ICEWS events file?"
            )
        return None

    def to_canonical(
        self, table: pa.Table, artifact: Artifact, rejects: list[Reject]
    ) -> dict[str, Any]:
        n = table.num_rows
        col = _columns(table)
        day, a1, a2 = self.keys(table)
        s1 = agents(col("Source Sectors"), icews_sectors().get)
        s2 = agents(col("Target Sectors"), icews_sectors().get)
        code = col("CAMEO Code")
        from_label = lookup(col("Event Text"), icews_event_labels())
        release = self.release_time(artifact)
        known: Any = pa.nulls(n, pa.timestamp("us", tz="UTC"))
        if release is not None:
            known = not_before_day(pa.array([release] * n, pa.timestamp("us", tz="UTC")), day)
        place = [col(c) for c in ("City", "District", "Province", "Country")]
        return {
            "source_key": col("Event ID"),
            "event_date": col("Event Date"),
            "known_at": known,
            "actor1_code": actor_code(a1, s1),
            "actor1_name": col("Source Name"),
            "actor1_country": a1,
            "actor1_agent": s1,
            "actor2_code": actor_code(a2, s2),
            "actor2_name": col("Target Name"),
            "actor2_country": a2,
            "actor2_agent": s2,
            "cameo_code": pc.coalesce(code, from_label),
            "goldstein": col("Intensity"),
            "action_country": lookup(col("Country"), country_codes()),
            "action_name": join_present(place, ", "),
            "action_lat": col("Latitude"),
            "action_lon": col("Longitude"),
            "summary": join_present(
                [col("Source Name"), col("Event Text"), col("Target Name")], " — "
            ),
            "attributes": to_json(
                {
                    "source_sectors": col("Source Sectors"),
                    "target_sectors": col("Target Sectors"),
                    "event_text": col("Event Text"),
                    "intensity": col("Intensity"),
                    "story_id": col("Story ID"),
                    "sentence_number": col("Sentence Number"),
                    "publisher": col("Publisher"),
                }
            ),
        }


def _columns(table: pa.Table) -> Any:
    """A getter for columns that may be absent (a null column of the right length)."""

    def get(name: str) -> Any:
        if name in table.column_names:
            return table.column(name)
        return pa.nulls(table.num_rows, pa.string())

    return get


__all__ = ["COLUMNS", "DATASET", "IcewsSource", "classify"]
