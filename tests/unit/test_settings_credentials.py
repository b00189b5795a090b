"""Credentials are settings (issue 15 follow-up): from the environment or the config file,
never shown, logged or echoed in an error.

``acled_username``/``acled_password`` and ``dataverse_token`` come from
``DYADWATCH_ACLED_USERNAME``/``DYADWATCH_ACLED_PASSWORD``/``DYADWATCH_DATAVERSE_TOKEN`` or
``dyadwatch.toml``; the secrets are :class:`Secret` (``***``), and a config file holding one
that others may read gets a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dyadwatch.errors import ConfigError
from dyadwatch.settings import SETTINGS_TABLE, Secret, Settings, load
from dyadwatch.sources.acled import AcledSource
from dyadwatch.sources.icews import IcewsSource
from dyadwatch.sources.polecat import PolecatSource

pytestmark = pytest.mark.unit

PASSWORD = "correct horse battery staple"
TOKEN = "dv-token-0123456789"


def config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "dyadwatch.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_credentials_come_from_the_config_file_and_the_environment_wins(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        f'acled_username = "analyst@example.org"\nacled_password = "{PASSWORD}"\n'
        f'dataverse_token = "{TOKEN}"\n',
    )
    s = load(config=cfg, env={})
    assert s.acled_username == "analyst@example.org"
    assert isinstance(s.acled_password, Secret) and s.acled_password.reveal() == PASSWORD
    assert s.dataverse_token is not None and s.dataverse_token.reveal() == TOKEN
    env = {"DYADWATCH_ACLED_PASSWORD": "from-env", "DYADWATCH_DATAVERSE_TOKEN": "t2"}
    s = load(config=cfg, env=env)
    assert s.acled_password == Secret("from-env") and s.dataverse_token == Secret("t2")
    assert s.acled_username == "analyst@example.org"
    assert {"acled_username", "acled_password", "dataverse_token"} <= set(SETTINGS_TABLE)


def test_settings_never_show_a_secret(tmp_path: Path) -> None:
    s = load(
        config=None,
        env={"DYADWATCH_ACLED_PASSWORD": PASSWORD, "DYADWATCH_DATAVERSE_TOKEN": TOKEN},
    )
    for text in (repr(s), str(s), f"{s.acled_password}", repr(s.dataverse_token)):
        assert PASSWORD not in text and TOKEN not in text
    assert "***" in repr(s)
    assert load(env={}) == Settings()  # no credential: nothing set


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (f'acled_password = ["{PASSWORD}"]', "acled_password"),
        ('dataverse_token = "   "', "dataverse_token"),
        ("acled_username = 3", "acled_username"),
    ],
)
def test_a_bad_credential_is_an_error_that_does_not_repeat_it(
    tmp_path: Path, text: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(config=config(tmp_path, text + "\n"), env={})
    assert needle in str(info.value)
    assert PASSWORD not in str(info.value)


def test_a_config_file_others_may_read_is_warned_about_without_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = f'acled_username = "a@b.org"\nacled_password = "{PASSWORD}"\n'
    with caplog.at_level(logging.WARNING, logger="dyadwatch.settings"):
        load(config=config(tmp_path, text, mode=0o600), env={})
        assert not caplog.records
        cfg = config(tmp_path, text, mode=0o644)
        load(config=cfg, env={})
    (record,) = caplog.records
    assert "acled_password" in record.getMessage() and "chmod 600" in record.getMessage()
    assert PASSWORD not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dyadwatch.settings"):
        load(config=config(tmp_path, 'store = "s"\n', mode=0o644), env={})
    assert not caplog.records  # nothing secret in it: no warning


def test_sources_take_their_credentials_from_the_settings(tmp_path: Path) -> None:
    s = Settings(
        store=tmp_path,
        acled_username="analyst@example.org",
        acled_password=Secret(PASSWORD),
        dataverse_token=Secret(TOKEN),
    )
    acled = AcledSource.from_settings(s)
    assert acled.api.credentials is not None
    assert acled.api.credentials.password.reveal() == PASSWORD
    for cls in (IcewsSource, PolecatSource):
        source = cls.from_settings(s)
        assert source.dataverse.token == Secret(TOKEN)
        assert TOKEN not in repr(source.dataverse) and PASSWORD not in repr(acled.api)
    # Half an account is none: the error says which settings to give.
    assert AcledSource.from_settings(Settings(acled_username="a@b.org")).api.credentials is None
