"""Mexican crime statistics: SESNSP victims by state and month, and the INEGI-vs-SESNSP table.

``sesnsp_victims`` reads the long table of victims of *fuero común* crimes by state and month
(SESNSP "incidencia delictiva", re-processed by isaacarroyov/datos_facil_acceso), plain or
bzip2-compressed (``.bz2``): ``date_year_month,n_year,n_month,cve_ent,nombre_estado,
bien_juridico_afectado,tipo_de_delito,subtipo_de_delito,modalidad,genero,rango_de_edad,
n_victimas``. Victims are summed per month into:

- ``sesnsp_victims_<subtipo>_national`` for every crime subtype (``homicidio_doloso``,
  ``feminicidio``, ``secuestro`` …);
- ``sesnsp_victims_homicidio_doloso_<modalidad>_national`` (``con_arma_de_fuego`` …);
- ``sesnsp_victims_<subtipo>_<cve_ent>`` per state for ``homicidio_doloso`` and
  ``feminicidio``.

``inegi_sesnsp`` reads diegovalle/new.crimenmexico's ``table-inegi-sesnsp.csv``: national
yearly homicides from INEGI death registrations beside SESNSP victims and investigations
(new and old methodology). It has a two-row Spanish header and, after the data, a ``FUENTE:``
line and the SQL used to build it padded as CSV rows; that footer is set aside as one reject
(its line and reason), not read as data. Series: ``inegi_homicides_registered``,
``sesnsp_homicide_victims_nm_incl_feminicide``, ``sesnsp_homicide_victims_nm``,
``sesnsp_feminicide_victims_nm``, ``sesnsp_homicide_investigations_nm``,
``sesnsp_feminicide_investigations_nm``, ``sesnsp_homicide_victims_vm``,
``sesnsp_homicide_investigations_vm`` and ``mexico_population_table``.
"""

from __future__ import annotations

import bz2
import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from dyadwatch.errors import ArtifactError
from dyadwatch.sources.base import Artifact, Chunk, Reject
from dyadwatch.sources.statistics.base import (
    StatisticsSource,
    month_end,
    parse_number,
    raw_line,
    slug,
)

VICTIMS_URL = "https://github.com/isaacarroyov/datos_facil_acceso"
TABLE_URL = "https://github.com/diegovalle/new.crimenmexico"
STATE_SUBTYPES = ("homicidio_doloso", "feminicidio")


