"""SESNSP victims (bz2) and the INEGI-vs-SESNSP table: real files and malformed ones."""

from __future__ import annotations

import bz2
from datetime import date
from pathlib import Path

import pytest

from dyadwatch.errors import ArtifactError
from dyadwatch.knowledge.loader import load
from dyadwatch.sources.base import Chunk, Source
from dyadwatch.sources.statistics.sesnsp import InegiSesnspSource, SesnspVictimsSource

pytestmark = pytest.mark.sample

VICTIMS_HEADER = (
    "date_year_month,n_year,n_month,cve_ent,nombre_estado,bien_juridico_afectado,"
    "tipo_de_delito,subtipo_de_delito,modalidad,genero,rango_de_edad,n_victimas\n"
)


def read_all(src: Source, path: Path) -> Chunk:
    (chunk,) = src.read(next(iter(src.artifacts_for_paths([path]))))
    return chunk


def by(chunk: Chunk, indicator: str) -> dict[date, float]:
    return {
        r["period_start"]: r["value"]
        for r in chunk.table.to_pylist()
        if r["indicator"] == indicator
    }


def victims_row(year: int, month: int, ent: str, sub: str, mod: str, n: str) -> str:
    return (
        f"{year}-{month:02d}-15,{year},{month:02d},{ent},Estado {ent},La vida,Homicidio,"
        f"{sub},{mod},Hombre,Adultos (18 y más),{n}\n"
    )


def test_small_bz2_file_sums_nationally_and_by_state(tmp_path: Path) -> None:
    path = tmp_path / "victimas.csv.bz2"
    text = (
        VICTIMS_HEADER
        + victims_row(2020, 1, "01", "Homicidio doloso", "Con arma de fuego", "3")
        + victims_row(2020, 1, "02", "Homicidio doloso", "Con arma blanca", "2")
        + victims_row(2020, 1, "02", "Feminicidio", "Con arma de fuego", "1")
        + victims_row(2020, 2, "01", "Homicidio doloso", "Con arma de fuego", "-1")
        + victims_row(2020, 13, "01", "Homicidio doloso", "Con arma de fuego", "1")
        + "2020-02-15,2020,02\n"
        + victims_row(2020, 2, "01", "Secuestro", "Secuestro extorsivo", "4")
    )
    path.write_bytes(bz2.compress(text.encode()))
    chunk = read_all(SesnspVictimsSource(), path)
    assert chunk.rows_read == 7
    assert [r.line for r in chunk.rejects] == [5, 6, 7]
    jan = date(2020, 1, 1)
    assert by(chunk, "sesnsp_victims_homicidio_doloso_national") == {jan: 5}
    assert by(chunk, "sesnsp_victims_homicidio_doloso_con_arma_de_fuego_national") == {jan: 3}
    assert by(chunk, "sesnsp_victims_homicidio_doloso_02") == {jan: 2}
    assert by(chunk, "sesnsp_victims_feminicidio_national") == {jan: 1}
    assert by(chunk, "sesnsp_victims_secuestro_national") == {date(2020, 2, 1): 4}
    assert set(chunk.table.column("vintage").to_pylist()) == {"sesnsp-victims-through-2020-02"}


def test_a_plain_csv_works_too_and_a_wrong_file_fails(tmp_path: Path) -> None:
    plain = tmp_path / "victimas.csv"
    plain.write_text(
        VICTIMS_HEADER + victims_row(2021, 3, "09", "Homicidio doloso", "Otro elemento", "8")
    )
    assert by(read_all(SesnspVictimsSource(), plain), "sesnsp_victims_homicidio_doloso_09") == {
        date(2021, 3, 1): 8
    }
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ArtifactError, match="not a SESNSP victims"):
        read_all(SesnspVictimsSource(), wrong)
    corrupt = tmp_path / "corrupt.csv.bz2"
    corrupt.write_bytes(b"BZh91AY&SY not really bzip2")
    with pytest.raises(ArtifactError, match="cannot be read"):
        read_all(SesnspVictimsSource(), corrupt)


