"""Map parsed GDELT rows to the canonical datasets: events, mentions and volume counts.

The reader hands over string columns named as in the GDELT codebooks (plus ``_line`` and the
typed ``_day``/``_known``); this module renames them to the canonical columns of
:mod:`dyadwatch.model`, casts the numbers (after :func:`~.parse.validate_numbers` has set
aside the rows whose numbers do not parse or fit), maps the FIPS 10-4 action country to its
CAMEO code, and sums the per-day, per-country event counts that the index uses as
denominators (the ``volume`` dataset). :class:`Dyads` is the ingest filter.
"""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from dyadwatch.model import EVENT_SCHEMA, MENTION_SCHEMA, event_id_for
from dyadwatch.sources.base import LINE_COLUMN, PUBLISHED_COLUMN, Reject
from dyadwatch.sources.gdelt.parse import validate_numbers, validate_sizes
from dyadwatch.sources.volume import count_volume

EVENT_FIELDS = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor1Type1Code",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "Actor2Type1Code",
    "EventCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_ADM1Code",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "DATEADDED",
    "SOURCEURL",
)
"""The GDELT event fields the canonical event uses (the rest are not read into memory)."""

MENTION_FIELDS = (
    "GLOBALEVENTID",
    "MentionTimeDate",
    "MentionType",
    "MentionSourceName",
    "MentionIdentifier",
    "SentenceID",
    "Actor1CharOffset",
    "Actor2CharOffset",
    "ActionCharOffset",
    "InRawText",
    "Confidence",
    "MentionDocLen",
    "MentionDocTone",
    "MentionDocTranslationInfo",
)

_EVENT_RENAME = {
    "GLOBALEVENTID": "source_key",
    "Actor1Code": "actor1_code",
    "Actor1Name": "actor1_name",
    "Actor1CountryCode": "actor1_country",
    "Actor1Type1Code": "actor1_agent",
    "Actor2Code": "actor2_code",
    "Actor2Name": "actor2_name",
    "Actor2CountryCode": "actor2_country",
    "Actor2Type1Code": "actor2_agent",
    "EventCode": "cameo_code",
    "EventRootCode": "cameo_root",
    "QuadClass": "quad_class",
    "GoldsteinScale": "goldstein",
    "NumMentions": "num_mentions",
    "NumSources": "num_sources",
    "NumArticles": "num_articles",
    "AvgTone": "avg_tone",
    "ActionGeo_FullName": "action_name",
    "ActionGeo_ADM1Code": "action_adm1",
    "ActionGeo_Lat": "action_lat",
    "ActionGeo_Long": "action_lon",
}

_MENTION_NUMERIC = {
    "MentionType": "mention_type",
    "SentenceID": "sentence_id",
    "Actor1CharOffset": "actor1_offset",
    "Actor2CharOffset": "actor2_offset",
    "ActionCharOffset": "action_offset",
    "MentionDocLen": "doc_length",
    "MentionDocTone": "doc_tone",
}


@dataclass(frozen=True, slots=True)
class Dyads:
    """The country pairs kept on ingest (either direction); empty keeps every event."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, dyads: Sequence[str]) -> Dyads:
        """``["USA-MEX"]`` → pairs.

        >>> Dyads.parse(["USA-MEX"]).pairs
        (('USA', 'MEX'),)
        """
        pairs = []
        for d in dyads:
            a, b = d.upper().split("-")
            pairs.append((a, b))
        return cls(tuple(pairs))

    def mask(self, a1: pa.ChunkedArray | pa.Array, a2: pa.ChunkedArray | pa.Array) -> Any:
        """True where the event's two actor countries form one of the dyads."""
        if not self.pairs:
            return pa.array(np.ones(len(a1), dtype=bool))
        a1 = pc.fill_null(a1, "")
        a2 = pc.fill_null(a2, "")
        out = None
        for a, b in self.pairs:
            m = pc.or_(
                pc.and_(pc.equal(a1, a), pc.equal(a2, b)),
                pc.and_(pc.equal(a1, b), pc.equal(a2, a)),
            )
            out = m if out is None else pc.or_(out, m)
        return out


_EVENT_NUMERIC: Mapping[str, pa.DataType] = {
    gdelt: EVENT_SCHEMA.field(canonical).type
    for gdelt, canonical in _EVENT_RENAME.items()
    if pa.types.is_integer(EVENT_SCHEMA.field(canonical).type)
    or pa.types.is_floating(EVENT_SCHEMA.field(canonical).type)
}
"""GDELT numeric event fields → their canonical type (QuadClass int8, NumMentions int32 …)."""

_MENTION_CHECKS: Mapping[str, pa.DataType] = {
    **{name: MENTION_SCHEMA.field(c).type for name, c in _MENTION_NUMERIC.items()},
    # A percentage (10–100) and a flag (0/1), checked as whole numbers before scaling.
    "Confidence": pa.int32(),
    "InRawText": pa.int8(),
}


def _cast(col: Any, target: pa.DataType) -> Any:
    """String column → ``target`` (decimals through float64, which parses exponents)."""
    if pa.types.is_integer(target):
        return pc.cast(col, target)
    return pc.cast(pc.cast(col, pa.float64()), target)


