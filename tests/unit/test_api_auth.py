"""Tokens, the write endpoints behind them, and reads behind them when the setting says so."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.errors import UsageError
from dyadwatch.present.api.app import create_app
from dyadwatch.present.api.auth import COOKIE
from dyadwatch.present.api.tokens import TOKENS_FILE, TokenStore
from dyadwatch.present.cli.main import main
from dyadwatch.settings import Settings
from tests.unit.api_support import assert_error, curated_store, make_client, writable_store

pytestmark = pytest.mark.unit

NEW_EVENT: dict[str, Any] = {
    "id": "2021-01-20-api-test-statement",
    "date": "2021-01-20",
    "source": "MEX:FGR",
    "target": "USA:DOJ",
    "cameo": "111",
    "instruments": ["indictments"],
    "summary": "A test statement added through the API, to check that writes validate and land.",
    "sources": [
        {"url": "https://example.org/test", "title": "A test page", "published": "2021-01-20"}
    ],
    "verified": False,
    "relation_effect": -2,
    "effect_rationale": "A test: words of friction between the prosecutors' offices.",
}


# --- tokens ----------------------------------------------------------------------------------


def test_tokens_are_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    tokens = TokenStore(tmp_path)
    created = tokens.create("laptop")
    assert created.token.startswith(f"dw_{created.info.id}_")
    text = (tmp_path / TOKENS_FILE).read_text()
    secret = created.token.split("_", 2)[2]
    assert secret not in text and created.token not in text
    assert json.loads(text)["tokens"][0]["name"] == "laptop"
    assert stat.S_IMODE((tmp_path / TOKENS_FILE).stat().st_mode) == 0o600
    assert tokens.verify(created.token) is not None
    assert tokens.verify(created.token + "x") is None
    assert tokens.verify(created.token[:-1] + ("A" if created.token[-1] != "A" else "B")) is None
    assert tokens.verify("dw_zzzzzzzz_abc") is None and tokens.verify(None) is None


def test_revoked_tokens_stop_working(tmp_path: Path) -> None:
    tokens = TokenStore(tmp_path)
    a, b = tokens.create("a"), tokens.create("b")
    revoked = tokens.revoke(a.info.id)
    assert revoked.revoked_at is not None
    assert tokens.verify(a.token) is None and tokens.verify(b.token) is not None
    assert [t.active for t in tokens.list()] == [False, True]
    with pytest.raises(UsageError, match="no token with id"):
        tokens.revoke("00000000")
    with pytest.raises(UsageError, match="token name"):
        tokens.create("bad\nname")


def test_token_cli_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    assert main(["init", "--store", str(store)]) == 0
    capsys.readouterr()
    assert main(["token", "create", "--name", "ci", "--store", str(store)]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert token.startswith("dw_") and "shown only now" in out.err
    assert main(["token", "list", "--json", "--store", str(store)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == ["ci"] and token not in json.dumps(listed)
    assert main(["token", "revoke", listed[0]["id"], "--store", str(store)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["token", "revoke", "nope", "--store", str(store)]) == 2  # given wrong
    assert "no token with id" in capsys.readouterr().err


# --- writes ----------------------------------------------------------------------------------


@pytest.fixture()
def writable(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, Path]:
    root, kb = writable_store(tmp_path, tmp_path_factory)
    app = create_app(Settings(store=root), kb_root=kb)
    token = TokenStore(root).create("test").token
    return make_client(app, raise_server_exceptions=False), token, kb


def test_writes_need_a_token(writable: tuple[Any, str, Path]) -> None:
    client, token, _ = writable
    r = client.post("/api/events", json=NEW_EVENT)
    err = assert_error(r, 401, "unauthorized")
    assert "Authorization: Bearer" in err["message"] and r.headers["www-authenticate"] == "Bearer"
    bad = {"Authorization": "Bearer dw_00000000_" + "x" * 43}
    assert_error(client.post("/api/events", json=NEW_EVENT, headers=bad), 401, "unauthorized")
    assert_error(client.post("/api/ingest", json={"source": "curated"}), 401, "unauthorized")
    cookie_only = make_client(client.app, cookies={COOKIE: token})
    assert_error(cookie_only.post("/api/ingest", json={"source": "curated"}), 401)


def test_add_event_validates_appends_and_ingests(writable: tuple[Any, str, Path]) -> None:
    client, token, kb = writable
    auth = {"Authorization": f"Bearer {token}"}
    before = client.get("/api/events", params={"limit": 1}).json()["total"]
    generation = client.get("/api/status").json()["generation"]
    r = client.post("/api/events", json=NEW_EVENT, headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["added"]["id"] == NEW_EVENT["id"] and body["file"] == "2017-2026.yaml"
    assert body["ingest"]["ok"] and body["ingest"]["generation"] > generation
    assert NEW_EVENT["id"] in (kb / "events" / "2017-2026.yaml").read_text()
    after = client.get("/api/events", params={"limit": 1, "q": "added through the API"}).json()
    assert after["total"] == 1
    assert client.get("/api/events", params={"limit": 1}).json()["total"] == before + 1
    # The same id again is refused, and nothing is written.
    text = (kb / "events" / "2017-2026.yaml").read_text()
    again = client.post("/api/events", json=NEW_EVENT, headers=auth)
    assert_error(again, 422, "invalid_event")
    assert (kb / "events" / "2017-2026.yaml").read_text() == text


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"source": "MEX:NOBODY"}, 422, "invalid_event"),
        ({"cameo": "999"}, 422, "invalid_event"),
        ({"date": "2021-02-30"}, 422, "invalid_event"),
        ({"colour": "red"}, 422, "invalid_parameter"),
        ({"sources": "not a list"}, 422, "invalid_parameter"),
        ({"file": "../../etc/passwd"}, 422, "invalid_parameter"),
    ],
)
def test_invalid_events_are_refused_with_reasons(
    writable: tuple[Any, str, Path], change: dict[str, Any], status: int, code: str
) -> None:
    client, token, kb = writable
    files = {p.name: p.read_text() for p in (kb / "events").glob("*.yaml")}
    r = client.post(
        "/api/events", json={**NEW_EVENT, **change}, headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(r, status, code)
    assert {p.name: p.read_text() for p in (kb / "events").glob("*.yaml")} == files


def test_malformed_json_body(writable: tuple[Any, str, Path]) -> None:
    client, token, _ = writable
    r = client.post(
        "/api/events",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    err = assert_error(r, 422, "invalid_parameter")
    assert "JSON" in err["message"]


def test_ingest_endpoint(writable: tuple[Any, str, Path], tmp_path: Path) -> None:
    client, token, _ = writable
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/ingest", json={"source": "curated"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] and body["artifacts"]
    assert {a["status"] for a in body["artifacts"]} == {"skipped"}  # nothing changed
    inbox = client.app.state.settings.store / "inbox"  # the default api_ingest_dirs
    inbox.mkdir()
    csv = inbox / "mine.csv"
    csv.write_text(
        "source_key,event_date,actor1_country,actor2_country,cameo_code,summary\n"
        "k1,2021-01-20,USA,MEX,036,an analyst's own event\n"
    )
    r = client.post("/api/ingest", json={"source": "file", "paths": [str(csv)]}, headers=auth)
    assert r.status_code == 200 and r.json()["artifacts"][0]["kept"] == 1
    found = client.get("/api/events", params={"source": "file"}).json()
    assert found["total"] == 1 and found["events"][0]["summary"] == "an analyst's own event"
    assert_error(client.post("/api/ingest", json={"source": "file"}, headers=auth), 422)
    missing = {"source": "file", "paths": [str(inbox / "absent.csv")]}
    assert_error(client.post("/api/ingest", json=missing, headers=auth), 422, "invalid_parameter")
    err = assert_error(
        client.post("/api/ingest", json={"source": "gdlet"}, headers=auth), 422, "unknown_source"
    )
    assert "Did you mean gdelt?" in err["message"]


def test_ingest_reads_only_files_under_the_ingest_dirs(
    writable: tuple[Any, str, Path], tmp_path: Path
) -> None:
    """A write token is not a licence to read the server's files."""
    client, token, _ = writable
    auth = {"Authorization": f"Bearer {token}"}
    store = client.app.state.settings.store
    (store / "inbox").mkdir()
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("source_key,event_date,actor1_country,actor2_country,cameo_code\n")
    link = store / "inbox" / "link.csv"
    link.symlink_to(outside)
    for raw in (
        str(outside),
        "/etc/passwd",
        str(store / "inbox" / ".." / ".." / "elsewhere.csv"),
        str(link),  # a link out of the inbox is resolved, then refused
    ):
        body = {"source": "file", "paths": [raw]}
        err = assert_error(client.post("/api/ingest", json=body, headers=auth), 403)
        assert err["code"] == "path_not_allowed" and "api_ingest_dirs" in err["message"]
    assert client.get("/api/events", params={"source": "file"}).json()["total"] == 0