class SesnspVictimsSource(StatisticsSource):
    """SESNSP victims of fuero-común crimes by state and month (long CSV, optionally .bz2)."""

    name: ClassVar[str] = "sesnsp_victims"
    about: ClassVar[str] = (
        "SESNSP (Secretariado Ejecutivo del Sistema Nacional de Seguridad Pública) crime "
        "statistics: Mexican government open data under the 'Libre uso MX' terms."
    )
    schema_versions: ClassVar[tuple[str, ...]] = ("datos-facil-acceso-victimas-long",)
    assumed_lag_days: ClassVar[int] = 30
    vintage_prefix: ClassVar[str] = "sesnsp-victims"
    required_columns: ClassVar[tuple[str, ...]] = (
        "n_year",
        "n_month",
        "cve_ent",
        "nombre_estado",
        "subtipo_de_delito",
        "modalidad",
        "n_victimas",
    )
    format_name: ClassVar[str] = "SESNSP victims (long)"

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        path = artifact.path
        if path is None:
            raise ArtifactError(f"{artifact.key}: {self.name} reads local files only.")
        opener: Any = bz2.open if path.suffix == ".bz2" else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
                yield self._read(path, csv.reader(fh))
        except (OSError, EOFError) as exc:
            raise ArtifactError(f"{path}: cannot be read ({exc}).") from None

    def _read(self, path: Path, reader: Any) -> Chunk:
        try:
            header = next(reader)
        except StopIteration:
            raise ArtifactError(f"{path}: empty file.") from None
        except csv.Error as exc:
            raise ArtifactError(f"{path}: not CSV ({exc}).") from None
        col = self.check_header(path, header)
        i_year, i_month, i_ent = col["n_year"], col["n_month"], col["cve_ent"]
        i_state, i_sub, i_mod = col["nombre_estado"], col["subtipo_de_delito"], col["modalidad"]
        i_n = col["n_victimas"]
        width = len(header)
        totals: dict[tuple[str, str, int, int], int] = defaultdict(int)
        states: dict[str, str] = {}
        rejects: list[Reject] = []
        read = used = 0
        last: date | None = None
        slugs: dict[str, str] = {}
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                rejects.append(Reject(f"malformed CSV: {exc}", line=reader.line_num))
                continue
            if not fields:
                continue
            read += 1
            if len(fields) != width:
                rejects.append(
                    Reject(
                        f"expected {width} fields, found {len(fields)}",
                        line=reader.line_num,
                        raw=raw_line(fields),
                    )
                )
                continue
            try:
                year, month, n = int(fields[i_year]), int(fields[i_month]), int(fields[i_n])
                if not 1 <= month <= 12 or not 1990 <= year <= 2100 or n < 0:
                    raise ValueError(f"year {year}, month {month} or victims {n} out of range")
            except ValueError as exc:
                rejects.append(
                    Reject(f"cannot read row: {exc}", line=reader.line_num, raw=raw_line(fields))
                )
                continue
            used += 1
            sub = fields[i_sub]
            s = slugs.get(sub) or slugs.setdefault(sub, slug(sub))
            totals[(s, "national", year, month)] += n
            if s == "homicidio_doloso":
                mod = fields[i_mod]
                m = slugs.get(mod) or slugs.setdefault(mod, slug(mod))
                totals[(f"{s}_{m}", "national", year, month)] += n
            if s in STATE_SUBTYPES:
                ent = fields[i_ent].strip()
                states[ent] = fields[i_state].strip()
                totals[(s, ent, year, month)] += n
            if last is None or (year, month) > (last.year, last.month):
                last = date(year, month, 1)
        if last is None:
            return self.chunk([], rejects, read, used)
        end = month_end(last.year, last.month)
        known_at, note = self.release(end)
        vintage = self.vintage(end)
        out = victim_rows(totals, states, vintage, known_at, note, path.name)
        return self.chunk(out, rejects, read, used)


def victim_rows(
    totals: dict[tuple[str, str, int, int], int],
    states: dict[str, str],
    vintage: str,
    known_at: datetime,
    note: str | None,
    file_name: str,
) -> list[dict[str, Any]]:
    """One indicator value per (subtype, national or state, year, month) total."""
    return [
        {
            "indicator": f"sesnsp_victims_{what}_{where}",
            "period_start": date(year, month, 1),
            "period_end": month_end(year, month),
            "value": float(n),
            "unit": "victims",
            "scope": (
                "Mexico, national"
                if where == "national"
                else f"Mexico, state {where} {states.get(where, '')}".rstrip()
            )
            + ", victims in prosecutors' case files (SESNSP), calendar month",
            "vintage": vintage,
            "known_at": known_at,
            "source_url": VICTIMS_URL,
            "source_title": f"SESNSP victims by state and month ({file_name})",
            "verified": True,
            "note": note,
        }
        for (what, where, year, month), n in sorted(totals.items())
    ]


# Column order of the table after its two header rows (see the module docstring).
TABLE_SERIES: tuple[tuple[str, str, str], ...] = (
    ("mexico_population_table", "persons", "Mexico, population used by the table"),
    ("inegi_homicides_registered", "homicides", "Mexico, homicides in INEGI death registrations"),
    (
        "sesnsp_homicide_victims_nm_incl_feminicide",
        "victims",
        "Mexico, SESNSP victims of intentional homicide plus feminicide, new methodology",
    ),
    (
        "sesnsp_homicide_victims_nm",
        "victims",
        "Mexico, SESNSP victims of intentional homicide, new methodology",
    ),
    (
        "sesnsp_feminicide_victims_nm",
        "victims",
        "Mexico, SESNSP feminicide victims, new methodology",
    ),
    (
        "sesnsp_homicide_investigations_nm",
        "investigations",
        "Mexico, SESNSP intentional-homicide investigations opened, new methodology",
    ),
    (
        "sesnsp_feminicide_investigations_nm",
        "investigations",
        "Mexico, SESNSP feminicide investigations opened, new methodology",
    ),
    (
        "sesnsp_homicide_victims_vm",
        "victims",
        "Mexico, SESNSP victims of intentional homicide, old methodology",
    ),
    (
        "sesnsp_homicide_investigations_vm",
        "investigations",
        "Mexico, SESNSP intentional-homicide investigations, old methodology",
    ),
)


