"""CBP drug seizure statistics (cbp.gov "Drug Seizure Statistics" CSV downloads).

Two layouts, told apart by the header:

- nationwide (Office of Field Operations and U.S. Border Patrol):
  ``FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type,
  Count of Event,Sum Qty (lbs)``;
- Air and Marine Operations: the same with ``Branch`` in place of ``Area of Responsibility``.

Fiscal years run October–September, so ``FY2020, OCT`` is October 2019. Rows are summed
per calendar month and drug into series that keep their scope apart:

- ``cbp_<drug>_seized_lbs_nationwide`` — OFO + USBP, every region (AMO files:
  ``amo_<drug>_seized_lbs_nationwide``);
- ``cbp_<drug>_seized_lbs_<region>`` — ``southwest_border``, ``northern_border``,
  ``coastal_interior`` (OFO + USBP);
- ``cbp_<drug>_seized_lbs_ofo`` (ports of entry) and ``…_usbp`` (between ports), nationwide;
- and the same with ``seizure_events`` (``Count of Event``) for the number of seizures.

Examples
--------
>>> src = CbpSeizuresSource([Path("nationwide-drugs-fy20-fy23.csv")])  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import ClassVar

from dyadwatch.sources.base import Artifact, Chunk
from dyadwatch.sources.statistics.base import (
    MONTH_NAMES,
    MONTHS,
    StatisticsSource,
    month_end,
    parse_number,
    slug,
)

SOURCE_URL = "https://www.cbp.gov/newsroom/stats/drug-seizure-statistics"
COMPONENTS = {"Office of Field Operations": "ofo", "U.S. Border Patrol": "usbp"}
REGION_SCOPES = {
    "nationwide": "all regions",
    "southwest_border": "Southwest Border region",
    "northern_border": "Northern Border region",
    "coastal_interior": "Coastal/Interior region",
    "ofo": "Office of Field Operations (ports of entry), all regions",
    "usbp": "U.S. Border Patrol (between ports of entry), all regions",
}


class CbpSeizuresSource(StatisticsSource):
    """CBP drug seizure statistics CSVs (nationwide OFO/USBP and Air and Marine Operations)."""

    name: ClassVar[str] = "cbp_seizures"
    about: ClassVar[str] = (
        "U.S. Customs and Border Protection drug seizure statistics (cbp.gov): US government "
        "data, in the public domain."
    )
    schema_versions: ClassVar[tuple[str, ...]] = ("cbp-drug-seizures-fy19+",)
    assumed_lag_days: ClassVar[int] = 45
    vintage_prefix: ClassVar[str] = "cbp"
    required_columns: ClassVar[tuple[str, ...]] = (
        "FY",
        "Month (abbv)",
        "Component",
        "Region",
        "Drug Type",
        "Count of Event",
        "Sum Qty (lbs)",
    )
    format_name: ClassVar[str] = "CBP drug seizure statistics"

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        rows = self.csv_rows(artifact)
        col, path = rows.col, rows.path
        amo = "Branch" in col and "Area of Responsibility" not in col
        lbs: dict[tuple[str, str, int, int], float] = defaultdict(float)
        events: dict[tuple[str, str, int, int], float] = defaultdict(float)
        last: date | None = None
        used = 0
        for line, fields in rows:
            try:
                fy = int(fields[col["FY"]].strip())
                month_text = fields[col["Month (abbv)"]].strip()
                month = MONTHS.get(month_text.upper()) or MONTH_NAMES.get(month_text.lower())
                if month is None:
                    raise ValueError(f"month {month_text!r} is not JAN..DEC")
                year = fy - 1 if month >= 10 else fy
                qty = parse_number(fields[col["Sum Qty (lbs)"]])
                count = parse_number(fields[col["Count of Event"]])
                if qty < 0 or count < 0:
                    raise ValueError("negative quantity or count")
            except ValueError as exc:
                rows.reject(line, fields, exc)
                continue
            used += 1
            drug = slug(fields[col["Drug Type"]]) or "unspecified"
            component = fields[col["Component"]].strip()
            scopes = ["nationwide"]
            if not amo:
                region = slug(fields[col["Region"]])
                if region in REGION_SCOPES:
                    scopes.append(region)
                if component in COMPONENTS:
                    scopes.append(COMPONENTS[component])
            for scope in scopes:
                lbs[(drug, scope, year, month)] += qty
                events[(drug, scope, year, month)] += count
            end = month_end(year, month)
            last = end if last is None or end > last else last
        if last is None:
            yield self.chunk([], rows.rejects, rows.read, used)
            return
        kind = "amo" if amo else "nationwide"
        known_at, note = self.release(last)
        vintage = self.vintage(last, kind)
        prefix = "amo" if amo else "cbp"
        who = "CBP Air and Marine Operations" if amo else "CBP (OFO + USBP)"
        out = []
        for (drug, scope, year, month), value in sorted(lbs.items()):
            where = "all branches" if amo else REGION_SCOPES[scope]
            for measure, unit, v in (
                ("seized_lbs", "pounds", value),
                ("seizure_events", "seizure events", events[(drug, scope, year, month)]),
            ):
                out.append(
                    {
                        "indicator": f"{prefix}_{drug}_{measure}_{scope}",
                        "period_start": date(year, month, 1),
                        "period_end": month_end(year, month),
                        "value": v,
                        "unit": unit,
                        "scope": f"{who}, {where}, calendar month",
                        "vintage": vintage,
                        "known_at": known_at,
                        "source_url": SOURCE_URL,
                        "source_title": f"CBP Drug Seizure Statistics ({path.name})",
                        "verified": True,
                        "note": note,
                    }
                )
        yield self.chunk(out, rows.rejects, rows.read, used)


__all__ = ["CbpSeizuresSource"]
