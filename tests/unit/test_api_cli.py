"""``dyadwatch serve``: options reach the application; a missing store is one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dyadwatch.present.cli.main import main
from tests.unit.api_support import curated_store

pytestmark = pytest.mark.unit


@pytest.fixture()
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stand in for uvicorn.run and the warm-up; record what serve would run."""
    import uvicorn

    import dyadwatch.present.api.app as app_module

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setattr(app_module, "warm", lambda app, freq="quarter": seen.update(warm=True))
    return seen


def test_serve_runs_the_app_with_the_options(
    served: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = curated_store(tmp_path_factory)
    argv = ["serve", "--store", str(store), "--port", "8123", "--kb-root", str(tmp_path)]
    assert main([*argv, "--read-access", "token"]) == 0
    app = served["app"]
    assert served["host"] == "127.0.0.1" and served["port"] == 8123 and served["warm"]
    assert app.state.settings.api_read_access == "token"
    assert app.state.kb_root == tmp_path
    assert "serving" in capsys.readouterr().err


def test_serve_warns_when_open_beyond_loopback(
    served: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = curated_store(tmp_path_factory)
    assert main(["serve", "--store", str(store), "--host", "0.0.0.0"]) == 0
    assert "reads are open to anyone" in capsys.readouterr().err


def test_serve_without_a_store_is_one_line(
    served: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--store", str(tmp_path / "absent")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no store at") and "dyadwatch init" in err
    assert "app" not in served
    assert main(["serve", "--port", "70000"]) == 2