class InegiSesnspSource(StatisticsSource):
    """National homicides by year: INEGI death registrations beside SESNSP counts."""

    name: ClassVar[str] = "inegi_sesnsp"
    about: ClassVar[str] = (
        "INEGI death registrations and SESNSP counts: Mexican government open data under the "
        "'Libre uso MX' terms."
    )
    schema_versions: ClassVar[tuple[str, ...]] = ("new-crimenmexico-table-inegi-sesnsp",)
    assumed_lag_days: ClassVar[int] = 365
    vintage_prefix: ClassVar[str] = "inegi-sesnsp-table"
    format_name: ClassVar[str] = "INEGI-vs-SESNSP homicide table"

    def read(self, artifact: Artifact) -> Iterator[Chunk]:
        path = artifact.path
        if path is None:
            raise ArtifactError(f"{artifact.key}: {self.name} reads local files only.")
        rows = list(self.read_text_rows(path))
        if len(rows) < 3:
            raise ArtifactError(f"{path}: too short for the {self.format_name} (two header rows).")
        first = [f.strip().lstrip("\ufeff") for f in rows[0][1]]
        second = [f.strip() for f in rows[1][1]]
        if not first or first[0] != "Año" or "INEGI" not in first or len(first) < 10:
            raise ArtifactError(
                f"{path}: not the {self.format_name}: its first header row should start with "
                f"'Año' and name 'INEGI' and the SESNSP methodologies (found {first[:4]})."
            )
        if "Homicidios INEGI" not in second:
            raise ArtifactError(f"{path}: second header row lacks 'Homicidios INEGI'.")
        values: list[tuple[int, int, list[float | None]]] = []
        rejects: list[Reject] = []
        read = 0
        for index, (line, fields) in enumerate(rows[2:], start=2):
            if not fields or all(not f.strip() for f in fields):
                continue
            head = fields[0].strip()
            if not head.isdigit():
                rest = [r for r in rows[index:] if any(f.strip() for f in r[1])]
                rejects.append(
                    Reject(
                        f"footer after the data ({len(rest)} non-empty rows: the source note "
                        "and the SQL used to build the table) not read",
                        line=line,
                        raw=raw_line(fields),
                    )
                )
                break
            read += 1
            try:
                year = int(head)
                if not 1900 <= year <= 2100:
                    raise ValueError(f"year {year} out of range")
                cells = [
                    parse_number(c) if c.strip() else None for c in (fields[1:10] + [""] * 9)[:9]
                ]
            except ValueError as exc:
                rejects.append(Reject(f"cannot read row: {exc}", line=line, raw=raw_line(fields)))
                continue
            values.append((year, line, cells))
        years = [y for y, _, cells in values if any(c is not None for c in cells[1:])]
        if not years:
            return iter([self.chunk([], rejects, read, 0)])
        end = date(max(years), 12, 31)
        known_at, note = self.release(end)
        vintage = self.vintage(end)
        out = []
        for year, _, cells in values:
            for (indicator, unit, scope), value in zip(TABLE_SERIES, cells, strict=True):
                if value is None:
                    continue
                out.append(
                    {
                        "indicator": indicator,
                        "period_start": date(year, 1, 1),
                        "period_end": date(year, 12, 31),
                        "value": value,
                        "unit": unit,
                        "scope": f"{scope}, calendar year",
                        "vintage": vintage,
                        "known_at": known_at,
                        "source_url": TABLE_URL,
                        "source_title": f"INEGI vs SESNSP homicides ({path.name})",
                        "verified": True,
                        "note": note,
                    }
                )
        used = sum(1 for _, _, cells in values if any(c is not None for c in cells))
        return iter([self.chunk(out, rejects, read, used)])


__all__ = ["InegiSesnspSource", "SesnspVictimsSource"]
