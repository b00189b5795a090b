"""ForeignAssistance.gov country summary: US obligations and disbursements by fiscal year.

Header: ``country_code,country_name,region_id,region_name,income_group_acronym,
income_group_name,transaction_type_id,transaction_type_name,fiscal_year,current_amount,
constant_amount``. Amounts are US dollars, current and constant (as published). There is no
program breakdown (INCLE, Mérida) in this file; it is the closest public proxy for Mérida-era
totals. Negative amounts are de-obligations and are kept.

Series: ``us_foreign_assistance_<obligations|disbursements>_<current|constant>_usd_<country>``
(``…_usd_mex``), fiscal-year frequency. By default only the countries of the configured dyads
other than the United States are kept (``MEX`` for USA-MEX); pass ``countries=None`` to
:class:`ForeignAssistanceSource` for all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from dyadwatch.settings import Settings
from dyadwatch.sources.base import Artifact, Chunk
from dyadwatch.sources.statistics.base import StatisticsSource, parse_number, slug

SOURCE_URL = "https://foreignassistance.gov"


def fiscal_year_bounds(text: str) -> tuple[date, date]:
    """First and last day of a US federal fiscal year as the file writes it.

    Until FY1976 the fiscal year ran July–June; the Congressional Budget Act of 1974 moved its
    start to 1 October from FY1977, and the three months between (July–September 1976) are
    the "transition quarter", written ``1976tq``.

    >>> fiscal_year_bounds("2020"), fiscal_year_bounds("1976tq")[0]
    ((datetime.date(2019, 10, 1), datetime.date(2020, 9, 30)), datetime.date(1976, 7, 1))
    """
    value = text.strip().lower()
    if value.endswith("tq"):
        year = int(value[:-2])
        if year != 1976:
            raise ValueError(f"transition quarter {text!r}: only 1976tq exists")
        return date(1976, 7, 1), date(1976, 9, 30)
    fy = int(value)
    if not 1900 <= fy <= 2100:
        raise ValueError(f"fiscal year {fy} out of range")
    if fy <= 1976:
        return date(fy - 1, 7, 1), date(fy, 6, 30)
    return date(fy - 1, 10, 1), date(fy, 9, 30)


class ForeignAssistanceSource(StatisticsSource):
    """ForeignAssistance.gov country totals (obligations, disbursements) by fiscal year."""

    name: ClassVar[str] = "foreign_assistance"
    about: ClassVar[str] = (
        "ForeignAssistance.gov country totals: US government data, in the public domain."
    )
    schema_versions: ClassVar[tuple[str, ...]] = ("fa-country-summary",)
    assumed_lag_days: ClassVar[int] = 180
    vintage_prefix: ClassVar[str] = "foreignassistance"
    required_columns: ClassVar[tuple[str, ...]] = (
        "country_code",
        "country_name",
        "transaction_type_name",
        "fiscal_year",
        "current_amount",
        "constant_amount",
    )
    format_name: ClassVar[str] = "ForeignAssistance.gov country summary"

    def __init__(
        self,
        paths: Sequence[Path | str] | None = None,
        known_at: date | datetime | None = None,
        countries: Sequence[str] | None = ("MEX",),
    ) -> None:
        super().__init__(paths, known_at)
        self.countries = {c.upper() for c in countries} if countries is not None else None

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> ForeignAssistanceSource:
        """Keep the recipients of the configured dyads (every side but the United States)."""
        if "countries" not in kwargs:
            sides = {side for dyad in settings.dyads for side in dyad.split("-")}
            kwargs["countries"] = sorted(sides - {"USA"}) or None
        return cls(**kwargs)

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        rows = self.csv_rows(artifact)
        col, path = rows.col, rows.path
        parsed: list[dict[str, Any]] = []
        last_end: date | None = None
        used = 0
        for line, fields in rows:
            country = fields[col["country_code"]].strip().upper()
            try:
                start, end = fiscal_year_bounds(fields[col["fiscal_year"]])
                kind = slug(fields[col["transaction_type_name"]])
                if kind not in ("obligations", "disbursements"):
                    raise ValueError(f"transaction type {kind!r} is not obligations/disbursements")
                amounts = {
                    basis: parse_number(fields[col[f"{basis}_amount"]])
                    for basis in ("current", "constant")
                    if fields[col[f"{basis}_amount"]].strip()
                }
            except ValueError as exc:
                rows.reject(line, fields, exc)
                continue
            last_end = end if last_end is None or end > last_end else last_end
            if self.countries is not None and country not in self.countries:
                continue
            name = fields[col["country_name"]].strip()
            used += bool(amounts)
            for basis, value in amounts.items():
                parsed.append(
                    {
                        "indicator": f"us_foreign_assistance_{kind}_{basis}_usd_{country.lower()}",
                        "period_start": start,
                        "period_end": end,
                        "value": value,
                        "unit": f"US dollars ({basis})",
                        "scope": f"{name} ({country}), all US agencies, {kind}, fiscal year",
                        "source_url": SOURCE_URL,
                        "source_title": f"ForeignAssistance.gov country summary ({path.name})",
                        "verified": True,
                    }
                )
        self.stamp(parsed, last_end)
        yield self.chunk(parsed, rows.rejects, rows.read, used)


__all__ = ["ForeignAssistanceSource"]
