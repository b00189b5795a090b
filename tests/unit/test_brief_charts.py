"""The one chart module: a scene, drawn as SVG, PDF and PNG, with intervals, n and gaps."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from dyadwatch.errors import UsageError
from dyadwatch.present.charts import (
    Label,
    Shape,
    nice_ticks,
    series_scene,
    series_text,
    spark_scene,
    strip_scene,
    tick_text,
    to_pdf,
    to_png,
    to_svg,
    write_chart,
)

pytestmark = pytest.mark.unit


def rows() -> list[dict[str, Any]]:
    """Six monthly values; the third has too few events (a gap)."""
    out = []
    for i, (v, n) in enumerate([(1.0, 6), (0.5, 7), (None, 3), (-1.0, 8), (-2.0, 9), (-1.5, 6)]):
        out.append(
            {
                "period": f"2020-{i + 1:02d}",
                "period_start": date(2020, i + 1, 1),
                "value": v,
                "lo": None if v is None else v - 1.5,
                "hi": None if v is None else v + 1.5,
                "n": n,
            }
        )
    return out


def test_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(-2.7, 4.1) == [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0]
    assert nice_ticks(0, 9, 3) == [0.0, 5.0, 10.0]
    assert nice_ticks(1.0, 1.0)[0] <= 1.0 <= nice_ticks(1.0, 1.0)[-1]
    assert tick_text(-2.0) == "−2" and tick_text(1500.0) == "1,500"


def test_a_series_draws_its_band_line_gap_and_events() -> None:
    turning = [{"period": "2020-04", "period_start": date(2020, 4, 1), "direction": "down",
                "label": "April 2020 ▼"}]  # fmt: skip
    scene = series_scene(rows(), turning, text=series_text("relationship", "en", "Title"))
    shapes = [s for s in scene.shapes if isinstance(s, Shape)]
    assert len([s for s in shapes if s.cls == "line"]) == 2  # the gap splits the line
    assert len([s for s in shapes if s.cls == "band"]) == 2  # and the interval band
    bars = [s for s in shapes if s.cls.startswith("n")]
    assert len(bars) == 6  # one bar of n per value, the thin one in grey
    assert [s.cls for s in bars].count("n low") == 1
    texts = [s.text for s in scene.shapes if isinstance(s, Label)]
    assert "April 2020 ▼" in texts and "90 % interval" in texts and "events (n)" in texts
    assert "effect on cooperation (−10 … +10)" in texts


def test_svg_is_self_contained_and_escaped() -> None:
    svg = to_svg(series_scene(rows(), text=series_text("relationship", "en", "a <b> & c")))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "a &lt;b&gt; &amp; c" in svg
    assert re.findall(r"https?://[^\"']+", svg) == ["http://www.w3.org/2000/svg"]
    assert svg.count('<path class="line"') == 2


def test_the_same_scene_draws_into_a_pdf_and_a_png(tmp_path: Path) -> None:
    scene = series_scene(rows(), text=series_text("relationship", "es"))
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", _font())
    pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
    height = to_pdf(scene, pdf, 10, 10, 180, "DejaVu")
    assert height == pytest.approx(180 * scene.height / scene.width)
    assert len(bytes(pdf.output())) > 1000
    png = to_png(scene)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert write_chart(scene, tmp_path / "c.svg").read_text().startswith("<?xml")
    with pytest.raises(UsageError, match=r"\.svg or \.png"):
        write_chart(scene, tmp_path / "c.gif")


def _font(name: str = "DejaVuSans.ttf") -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


def test_spark_shows_its_ends_and_breaks_at_gaps() -> None:
    points = [
        {"period_start": date(2019, 1, 1), "value": 1.0},
        {"period_start": date(2020, 1, 1), "value": None},
        {"period_start": date(2021, 1, 1), "value": 3.0},
        {"period_start": date(2022, 1, 1), "value": 2.0},
    ]
    svg = to_svg(spark_scene(points))
    assert svg.count('<path class="line"') == 2
    assert ">2019<" in svg and ">2022<" in svg and ">2<" in svg  # years and the last value
    assert "<path" not in to_svg(spark_scene(points[:1]))


def test_strip_colours_each_month_and_marks_lever_use() -> None:
    svg = to_svg(
        strip_scene(
            [
                {"as_of": "2021-01-31", "status": "met", "lever_in_use": True},
                {"as_of": "2021-02-28", "status": "unknown", "lever_in_use": False},
            ]
        ),
        cls="strip",
    )
    assert 'class="met"' in svg and 'class="unknown"' in svg and 'class="used"' in svg


def test_an_empty_series_says_so() -> None:
    text = series_text("relationship", "en")
    assert "–" in to_svg(series_scene([], text=text))
