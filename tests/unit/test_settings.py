"""Settings: defaults < config file < environment < arguments; bad values are clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dyadwatch.errors import ConfigError
from dyadwatch.settings import Settings, load

pytestmark = pytest.mark.unit


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load(env={})
    assert s == Settings()
    assert s.store == Path(".dyadwatch")
    assert s.cache_dir == Path(".dyadwatch/cache")
    assert s.ingest_dirs == (Path(".dyadwatch/inbox"),)


def test_ingest_dirs_from_the_environment_and_the_config_file(tmp_path: Path) -> None:
    env = {"DYADWATCH_API_INGEST_DIRS": f"/srv/a{os.pathsep}~/drop"}
    s = load(config=None, env=env)
    assert s.ingest_dirs == (Path("/srv/a"), Path("~/drop").expanduser())
    cfg = tmp_path / "c.toml"
    cfg.write_text('api_ingest_dirs = ["/srv/b"]\n')
    assert load(config=cfg, env={}).ingest_dirs == (Path("/srv/b"),)


def test_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'store = "from-file"\ndyads = ["usa-mex", "USA-CAN"]\ndownload_concurrency = 2\n'
    )
    s = load(config=cfg, env={"DYADWATCH_STORE": "from-env"})
    assert s.store == Path("from-env")
    assert s.dyads == ("USA-MEX", "USA-CAN")
    assert s.download_concurrency == 2
    s = load(config=cfg, env={"DYADWATCH_STORE": "from-env"}, store=Path("from-arg"))
    assert s.store == Path("from-arg")


def test_unrelated_environment_variables_are_ignored(tmp_path: Path) -> None:
    s = load(config=None, env={"DYADWATCH_SHARED_DATA": "/x", "DYADWATCH_DYADS": "USA-MEX,MEX-GTM"})
    assert s.dyads == ("USA-MEX", "MEX-GTM")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("dyads = ['USAMEX']", "not a dyad like USA-MEX"),
        ("download_concurrency = 0", "not a positive integer"),
        ("strictness = 'lenient'", "not one of raise, quarantine, warn, ignore"),
        ("stroe = 'x'", "Did you mean store?"),
        ("store = [", "not valid TOML"),
    ],
)
def test_bad_config(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text + "\n")
    with pytest.raises(ConfigError, match=needle.replace("?", r"\?")):
        load(config=cfg, env={})


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(config=tmp_path / "nope.toml", env={})


def test_bad_environment_value() -> None:
    with pytest.raises(ConfigError, match="environment: setting 'download_timeout'"):
        load(env={"DYADWATCH_DOWNLOAD_TIMEOUT": "soon"})
