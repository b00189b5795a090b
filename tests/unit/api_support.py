"""Shared by the API tests: one store built from the embedded knowledge base per session."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from dyadwatch import pipeline
from dyadwatch.sources import get_source
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.store import Store

_BUILT: dict[str, Path] = {}


def make_client(app: Any, **kwargs: Any) -> Any:
    """Starlette's TestClient (its import warns that httpx2 is preferred; httpx is what we pin)."""
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient
    return TestClient(app, **kwargs)


def curated_store(factory: pytest.TempPathFactory) -> Path:
    """The path of a store holding the shipped knowledge base, built once per session."""
    if "curated" not in _BUILT:
        root = factory.mktemp("api-store") / "store"
        store = Store.open(root, create=True)
        source = get_source("curated")
        summary = pipeline.ingest(source, source.discover(), store)
        assert summary.ok and summary.rows_kept > 0
        _BUILT["curated"] = root
    return _BUILT["curated"]


def writable_store(tmp: Path, factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store and a copy of the knowledge base it was built from, both free to change.

    Built once per session, then copied (a store's manifest holds relative paths).
    """
    from dyadwatch.knowledge.loader import data_root

    if "writable" not in _BUILT:
        base = factory.mktemp("api-writable")
        shutil.copytree(data_root(), base / "kb")
        store = Store.open(base / "store", create=True)
        source = CuratedSource(base / "kb")
        assert pipeline.ingest(source, source.discover(), store).ok
        _BUILT["writable"] = base
    base = _BUILT["writable"]
    shutil.copytree(base / "kb", tmp / "kb")
    shutil.copytree(base / "store", tmp / "store", ignore=shutil.ignore_patterns("*.lock"))
    return tmp / "store", tmp / "kb"


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one error shape with this status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "details"}
    assert err["status"] == status
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    assert err["details"] is None or isinstance(err["details"], list)
    return err