def test_the_ingest_dirs_setting_opens_other_directories(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root, kb = writable_store(tmp_path, tmp_path_factory)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "e.csv").write_text(
        "source_key,event_date,actor1_country,actor2_country,cameo_code,summary\n"
        "k9,2021-02-01,USA,MEX,036,from the drop directory\n"
    )
    app = create_app(Settings(store=root, api_ingest_dirs=(drop,)), kb_root=kb)
    token = TokenStore(root).create("test").token
    client = make_client(app, raise_server_exceptions=False)
    body = {"source": "file", "paths": [str(drop / "e.csv")]}
    r = client.post("/api/ingest", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["artifacts"][0]["kept"] == 1


# --- reads behind tokens ---------------------------------------------------------------------


def test_token_read_access(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    root = curated_store(tmp_path_factory)
    settings = Settings(store=root, api_read_access="token")
    tokens_dir = tmp_path / "tokens-store"
    tokens_dir.mkdir()
    app = create_app(settings)
    # Tokens live in the store; use a private token file for this test.
    app.state.tokens = TokenStore(tokens_dir)
    token = app.state.tokens.create("reader").token
    anon = make_client(app, raise_server_exceptions=False)
    assert_error(anon.get("/api/events"), 401, "unauthorized")
    assert anon.get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page = anon.get("/")
    assert page.status_code == 401 and "/login" in page.text
    assert anon.get("/login").status_code == 200
    # The dashboard's sign-in trades the token for a session cookie; the token itself in a
    # cookie opens nothing.
    assert make_client(app, cookies={COOKIE: token}).get("/instruments").status_code == 401
    signed_in = make_client(app, raise_server_exceptions=False)
    r = signed_in.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert signed_in.cookies[COOKIE] != token
    assert signed_in.get("/instruments").status_code == 200
    assert signed_in.get("/api/status").json()["read_access"] == "token"
