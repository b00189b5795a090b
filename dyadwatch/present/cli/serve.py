"""``dyadwatch serve`` (the dashboard and JSON API) and ``dyadwatch token`` (API tokens)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from dyadwatch.present.cli.options import Output, output_options, store_options
from dyadwatch.settings import Settings

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--kb-root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Knowledge base that POST /api/events appends to [default: the shipped one].",
)
@click.option(
    "--read-access",
    type=click.Choice(["open", "token"]),
    default=None,
    help="Who may read: anyone (open) or token holders [default: setting api_read_access].",
)
@store_options
def serve(
    host: str,
    port: int,
    kb_root: Path | None,
    read_access: str | None,
    settings: Settings,
) -> None:
    """Serve the dashboard and the JSON API over the store (uvicorn).

    The dashboard is at http://HOST:PORT/, the API under /api/ (schema at /docs). Writes need
    a token from `dyadwatch token create`. Listening on anything but loopback exposes the
    store to the network: use --read-access token there.

    \b
    Example:
      dyadwatch serve --port 8000
      dyadwatch serve --host 0.0.0.0 --read-access token
    """
    import uvicorn

    from dyadwatch.present.api.app import create_app, warm
    from dyadwatch.store import Store

    if read_access is not None:
        settings = settings.with_(api_read_access=read_access)
    store = Store.open(settings.store)
    app = create_app(settings, kb_root=kb_root, store=store)
    if host not in ("127.0.0.1", "localhost", "::1") and settings.api_read_access == "open":
        click.echo(
            f"warning: reads are open to anyone who can reach {host}:{port} "
            "(use --read-access token).",
            err=True,
        )
    click.echo(
        f"dyadwatch: serving {store.root} at http://{host}:{port}/ (Ctrl-C to stop)", err=True
    )
    warm(app)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@click.group()
def token() -> None:
    """API tokens for the write endpoints (and reads, with api_read_access = token).

    \b
    Example:
      dyadwatch token create --name laptop
      dyadwatch token list
      dyadwatch token revoke 1a2b3c4d
    """


@token.command("create")
@click.option("--name", default=None, help="A label to recognise the token by.")
@store_options
def token_create(name: str | None, settings: Settings) -> None:
    """Create a token and print it once; the store keeps only its hash.

    \b
    Example:
      dyadwatch token create --name ci
    """
    from dyadwatch.present.api.tokens import TokenStore
    from dyadwatch.store import Store

    store = Store.open(settings.store)
    created = TokenStore(store.root).create(name)
    click.echo(created.token)
    click.echo(
        f"token {created.info.id} ({created.info.name}) created; it is shown only now. "
        "Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@token.command("list")
@store_options
@output_options
def token_list(settings: Settings, output: Output) -> None:
    """List tokens (id, name, created, revoked); never the secrets.

    \b
    Example:
      dyadwatch token list --json
    """
    from dyadwatch.present.api.tokens import TokenStore
    from dyadwatch.store import Store

    store = Store.open(settings.store)
    rows = [
        {"id": t.id, "name": t.name, "created_at": t.created_at, "revoked_at": t.revoked_at}
        for t in TokenStore(store.root).list()
    ]
    output.emit(rows)


@token.command("revoke")
@click.argument("token_id")
@store_options
def token_revoke(token_id: str, settings: Settings) -> None:
    """Revoke the token TOKEN_ID (from `dyadwatch token list`); it stops working at once.

    \b
    Example:
      dyadwatch token revoke 1a2b3c4d
    """
    from dyadwatch.present.api.tokens import TokenStore
    from dyadwatch.store import Store

    store = Store.open(settings.store)
    info = TokenStore(store.root).revoke(token_id)
    click.echo(f"token {info.id} ({info.name}) revoked at {info.revoked_at}")
