"""The server's trust boundary: security headers, the session cookie, request limits, and a
corpus of hostile inputs that must each get a 4xx in the error shape (never a 500, never a
dropped keep-alive connection).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dyadwatch.present.api.app import (
    CONTENT_SECURITY_POLICY,
    MAX_BODY_BYTES,
    SECURITY_HEADERS,
    create_app,
)
from dyadwatch.present.api.auth import COOKIE
from dyadwatch.present.api.data import StoreView
from dyadwatch.present.api.tokens import TokenStore
from dyadwatch.settings import Settings
from tests.unit.api_support import assert_error, curated_store, make_client, writable_store

pytestmark = pytest.mark.unit


@pytest.fixture()
def writable(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, Path]:
    root, kb = writable_store(tmp_path, tmp_path_factory)
    (root / "inbox").mkdir()
    app = create_app(Settings(store=root), kb_root=kb)
    token = TokenStore(root).create("test").token
    return make_client(app, raise_server_exceptions=False), token, root


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/timeline"),
        ("GET", "/login"),
        ("GET", "/docs"),
        ("GET", "/api/status"),
        ("GET", "/api/index?freq=year"),
        ("GET", "/openapi.json"),
        ("GET", "/static/dashboard.css"),
        ("GET", "/static/dashboard.js"),
        ("GET", "/api/nothing"),
        ("GET", "/nothing"),
        ("GET", "/api/events?limit=0"),
        ("POST", "/api/ingest"),
        ("POST", "/api/index"),
    ],
)
def test_every_response_carries_the_security_headers(
    writable: tuple[Any, str, Path], method: str, path: str
) -> None:
    client, _, _ = writable
    r = client.request(method, path)
    for name, value in SECURITY_HEADERS:
        assert r.headers[name] == value, (path, name)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_the_policy_admits_only_the_dashboards_own_files() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/timeline", "/instruments", "/indicators", "/docs"])
def test_pages_hold_no_inline_script_or_style_the_policy_would_block(
    writable: tuple[Any, str, Path], path: str
) -> None:
    client, _, _ = writable
    html = client.get(path).text
    assert "<style" not in html
    assert not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag
    assert not re.search(r"(src|href)=\"(https?:)?//", re.sub(r"<a\b[^>]*>", "", html))


# --- the session cookie ------------------------------------------------------------------------


@pytest.fixture()
def token_app(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    app = create_app(Settings(store=curated_store(tmp_path_factory), api_read_access="token"))
    app.state.tokens = TokenStore(tmp_path)
    return app, app.state.tokens.create("reader").token


def test_sign_in_sets_an_httponly_samesite_session_that_only_reads(
    token_app: tuple[Any, str],
) -> None:
    app, token = token_app
    client = make_client(app, raise_server_exceptions=False)
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert token not in cookie and token.split("_")[2] not in cookie
    assert client.get("/api/events").status_code == 200
    assert client.get("/instruments").status_code == 200
    # The session never writes.
    assert_error(client.post("/api/ingest", json={"source": "curated"}), 401, "unauthorized")


def test_a_wrong_token_a_forged_or_expired_session_and_a_revoked_token_open_nothing(
    token_app: tuple[Any, str],
) -> None:
    app, token = token_app
    tokens: TokenStore = app.state.tokens
    client = make_client(app, raise_server_exceptions=False)
    r = client.post("/login", data={"token": "dw_00000000_" + "x" * 43})
    assert r.status_code == 401 and COOKIE not in r.headers.get("set-cookie", "")
    session = tokens.start_session(token)
    assert session is not None and tokens.verify_session(session) is not None
    forged = session[:-1] + ("0" if session[-1] != "0" else "1")
    longer = session.split(".")[0] + ".9999999999." + session.split(".")[2]
    old = tokens.start_session(token, now=datetime.now(UTC) - timedelta(days=2))
    for value in (forged, longer, old, token, ""):
        assert tokens.verify_session(value) is None
        jar = make_client(app, cookies={COOKIE: value or "x"})
        assert_error(jar.get("/api/events"), 401, "unauthorized")
    tokens.revoke(token.split("_")[1])
    assert tokens.verify_session(session) is None


def test_sign_in_from_another_site_is_refused(token_app: tuple[Any, str]) -> None:
    app, token = token_app
    client = make_client(app, raise_server_exceptions=False)
    r = client.post("/login", data={"token": token}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and COOKIE not in client.cookies


# --- limits ------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_unread(writable: tuple[Any, str, Path]) -> None:
    client, token, _ = writable
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = b'{"source": "file", "paths": ["' + b"a" * MAX_BODY_BYTES + b'"]}'
    err = assert_error(client.post("/api/ingest", content=big, headers=auth), 413, "too_large")
    assert str(MAX_BODY_BYTES) in err["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: streamed in chunks
        yield b'{"source": "file", "paths": ["'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536
        yield b'"]}'

    assert_error(client.post("/api/ingest", content=chunks(), headers=auth), 413, "too_large")


def test_a_long_path_is_refused_without_being_echoed(writable: tuple[Any, str, Path]) -> None:
    client, _, _ = writable
    # (uvicorn's HTTP/1.1 parser refuses a request head over 16 KB before the application
    # sees it; the application's own limit holds behind any server.)
    for target in ("/api/" + "x" * 60_000, "/api/events?q=" + "y" * 10_000, "/" + "z" * 9000):
        r = client.get(target)
        assert r.status_code == 414
        assert len(r.content) < 2000
    assert_error(client.get("/api/" + "x" * 9000), 414, "uri_too_long")
    # A 404 echoes at most a short part of the path.
    r = client.get("/api/" + "w" * 5000)
    assert_error(r, 404)
    assert len(r.content) < 1000


# --- the malformed-input corpus ---------------------------------------------------------------

CORPUS: list[tuple[str, dict[str, Any], int]] = [
    # (what, JSON body of POST /api/ingest, expected status); {inbox} is the ingest directory
    ("NUL in a path", {"source": "file", "paths": ["{inbox}/a\x00b.csv"]}, 422),
    ("a name over 255 bytes", {"source": "file", "paths": ["{inbox}/" + "n" * 300]}, 422),
    (
        "a folder name over 255 bytes",
        {"source": "gdelt", "paths": ["{inbox}/" + "d" * 256 + "/x"]},
        422,
    ),
    ("a path over 4096 bytes", {"source": "file", "paths": ["{inbox}/" + "p/" * 2100]}, 422),
    ("the memory source", {"source": "memory"}, 422),
    ("the memory source with a path", {"source": "memory", "paths": ["{inbox}/e.csv"]}, 422),
    ("curated files from the inbox", {"source": "curated", "paths": ["{inbox}/e.csv"]}, 422),
    ("an unknown source", {"source": "gdlet"}, 422),
    ("a source with a NUL", {"source": "fi\x00le", "paths": ["{inbox}/e.csv"]}, 422),
    ("a missing file", {"source": "file", "paths": ["{inbox}/absent.csv"]}, 422),
    ("a directory", {"source": "file", "paths": ["{inbox}"]}, 422),
    ("outside the inbox", {"source": "file", "paths": ["/etc/passwd"]}, 403),
    ("a huge path list", {"source": "file", "paths": ["{inbox}/e.csv"] * 1001}, 422),
    ("an extra field", {"source": "file", "paths": [], "sql": "drop"}, 422),
    ("paths not a list", {"source": "file", "paths": "{inbox}/e.csv"}, 422),
    ("a number for a source", {"source": 7}, 422),
]
"""Hostile ``POST /api/ingest`` bodies (issue 20 and their neighbours)."""


def _fill(body: dict[str, Any], inbox: Path) -> dict[str, Any]:
    def sub(v: Any) -> Any:
        if isinstance(v, str):
            return v.replace("{inbox}", str(inbox))
        if isinstance(v, list):
            return [sub(x) for x in v]
        return v

    return {k: sub(v) for k, v in body.items()}


@pytest.mark.parametrize(("what", "body", "status"), CORPUS, ids=[c[0] for c in CORPUS])
def test_the_corpus_gets_4xx_in_the_error_shape(
    writable: tuple[Any, str, Path], what: str, body: dict[str, Any], status: int
) -> None:
    client, token, root = writable
    (root / "inbox" / "e.csv").write_text("source_key,event_date\nk1,2021-01-15\n")
    r = client.post(
        "/api/ingest",
        json=_fill(body, root / "inbox"),
        headers={"Authorization": f"Bearer {token}"},
    )
    err = assert_error(r, status)
    assert "Traceback" not in err["message"] and len(r.content) < 5000, what


def test_a_refused_path_is_echoed_only_in_part(writable: tuple[Any, str, Path]) -> None:
    """A 16 MB path once came back twice in a 32 MB 403; now paths are bounded and clipped."""
    client, token, _ = writable
    auth = {"Authorization": f"Bearer {token}"}
    body = {"source": "file", "paths": ["/elsewhere/" + "q/" * 2000 + "x.csv"]}
    r = client.post("/api/ingest", json=body, headers=auth)
    assert_error(r, 403, "path_not_allowed")
    assert len(r.content) < 1500
    body = {"source": "file", "paths": ["/elsewhere/" + "q" * 5000]}
    assert_error(client.post("/api/ingest", json=body, headers=auth), 422)


def test_a_spoofed_curated_row_through_the_api_is_quarantined(
    writable: tuple[Any, str, Path],
) -> None:
    client, token, root = writable
    spoof = root / "inbox" / "spoof.csv"
    spoof.write_text(
        "source,source_key,event_date,actor1_country,actor2_country,cameo_code,summary\n"
        "curated,fake-1,2021-01-20,USA,MEX,036,an event kb validate never saw\n"
    )
    body = {"source": "file", "paths": [str(spoof)]}
    r = client.post("/api/ingest", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.json()["artifacts"][0]["quarantined"] == 1
    found = client.get("/api/events", params={"q": "kb validate never saw"}).json()
    assert found["total"] == 0


# --- over a real connection: 4xx and 500 keep the keep-alive connection -----------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def live(writable: tuple[Any, str, Path]) -> Iterator[tuple[int, str, Path, Any]]:
    import uvicorn

    client, token, root = writable
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield port, token, root, client.app
    server.should_exit = True
    thread.join(10)


def _exchange(sock: socket.socket, request: bytes) -> tuple[int, bytes]:
    """Send one request on ``sock``; read exactly one response (status, body)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        rest += chunk
    return status, rest[:length]