@pytest.mark.slow
def test_the_real_victims_file(shared_data: Path) -> None:
    path = (
        shared_data
        / "statistics"
        / "mexico_sesnsp"
        / "isaacarroyov_db_victimas_delitos_ent_long.csv.bz2"
    )
    chunk = read_all(SesnspVictimsSource(), path)
    assert chunk.rows_read == 927360 and chunk.rejects == []
    national = by(chunk, "sesnsp_victims_homicidio_doloso_national")
    assert min(national) == date(2015, 1, 1) and max(national) == date(2025, 6, 1)
    assert len(national) == 126
    states = {
        r["indicator"]
        for r in chunk.table.to_pylist()
        if r["indicator"].startswith("sesnsp_victims_homicidio_doloso_")
        and r["indicator"][-2:].isdigit()
    }
    assert len(states) == 32
    by_state = sum(
        r["value"]
        for r in chunk.table.to_pylist()
        if r["indicator"] in states and r["period_start"] == date(2020, 6, 1)
    )
    assert by_state == national[date(2020, 6, 1)]


@pytest.fixture(scope="module")
def table_path(shared_data: Path) -> Path:
    return shared_data / "statistics" / "mexico_sesnsp" / "diegovalle_table-inegi-sesnsp.csv"


def test_inegi_sesnsp_table(table_path: Path) -> None:
    chunk = read_all(InegiSesnspSource(), table_path)
    inegi = by(chunk, "inegi_homicides_registered")
    assert min(inegi) == date(1990, 1, 1) and max(inegi) == date(2016, 1, 1)
    assert inegi[date(1990, 1, 1)] == 14493
    assert by(chunk, "sesnsp_homicide_victims_nm")[date(2017, 1, 1)] == 28734
    assert by(chunk, "sesnsp_homicide_victims_vm")[date(2014, 1, 1)] == 17336
    assert set(chunk.table.column("vintage").to_pylist()) == {"inegi-sesnsp-table-through-2017-12"}
    (footer,) = chunk.rejects
    lines = table_path.read_text(encoding="utf-8", errors="replace").splitlines()
    assert footer.line is not None and lines[footer.line - 1].startswith('"FUENTE:')
    assert "footer" in footer.reason


def test_the_table_confirms_the_curated_inegi_counts(table_path: Path) -> None:
    """The curated INEGI series (from press reports) agrees with the table for 2006-2016."""
    inegi = by(read_all(InegiSesnspSource(), table_path), "inegi_homicides_registered")
    curated = [
        o.record
        for o in load().observations
        if o.record.indicator == "mexico_homicides_inegi"
        and o.record.vintage == "definitive"
        and 2006 <= int(o.record.period) <= 2016
    ]
    # 2007-2016: the definitive counts a found page confirms (2006 was removed from the
    # record when no page gave it; see docs/kb-sweep.md, 2006-2016)
    assert len(curated) >= 9
    for o in curated:
        assert inegi[date(int(o.period), 1, 1)] == o.value, o.period


def test_table_with_bad_rows_and_wrong_file(tmp_path: Path, table_path: Path) -> None:
    lines = table_path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    broken = [*lines[:2], '"1990","87064847","14,493",,,,,,,\n', '"1991","x","oops",,,,,,,\n']
    path = tmp_path / "table.csv"
    path.write_text("".join(broken))
    chunk = read_all(InegiSesnspSource(), path)
    assert [r.line for r in chunk.rejects] == [4]
    assert by(chunk, "inegi_homicides_registered") == {date(1990, 1, 1): 14493}
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("YEAR,homicide\n2012,1\n2013,2\n")
    with pytest.raises(ArtifactError, match="not the INEGI-vs-SESNSP"):
        read_all(InegiSesnspSource(), wrong)
