"""Small event files for the sources that have no real sample we may redistribute.

No real POLECAT rows and no ACLED rows for Mexico may be redistributed (issue 15), so these
files are built here: the *headers* are the real ones, the *rows* are invented for the tests
(plausible US–Mexico events, ids that start with 9… so they are recognisably synthetic).

Where each header comes from:

- POLECAT, :data:`dyadwatch.sources.polecat.COLUMNS` (40 names): the header quoted in the
  Temporal Graph Benchmark's ``tkgl-polecat`` loader script (``#!Event ID\\tEvent Date…``),
  read through a code search; the ``Headline`` variant is the malformed release A. Beger
  describes ("POLECAT Event Data", andybeger.com, 21 May 2024: "files with excess column
  names in the first row", "files with excess tab characters"). Files are ISO-8859-1, as
  the same loader opens them.
- ACLED, :data:`dyadwatch.sources.acled.COLUMNS` (31 names, ``event_id_cnty`` …
  ``timestamp``): ACLED's current export and API layout, as the 2025 OAuth-API clients
  request it (``fields=event_id_cnty,event_date,…,tags,timestamp``) and as a published
  ACLED CSV test fixture writes it (header line ``event_id_cnty,event_date,year,…``).
  ACLED's inter codes (1 state forces … 8 external/other forces) and ``civilian_targeting``
  values (``Civilian targeting`` or empty) are ACLED's.

The real samples (ICEWS, Phoenix, ACLED Myanmar) are read in place from ``../shared/data``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dyadwatch.sources.acled import COLUMNS as ACLED_COLUMNS
from dyadwatch.sources.polecat import COLUMNS as POLECAT_COLUMNS

POLECAT_NAME = "ngecEvents.20210125101500.Release999.DV.txt"
"""A weekly-release name (production stamp 2021-01-25 10:15 UTC)."""

_POLECAT_ROWS: list[dict[str, str]] = [
    {
        "Event ID": "9000001",
        "Event Date": "2021-01-08",
        "Event Type": "CONSULT",
        "Event Mode": "visit",
        "Intensity": "1",
        "Quad Code": "VERBAL COOPERATION",
        "Contexts": "diplomatic",
        "Actor Name": "Secretaría de Relaciones Exteriores",
        "Actor Country": "MEX",
        "Actor COW": "70",
        "Primary Actor Sector": "Government",
        "Actor Sectors": "Government; Foreign Ministry",
        "Recipient Name": "Department of State",
        "Recipient Country": "USA",
        "Recipient COW": "2",
        "Primary Recipient Sector": "Government",
        "Recipient Sectors": "Government",
        "Placename": "Ciudad de México",
        "Country": "MEX",
        "Latitude": "19.43",
        "Longitude": "-99.13",
        "Publication Date": "2021-01-08",
        "Language": "es",
        "Version": "fixture",
    },
    {
        "Event ID": "9000002",
        "Event Date": "2021-01-14",
        "Event Type": "ACCUSE",
        "Event Mode": "disapprove",
        "Intensity": "-2",
        "Quad Code": "VERBAL CONFLICT",
        "Contexts": "legal",
        "Actor Name": "Presidencia de la República",
        "Actor Country": "MEX",
        "Primary Actor Sector": "Executive",
        "Actor Sectors": "Executive; Government",
        "Recipient Name": "Drug Enforcement Administration",
        "Recipient Country": "USA",
        "Primary Recipient Sector": "Police",
        "Recipient Sectors": "Police; Government",
        "Country": "MEX",
        "Publication Date": "2021-01-15 08:30:00",
        "Language": "es",
        "Version": "fixture",
    },
    {
        "Event ID": "9000003",
        "Event Date": "2021-01-19",
        "Event Type": "COERCE",
        "Event Mode": "arrest",
        "Intensity": "-5",
        "Quad Code": "MATERIAL CONFLICT",
        "Contexts": "legal; crime",
        "Actor Name": "Policía Federal",
        "Actor Country": "MEX",
        "Primary Actor Sector": "Police",
        "Actor Sectors": "Police",
        "Recipient Name": "US citizen",
        "Recipient Country": "USA",
        "Primary Recipient Sector": "Civilian",
        "Recipient Sectors": "Civilian",
        "Country": "MEX",
        "Publication Date": "2021-01-20",
        "Language": "es",
        "Version": "fixture",
    },
    {
        "Event ID": "9000004",
        "Event Date": "2021-01-20",
        "Event Type": "AGREE",
        "Intensity": "4",
        "Quad Code": "VERBAL COOPERATION",
        "Contexts": "diplomatic; economic",
        "Actor Name": "White House",
        "Actor Country": "USA",
        "Primary Actor Sector": "Executive",
        "Actor Sectors": "Executive",
        "Recipient Name": "Mexico",
        "Recipient Country": "MEX",
        "Country": "USA",
        "Publication Date": "2021-01-21",
        "Language": "en",
        "Version": "fixture",
    },
    {
        "Event ID": "9000005",
        "Event Date": "2021-01-21",
        "Event Type": "ASSAULT",
        "Event Mode": "firearms",
        "Intensity": "-9",
        "Quad Code": "MATERIAL CONFLICT",
        "Contexts": "crime",
        "Actor Name": "Cártel",
        "Actor Country": "MEX",
        "Primary Actor Sector": "Criminal",
        "Actor Sectors": "Criminal",
        "Recipient Name": "Policía Municipal",
        "Recipient Country": "MEX",
        "Primary Recipient Sector": "Police",
        "Recipient Sectors": "Police",
        "Country": "MEX",
        "Publication Date": "2021-01-21",
        "Language": "es",
        "Version": "fixture",
    },
    {
        "Event ID": "9000006",
        "Event Date": "2021-01-22",
        "Event Type": "AID",
        "Intensity": "5",
        "Quad Code": "MATERIAL COOPERATION",
        "Contexts": "security",
        "Actor Name": "Department of State",
        "Actor Country": "USA",
        "Primary Actor Sector": "Government",
        "Actor Sectors": "Government",
        "Recipient Name": "Secretaría de Seguridad",
        "Recipient Country": "MEX",
        "Primary Recipient Sector": "Government",
        "Recipient Sectors": "Government; Police",
        "Country": "MEX",
        "Publication Date": "2021-01-22",
        "Language": "en",
        "Version": "fixture",
    },
]
"""Six events: five between the two countries, one within Mexico (counted in the volume
only). Accented names test the ISO-8859-1 encoding."""


def polecat_rows() -> list[dict[str, str]]:
    return [dict(r) for r in _POLECAT_ROWS]


def polecat_text(
    rows: list[dict[str, str]] | None = None,
    *,
    header: list[str] | None = None,
    extra_lines: list[str] = (),  # type: ignore[assignment]
) -> str:
    """A POLECAT file's text (header, rows in column order, then ``extra_lines`` as is)."""
    names = list(header or POLECAT_COLUMNS)
    lines = ["\t".join(names)]
    for row in rows if rows is not None else polecat_rows():
        lines.append("\t".join(row.get(c, "") for c in POLECAT_COLUMNS))
    lines.extend(extra_lines)
    return "\n".join(lines) + "\n"