def events_to_canonical(
    table: pa.Table, source: str, fips: pa.Table, rejects: list[Reject]
) -> pa.Table:
    """Kept GDELT event rows (string columns + ``_day``/``_known``/``_published``) → canonical
    event columns, with the private ``_line`` and ``_published`` (DATEADDED) kept for the
    normalise steps.

    Rows with a field too long or a number that does not parse or fit are set aside into
    ``rejects``; the rest are mapped.
    """
    table = validate_sizes(table, EVENT_FIELDS, rejects)
    table = validate_numbers(table, _EVENT_NUMERIC, rejects)
    n = table.num_rows
    cols: dict[str, Any] = {
        "source": pa.array([source] * n, pa.string()),
        "event_date": table.column("_day"),
        "known_at": table.column("_known"),
    }
    for gdelt, canonical in _EVENT_RENAME.items():
        if gdelt in _EVENT_NUMERIC:
            cols[canonical] = _cast(table.column(gdelt), _EVENT_NUMERIC[gdelt])
        else:
            cols[canonical] = table.column(gdelt)
    # ActionGeo_CountryCode is a FIPS 10-4 code (MX, US); the canonical column is CAMEO's.
    idx = pc.index_in(table.column("ActionGeo_CountryCode"), value_set=fips.column("fips"))
    cols["action_country"] = pc.take(fips.column("cameo"), idx)
    url = table.column("SOURCEURL").combine_chunks() if n else pa.array([], pa.string())
    offsets = pa.array(np.arange(0, n + 1, dtype=np.int32))
    urls = pa.ListArray.from_arrays(offsets, pc.fill_null(url, ""))
    cols["source_urls"] = pc.if_else(pc.is_valid(url), urls, pa.scalar(None, urls.type))
    cols[LINE_COLUMN] = table.column(LINE_COLUMN)
    cols[PUBLISHED_COLUMN] = table.column(PUBLISHED_COLUMN)
    out = pa.table(cols)
    for f in EVENT_SCHEMA:
        if f.name not in out.column_names:
            out = out.append_column(f.name, pa.nulls(n, f.type))
    return out


def mentions_to_canonical(table: pa.Table, source: str, rejects: list[Reject]) -> pa.Table:
    """Kept mention rows → :data:`dyadwatch.model.MENTION_SCHEMA` columns (+ ``_line``)."""
    table = validate_sizes(table, MENTION_FIELDS, rejects)
    table = validate_numbers(table, _MENTION_CHECKS, rejects)
    n = table.num_rows
    keys = table.column("GLOBALEVENTID").to_pylist()
    cols: dict[str, Any] = {
        "event_id": pa.array([event_id_for(source, k) for k in keys], pa.string()),
        "source": pa.array([source] * n, pa.string()),
        "source_key": table.column("GLOBALEVENTID"),
        "mention_time": table.column("_known"),
        "known_at": table.column("_known"),
        "mention_source_name": table.column("MentionSourceName"),
        "mention_url": table.column("MentionIdentifier"),
        # GDELT's Confidence is a percentage (10–100); the canonical column is 0–1.
        "confidence": pc.divide(
            _cast(table.column("Confidence"), pa.float32()), pa.scalar(100.0, pa.float32())
        ),
        "in_raw_text": pc.not_equal(_cast(table.column("InRawText"), pa.int8()), 0),
        "translation_info": table.column("MentionDocTranslationInfo"),
    }
    for name, canonical in _MENTION_NUMERIC.items():
        cols[canonical] = _cast(table.column(name), MENTION_SCHEMA.field(canonical).type)
    cols[LINE_COLUMN] = table.column(LINE_COLUMN)
    return pa.table(cols).select([*MENTION_SCHEMA.names, LINE_COLUMN])


# --- volume ----------------------------------------------------------------------------------


def volume_counts(table: pa.Table) -> pa.Table:
    """Events per (day, country) of a GDELT block (``_day`` and the actor countries)."""
    return count_volume(
        table.column("_day"),
        table.column("Actor1CountryCode"),
        table.column("Actor2CountryCode"),
    )


NARROW_EVENT_FIELDS = ("SQLDATE", "Actor1CountryCode", "Actor2CountryCode")
"""What the volume counts and the dyad filter need from every row; the rest is parsed only
for the rows kept."""

NARROW_MENTION_FIELDS = ("GLOBALEVENTID", "MentionTimeDate")


def fips_table() -> pa.Table:
    """FIPS 10-4 country → CAMEO country, from the codebook's ``fips_countries.csv``.

    >>> fips_table().column_names
    ['fips', 'cameo']
    """
    text = (
        importlib.resources.files("dyadwatch.codebooks")
        .joinpath("data/fips_countries.csv")
        .read_bytes()
    )
    table = pv.read_csv(
        io.BytesIO(text),
        convert_options=pv.ConvertOptions(
            column_types={"fips": pa.string(), "cameo": pa.string()},
            include_columns=["fips", "cameo"],
        ),
    )
    return table


def first_day(table: pa.Table) -> date | None:
    """The earliest event day in a volume table (None when empty)."""
    if table.num_rows == 0:
        return None
    value = pc.min(table.column("day")).as_py()
    return value if isinstance(value, date) else None
