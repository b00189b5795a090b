"""A chart of the dyad index with its turning points marked (PNG or SVG, matplotlib Agg).

The chart shows one measure of one series as a line (periods without events are gaps, not
zeros), the zero line, dashed vertical lines at the turning points with their period labels,
and, for the fused series, the per-source series faintly behind it. Output is reproducible:
no timestamp is written into the file and the SVG ids are salted with a constant.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from dyadwatch.analyse.index import FUSED, IndexSpec, turning_points
from dyadwatch.analyse.index.core import IndexSession, make_spec, run_index
from dyadwatch.analyse.index.evidence import check_measure
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.store.store import Store

log = logging.getLogger(__name__)

FORMATS = {".png": "png", ".svg": "svg"}
LABELS = {
    "net_coop": "net cooperation (VC + MC − VK − MK) / N",
    "goldstein_net": "mean Goldstein score",
    "share_a": "dyad events / all events of A",
    "share_b": "dyad events / all events of B",
    "net_share_a": "net cooperative events / all events of A",
    "net_share_b": "net cooperative events / all events of B",
}


def draw(
    series: pa.Table,
    path: Path | str,
    *,
    measure: str = "net_coop",
    turning: pa.Table | None = None,
    background: dict[str, pa.Table] | None = None,
    title: str | None = None,
) -> Path:
    """Draw ``series`` (rows of one index series) to ``path``; return the path written.

    Examples
    --------
    >>> draw(run.series("fused"), "index.svg", turning=tp)  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"chart file {path} must end in .png or .svg.")
    if series.num_rows == 0:
        raise AnalysisError("the index has no periods to draw; widen --since/--until.")
    x: list[Any] = series.column("period_start").to_pylist()
    y = [float("nan") if v is None else v for v in series.column(measure).to_pylist()]
    with plt.rc_context({"svg.hashsalt": "dyadwatch", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(10, 4), dpi=120)
        try:
            for label, table in sorted((background or {}).items()):
                bx: list[Any] = table.column("period_start").to_pylist()
                by = [float("nan") if v is None else v for v in table.column(measure).to_pylist()]
                ax.plot(bx, by, linewidth=0.8, alpha=0.35, label=label)
            ax.plot(x, y, color="black", linewidth=1.4, marker=".", markersize=3, label="index")
            ax.axhline(0.0, color="grey", linewidth=0.6)
            if turning is not None and turning.num_rows:
                for start, period, direction in zip(
                    turning.column("period_start").to_pylist(),
                    turning.column("period").to_pylist(),
                    turning.column("direction").to_pylist(),
                    strict=True,
                ):
                    colour = "tab:green" if direction == "up" else "tab:red"
                    ax.axvline(start, color=colour, linestyle="--", linewidth=1.0)
                    ax.annotate(
                        f"{period} {'▲' if direction == 'up' else '▼'}",
                        xy=(start, 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(2, -10),
                        textcoords="offset points",
                        color=colour,
                        fontsize=8,
                    )
            ax.set_ylabel(LABELS.get(measure, measure))
            ax.set_title(title or measure)
            ax.grid(True, linewidth=0.3, alpha=0.5)
            if background:
                ax.legend(loc="lower left", fontsize=7, frameon=False)
            fig.autofmt_xdate()
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            meta: dict[str, Any] = (
                {"Creator": "dyadwatch", "Date": None}
                if fmt == "svg"
                else {"Software": "dyadwatch"}
            )
            fig.savefig(path, format=fmt, metadata=meta)
        finally:
            plt.close(fig)
    return path


def index_chart(
    store: Store,
    path: Path | str,
    spec: IndexSpec | None = None,
    *,
    source: str = FUSED,
    measure: str = "net_coop",
    penalty: float | None = None,
    turning: bool = True,
    session: IndexSession | None = None,
    **params: Any,
) -> Path:
    """Compute the index and draw it with its turning points; return the path written.

    Examples
    --------
    >>> index_chart(store, "usa-mex.png", freq="quarter", since=date(2015, 1, 1))  # doctest: +SKIP
    """
    check_measure(measure)
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"chart file {path} must end in .png or .svg.")
    checked = make_spec(spec, params)
    run = run_index(store, checked, session=session)
    series = run.series(source)
    tp = None
    if turning:
        try:
            tp = turning_points(
                store, checked, source=source, measure=measure, penalty=penalty, session=session
            )
        except AnalysisError as exc:
            log.info("no turning points drawn: %s", exc)
    background = (
        {label: run.series(label) for label in run.scope.series}
        if source == FUSED and len(run.scope.series) > 1
        else None
    )
    title = f"{checked.dyad} ({checked.direction}), {source}, by {checked.freq}"
    if checked.as_of is not None:
        title += f", as of {checked.as_of}"
    return draw(series, path, measure=measure, turning=tp, background=background, title=title)
