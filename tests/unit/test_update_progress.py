"""``dyadwatch update`` draws its stages with the shared rich bar; the library only reports."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from dyadwatch.present.cli.update import StageBars

pytestmark = pytest.mark.unit


def test_an_update_draws_its_download_then_its_ingest_bar() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with StageBars("icews", enabled=True, delay=0, console=console) as bars:
        download, ingest = bars.stage("download"), bars.stage("ingest")
        for done in range(3):
            download(done, 2)
        ingest(0, 2)  # closes the download bar: rich draws one live display at a time
        ingest(2, 2)
    text = buf.getvalue()
    assert "icews download" in text and "icews ingest" in text
    assert text.index("icews download") < text.index("icews ingest")


def test_no_bar_is_drawn_when_disabled() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with StageBars("acled", enabled=False, delay=0, console=console) as bars:
        bars.stage("download")(1, 1)
    assert buf.getvalue() == ""
