"""The JSON API's two writes, behind tokens: add a curated event, ingest files or a source.

Both take the store's one writer in turn (:data:`WRITE_LOCK`); a token lets its holder write
to the store, not read the server's files (:func:`allowed_paths`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from dyadwatch import pipeline
from dyadwatch.errors import ArtifactError, UsageError
from dyadwatch.knowledge.add import add_event as kb_add_event
from dyadwatch.knowledge.loader import data_root
from dyadwatch.present.api.auth import require_write
from dyadwatch.present.api.errors import ApiError, ErrorResponse, bad_param
from dyadwatch.present.api.params import check_text
from dyadwatch.present.api.replies import ok
from dyadwatch.present.api.tokens import TokenInfo
from dyadwatch.present.jobs import EMBEDDED_SOURCES
from dyadwatch.sources import get_source
from dyadwatch.sources.curated import CuratedSource
from dyadwatch.sources.file import check_local_path

WRITE_LOCK = threading.Lock()
"""One write at a time from this process (the store's writer lock guards across processes)."""


class SourceRef(BaseModel):
    url: str = Field(max_length=2000)
    title: str = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    published: str | None = Field(
        default=None,
        max_length=10,
        description="The page's own date, YYYY-MM-DD, or 'unknown': a citation is shown as "
        "of D only if its page was published by D.",
    )
    archived_copy: str | None = Field(default=None, max_length=2000)
    late_reason: str | None = Field(default=None, max_length=500)


class NewEvent(BaseModel):
    """A curated event, in the fields of the knowledge base (knowledge/FORMAT.md)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=120, description="Slug, e.g. 2021-01-15-example.")
    date: str = Field(max_length=10, description="YYYY-MM-DD")
    precision: Literal["day", "month", "year"] = "day"
    known_at: str | None = Field(default=None, max_length=40)
    source: str = Field(max_length=80, description="Source actor code, e.g. MEX:FGR.")
    target: str | None = Field(default=None, max_length=80)
    cameo: str = Field(max_length=6)
    instruments: list[str] = Field(default_factory=list, max_length=20)
    topics: list[str] = Field(default_factory=list, max_length=20)
    summary: str = Field(max_length=4000)
    sources: list[SourceRef] = Field(max_length=20)
    verified: bool = False
    note: str | None = Field(default=None, max_length=2000)
    relation_effect: float | None = Field(
        default=None,
        ge=-10,
        le=10,
        allow_inf_nan=False,
        description="What the event did to cooperation between the governments, −10 … +10 "
        "(docs/measurement.md); required, with effect_rationale, for a security event.",
    )
    effect_rationale: str | None = Field(
        default=None, max_length=1000, description="One line: why this effect."
    )
    episode: str | None = Field(
        default=None, max_length=120, description="The episode the event is a step of."
    )
    domain: Literal["security", "other"] = "security"
    file: str | None = Field(
        default=None,
        max_length=120,
        description="Events file of the knowledge base (default: the one covering the year).",
    )


API_REFUSED_SOURCES: dict[str, str] = {
    "memory": "source 'memory' holds tables inside one Python process; nothing can be "
    "ingested from it over the API (use 'file' with paths).",
}
"""Registered sources ``POST /api/ingest`` cannot run, and why."""


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(max_length=64, description="A source name (`dyadwatch sources`).")
    paths: list[Annotated[str, Field(max_length=4096)]] | None = Field(
        default=None,
        max_length=1000,
        description="Files on the server to ingest, under the api_ingest_dirs setting "
        "(default <store>/inbox); omit for an embedded source.",
    )
    strictness: Literal["raise", "quarantine", "warn", "ignore"] | None = None


class IngestOut(BaseModel):
    ok: bool
    summary: str
    generation: int
    artifacts: list[dict[str, Any]]


class AddedEvent(BaseModel):
    added: dict[str, Any]
    file: str
    line: int
    ingest: IngestOut


write = APIRouter()


def kb_root(request: Request) -> Path:
    root = request.app.state.kb_root
    return Path(root) if root is not None else data_root()


def events_file_for(root: Path, year: int) -> str:
    """The events file whose name's year range (``1985-2016.yaml``) covers ``year``."""
    files = sorted((root / "events").glob("*.yaml"))
    for f in files:
        lo, sep, hi = f.stem.partition("-")
        if sep and lo.isdigit() and hi.isdigit() and int(lo) <= year <= int(hi):
            return f.name
    if not files:
        raise UsageError(f"the knowledge base at {root} has no events files; give 'file'.")
    return files[-1].name


def ingest_out(request: Request, summary: pipeline.IngestSummary) -> dict[str, Any]:
    return {
        "ok": summary.ok,
        "summary": summary.describe(),
        "generation": request.app.state.view.generation(),
        "artifacts": [
            {
                "artifact": a.artifact,
                "status": a.status,
                "read": a.rows_read,
                "kept": a.rows_kept,
                "quarantined": a.rows_quarantined,
                "already_stored": a.rows_duplicate,
                "message": a.message,
            }
            for a in summary.artifacts
        ],
    }


@write.post(
    "/events",
    status_code=201,
    response_model=AddedEvent,
    summary="Add a curated event (token)",
    responses={401: {"model": ErrorResponse, "description": "No valid API token."}},
)
def add_event(
    request: Request,
    body: NewEvent,
    token: Annotated[TokenInfo, Depends(require_write)],
) -> JSONResponse:
    """Validate the event against the whole knowledge base, append it, and ingest it.

    Nothing is written unless the event validates (422 ``invalid_event`` lists every
    problem). The knowledge base is the one the server was started with (``--kb-root``).
    """
    root = kb_root(request)
    data = body.model_dump(exclude={"file"}, exclude_none=True)
    try:
        year = int(body.date[:4])
    except ValueError:
        raise bad_param("date", f"{body.date!r} is not a date (YYYY-MM-DD).", "body") from None
    events_file = body.file or events_file_for(root, year)
    if "/" in events_file or "\\" in events_file or events_file.startswith("."):
        raise bad_param("file", "name a file of the knowledge base's events/ folder.", "body")
    with WRITE_LOCK:
        located = kb_add_event(data, events_file, root=root)
        source = CuratedSource(root)
        summary = pipeline.ingest(
            source,
            source.discover(),
            request.app.state.view.store,
            strictness=request.app.state.settings.strictness,
        )
    return ok(
        {
            "added": located.record.model_dump(mode="json"),
            "file": located.file.name,
            "line": located.line,
            "ingest": ingest_out(request, summary),
        },
        201,
    )


def allowed_paths(given: list[str], dirs: tuple[Path, ...]) -> list[Path]:
    """``given`` resolved, each inside one of ``dirs`` (403 ``path_not_allowed`` otherwise).

    A token lets its holder write to the store, not read the server's files: only files
    under the ``api_ingest_dirs`` setting (default ``<store>/inbox``) can be ingested.
    Paths are resolved first, so ``..`` and symbolic links cannot leave those directories.
    """
    roots = [d.expanduser().resolve() for d in dirs]
    out = []
    for raw in given:
        shown = raw if len(raw) <= 200 else raw[:200] + "…"
        try:
            path = check_local_path(raw).expanduser().resolve()
        except ArtifactError as exc:
            raise bad_param("paths", str(exc), "body") from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise bad_param("paths", f"{shown!r} cannot be a file path ({exc}).", "body") from None
        if not any(path.is_relative_to(root) for root in roots):
            allowed = ", ".join(str(r) for r in roots)
            raise ApiError(
                403,
                "path_not_allowed",
                f"body parameter 'paths': {shown} is outside the directories the API may "
                f"ingest from ({allowed}); put the file there, or set api_ingest_dirs "
                "(dyadwatch.toml or DYADWATCH_API_INGEST_DIRS).",
                [{"loc": ["body", "paths"], "message": f"{shown} is not under {allowed}"}],
            )
        out.append(path)
    return out


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


@write.post(
    "/ingest",
    response_model=IngestOut,
    summary="Ingest local files or an embedded source (token)",
    responses={
        401: {"model": ErrorResponse, "description": "No valid API token."},
        403: {"model": ErrorResponse, "description": "A path outside api_ingest_dirs."},
    },
)
def trigger_ingest(
    request: Request,
    body: IngestRequest,
    token: Annotated[TokenInfo, Depends(require_write)],
) -> JSONResponse:
    """Ingest ``paths`` (files on the server) with ``source``, or an embedded source whole.

    Each file is ingested atomically; unchanged files are skipped; bad rows are quarantined.
    Files must lie under the ``api_ingest_dirs`` setting (default ``<store>/inbox``): 403
    ``path_not_allowed`` otherwise. 409 ``store_busy`` if another writer holds the store.
    """
    settings = request.app.state.settings
    name = check_text("source", body.source) or ""
    if name in API_REFUSED_SOURCES:
        raise bad_param("source", API_REFUSED_SOURCES[name], "body")
    if name == "curated" and body.paths:
        raise bad_param(
            "paths",
            "curated events come only from the knowledge base: add one with POST /api/events "
            "(validated like `dyadwatch kb add`), or ingest the knowledge base without 'paths'.",
            "body",
        )
    source = (
        CuratedSource(kb_root(request))
        if name == "curated" and request.app.state.kb_root is not None
        else get_source(name, settings)
    )
    if body.paths:
        paths = allowed_paths(body.paths, settings.ingest_dirs)
        missing = [str(p)[:200] for p in paths if not is_file(p)]
        if missing:
            raise bad_param("paths", f"not a file on the server: {', '.join(missing[:5])}.", "body")
        artifacts = list(source.artifacts_for_paths(paths))
    else:
        if name not in EMBEDDED_SOURCES:
            raise bad_param(
                "paths",
                f"source {name!r} needs 'paths' (files on the server); only "
                f"{', '.join(EMBEDDED_SOURCES)} can be ingested without them.",
                "body",
            )
        artifacts = list(source.discover())
    with WRITE_LOCK:
        summary = pipeline.ingest(
            source,
            artifacts,
            request.app.state.view.store,
            strictness=body.strictness or settings.strictness,
        )
    return ok(ingest_out(request, summary))


__all__ = [
    "API_REFUSED_SOURCES",
    "WRITE_LOCK",
    "AddedEvent",
    "IngestOut",
    "IngestRequest",
    "NewEvent",
    "add_event",
    "allowed_paths",
    "trigger_ingest",
    "write",
]