def _post(path: str, body: bytes, token: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


STATUS = b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_the_corpus_leaves_the_keep_alive_connection_open(
    live: tuple[int, str, Path, Any],
) -> None:
    import json

    port, token, root, _ = live
    (root / "inbox" / "e.csv").write_text("source_key,event_date\nk1,2021-01-15\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for what, body, status in CORPUS:
            payload = json.dumps(_fill(body, root / "inbox")).encode()
            got, answer = _exchange(sock, _post("/api/ingest", payload, token))
            assert got == status, (what, answer[:300])
            assert json.loads(answer)["error"]["status"] == status
            again, _ = _exchange(sock, STATUS)
            assert again == 200, what


def test_a_long_target_over_a_real_connection_is_a_short_414(
    live: tuple[int, str, Path, Any],
) -> None:
    port = live[0]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        target = "/api/" + "x" * 12_000
        status, body = _exchange(sock, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert status == 414 and len(body) < 1000


def test_an_unexpected_error_is_500_in_shape_and_keeps_the_connection(
    live: tuple[int, str, Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    port, _, _, app = live

    def boom(self: StoreView, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(StoreView, "instruments", boom)
    app.state.view.bodies.clear()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        status, body = _exchange(sock, b"GET /api/instruments HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 500
        err = json.loads(body)["error"]
        assert err["code"] == "internal_error" and "secret" not in err["message"]
        assert _exchange(sock, STATUS)[0] == 200


# --- ids for use outside the office -------------------------------------------------------------


def test_keyed_ids_are_stable_reveal_no_key_and_drop_the_release_fields(
    writable: tuple[Any, str, Path],
) -> None:
    from dyadwatch.model import event_id_for

    client, _, _ = writable
    stored = client.get("/api/events", params={"limit": 20}).json()["events"]
    keyed = client.get("/api/events", params={"limit": 20, "ids": "keyed"}).json()["events"]
    again = client.get("/api/events", params={"limit": 20, "ids": "keyed"}).json()["events"]
    assert [e["event_id"] for e in keyed] == [e["event_id"] for e in again]
    assert not {e["event_id"] for e in keyed} & {e["event_id"] for e in stored}
    assert all("source_key" not in e and "confidence" not in e for e in keyed)
    guesses = {event_id_for(e["source"], e["source_key"]) for e in stored}
    assert not {e["event_id"] for e in keyed} & guesses
    assert [e["summary"] for e in keyed] == [e["summary"] for e in stored]
    assert_error(client.get("/api/events", params={"ids": "plain"}), 422, "invalid_parameter")