def write_polecat(path: Path, text: str | None = None, encoding: str = "iso-8859-1") -> Path:
    path.write_bytes((text if text is not None else polecat_text()).encode(encoding))
    return path


ACLED_NAME = "acled-mexico-2021-01.csv"

_ACLED_ROWS: list[dict[str, str]] = [
    {
        "event_id_cnty": "MEX90001",
        "event_date": "2021-01-05",
        "year": "2021",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Military Forces of Mexico (2018-)",
        "inter1": "1",
        "actor2": "Cartel fixture faction",
        "inter2": "3",
        "interaction": "13",
        "iso": "484",
        "region": "Caribbean and Central America",
        "country": "Mexico",
        "admin1": "Michoacan",
        "admin2": "Aguililla",
        "location": "Aguililla",
        "latitude": "18.7333",
        "longitude": "-102.7833",
        "geo_precision": "2",
        "source": "Fixture Source",
        "source_scale": "National",
        "notes": "Synthetic row: soldiers clashed with a cartel cell; 3 killed.",
        "fatalities": "3",
        "timestamp": "1610150400",
    },
    {
        "event_id_cnty": "MEX90002",
        "event_date": "2021-01-09",
        "year": "2021",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Violence against civilians",
        "sub_event_type": "Abduction/forced disappearance",
        "actor1": "Unidentified Gang (Mexico)",
        "inter1": "3",
        "actor2": "Civilians (United States)",
        "inter2": "7",
        "interaction": "37",
        "civilian_targeting": "Civilian targeting",
        "iso": "484",
        "region": "Caribbean and Central America",
        "country": "Mexico",
        "admin1": "Tamaulipas",
        "admin2": "Matamoros",
        "location": "Matamoros",
        "latitude": "25.8797",
        "longitude": "-97.5042",
        "geo_precision": "1",
        "source": "Fixture Source; Other Fixture",
        "source_scale": "National-International",
        "notes": "Synthetic row: a gang abducted two US citizens.",
        "fatalities": "0",
        "timestamp": "1610582400",
    },
    {
        "event_id_cnty": "MEX90003",
        "event_date": "2021-01-12",
        "year": "2021",
        "time_precision": "1",
        "disorder_type": "Strategic developments",
        "event_type": "Strategic developments",
        "sub_event_type": "Arrests",
        "actor1": "Police Forces of Mexico (2018-) National Guard",
        "inter1": "1",
        "actor2": "Civilians (United States)",
        "inter2": "7",
        "interaction": "17",
        "iso": "484",
        "region": "Caribbean and Central America",
        "country": "Mexico",
        "admin1": "Baja California",
        "admin2": "Tijuana",
        "location": "Tijuana",
        "latitude": "32.5027",
        "longitude": "-117.0037",
        "geo_precision": "1",
        "source": "Fixture Source",
        "source_scale": "Subnational",
        "notes": "Synthetic row: the National Guard arrested a US citizen wanted for trafficking.",
        "fatalities": "0",
        "timestamp": "1610668800",
    },
    {
        "event_id_cnty": "MEX90004",
        "event_date": "2021-01-15",
        "year": "2021",
        "time_precision": "2",
        "disorder_type": "Demonstrations",
        "event_type": "Protests",
        "sub_event_type": "Peaceful protest",
        "actor1": "Protesters (Mexico)",
        "inter1": "6",
        "actor2": "",
        "inter2": "0",
        "interaction": "60",
        "iso": "484",
        "region": "Caribbean and Central America",
        "country": "Mexico",
        "admin1": "Ciudad de Mexico",
        "admin2": "Cuauhtemoc",
        "location": "Mexico City",
        "latitude": "19.4326",
        "longitude": "-99.1332",
        "geo_precision": "1",
        "source": "Fixture Source",
        "source_scale": "National",
        "notes": "Synthetic row: families of the disappeared marched.",
        "fatalities": "0",
        "timestamp": "1611014400",
    },
    {
        "event_id_cnty": "MEX90005",
        "event_date": "2021-01-20",
        "year": "2021",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Grenade",
        "actor1": "CJNG: Jalisco New Generation Cartel",
        "inter1": "3",
        "actor2": "Police Forces of Mexico (2018-) Municipal Police",
        "inter2": "1",
        "interaction": "13",
        "iso": "484",
        "region": "Caribbean and Central America",
        "country": "Mexico",
        "admin1": "Guanajuato",
        "admin2": "Celaya",
        "location": "Celaya",
        "latitude": "20.5222",
        "longitude": "-100.8122",
        "geo_precision": "1",
        "source": "Fixture Source",
        "source_scale": "Subnational",
        "notes": "Synthetic row: a grenade was thrown at a police station.",
        "fatalities": "1",
        "timestamp": "1611187200",
    },
]
"""Five events in Mexico, two involving US citizens. Their ids begin with MEX9 (synthetic)."""


def acled_rows() -> list[dict[str, str]]:
    return [dict(r) for r in _ACLED_ROWS]


def acled_text(rows: list[dict[str, str]] | None = None, header: list[str] | None = None) -> str:
    """An ACLED export's text: the 31-column header and the rows, quoted where needed."""
    names = list(header or ACLED_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows if rows is not None else acled_rows():
        writer.writerow([row.get(c, "") for c in names])
    return out.getvalue()


def write_acled(path: Path, text: str | None = None) -> Path:
    path.write_text(text if text is not None else acled_text(), encoding="utf-8")
    return path
