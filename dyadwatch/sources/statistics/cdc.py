"""CDC/NCHS VSRR provisional drug overdose death counts (data.cdc.gov dataset ``xkb8-kh2a``).

Header: ``State,Year,Month,Period,Indicator,Data Value,Percent Complete,
Percent Pending Investigation,State Name,Footnote,Footnote Symbol,Predicted Value``. Every row
is a *12 month-ending* count: ``2018, December`` covers January–December 2018. ``Data Value``
is the reported provisional count; ``Predicted Value`` NCHS's count adjusted for reporting
delays (blank where NCHS does not predict). Current releases write numbers with thousands
separators and leave suppressed counts blank; both are handled (a blank value is skipped, not
rejected: suppression is not an error).

Series: ``cdc_vsrr_<indicator>_<jurisdiction>`` for the reported value and
``cdc_vsrr_<indicator>_predicted_<jurisdiction>`` for the predicted one, where the indicator is
the slug of ``Indicator`` (``number_of_drug_overdose_deaths``,
``synthetic_opioids_excl_methadone_t40_4`` — the usual fentanyl proxy) and the jurisdiction
the lower-case ``State`` code (``us`` for the nation, ``yc`` for New York City).

Examples
--------
>>> src = CdcVsrrSource([Path("VSRR_Provisional_Drug_Overdose_Death_Counts.csv")])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

from dyadwatch.sources.base import Artifact, Chunk
from dyadwatch.sources.statistics.base import (
    MONTH_NAMES,
    StatisticsSource,
    month_end,
    parse_number,
    slug,
)

SOURCE_URL = "https://www.cdc.gov/nchs/nvss/vsrr/drug-overdose-data.htm"
SOURCE_TITLE = "VSRR Provisional Drug Overdose Death Counts (CDC/NCHS)"


class CdcVsrrSource(StatisticsSource):
    """CDC VSRR provisional drug overdose death counts (12 month-ending, by jurisdiction)."""

    name: ClassVar[str] = "cdc_vsrr"
    about: ClassVar[str] = (
        "CDC/NCHS Vital Statistics Rapid Release, provisional drug overdose death counts: "
        "US government data, in the public domain."
    )
    schema_versions: ClassVar[tuple[str, ...]] = ("vsrr-xkb8-kh2a",)
    assumed_lag_days: ClassVar[int] = 180
    vintage_prefix: ClassVar[str] = "cdc-vsrr"
    required_columns: ClassVar[tuple[str, ...]] = (
        "State",
        "Year",
        "Month",
        "Period",
        "Indicator",
        "Data Value",
        "State Name",
    )
    format_name: ClassVar[str] = "CDC VSRR provisional drug overdose death counts"

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        rows = self.csv_rows(artifact)
        col, path = rows.col, rows.path
        predicted = col.get("Predicted Value")
        parsed: list[dict[str, Any]] = []
        last: date | None = None
        used = 0
        for line, fields in rows:
            try:
                year = int(fields[col["Year"]].strip())
                month_name = fields[col["Month"]].strip().lower()
                if month_name not in MONTH_NAMES:
                    raise ValueError(f"month {fields[col['Month']]!r} is not a month name")
                month = MONTH_NAMES[month_name]
                period = fields[col["Period"]].strip().lower()
                if period != "12 month-ending":
                    raise ValueError(f"period {period!r} is not '12 month-ending'")
                state = fields[col["State"]].strip()
                if not state.isalpha():
                    raise ValueError(f"state {state!r} is not a code")
                indicator = fields[col["Indicator"]].strip()
                if not indicator:
                    raise ValueError("indicator is empty")
                values = {"": fields[col["Data Value"]]}
                if predicted is not None:
                    values["predicted"] = fields[predicted]
                numbers = {
                    kind: parse_number(text) for kind, text in values.items() if text.strip()
                }
            except ValueError as exc:
                rows.reject(line, fields, exc)
                continue
            end = month_end(year, month)
            last = end if last is None or end > last else last
            start = date(year - 1, month + 1, 1) if month < 12 else date(year, 1, 1)
            unit = "percent" if indicator.lower().startswith("percent") else "deaths"
            name = fields[col["State Name"]].strip() or state
            used += bool(numbers)
            for kind, value in numbers.items():
                what = "predicted (adjusted for reporting delays)" if kind else "reported"
                parsed.append(
                    {
                        "indicator": "_".join(
                            p for p in ("cdc_vsrr", slug(indicator), kind, state.lower()) if p
                        ),
                        "period_start": start,
                        "period_end": end,
                        "value": value,
                        "unit": unit,
                        "scope": f"{name}, 12 months ending in the month, provisional, {what}",
                        "source_url": SOURCE_URL,
                        "source_title": f"{SOURCE_TITLE} ({path.name})",
                        "verified": True,
                    }
                )
        self.stamp(parsed, last)
        yield self.chunk(parsed, rows.rejects, rows.read, used)


__all__ = ["CdcVsrrSource"]
