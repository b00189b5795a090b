"""Schemathesis against the API's own OpenAPI schema, in process (ASGI): no server errors.

Every operation is called with a bounded number of generated requests, valid and invalid;
the only check is schemathesis' ``not_a_server_error``: whatever comes in, the API answers
4xx in its error shape or 2xx, never 5xx. Writes run with a valid token over a scratch copy
of the store and the knowledge base.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from dyadwatch.present.api.app import create_app
from dyadwatch.present.api.tokens import TokenStore
from dyadwatch.settings import Settings
from tests.unit.api_support import make_client, writable_store

pytestmark = [pytest.mark.sample, pytest.mark.slow]

MAX_EXAMPLES = 12
"""Generated requests per operation: enough to reach every parameter's edge cases."""


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    root, kb = writable_store(tmp_path_factory.mktemp("schemathesis"), tmp_path_factory)
    app = create_app(Settings(store=root), kb_root=kb)
    make_client(app)  # imports Starlette's test client once, with its deprecation notice muted
    return app, TokenStore(root).create("schemathesis").token


OPERATIONS = (
    "GET /api/status",
    "GET /api/events",
    "GET /api/events/{event_id}",
    "GET /api/index",
    "GET /api/index/turning-points",
    "GET /api/index/alerts",
    "GET /api/index/lowest-since",
    "GET /api/index/evidence",
    "GET /api/validate/judgments",
    "GET /api/instruments",
    "GET /api/instruments/{instrument_id}",
    "GET /api/indicators",
    "GET /api/indicators/{indicator_id}",
    "GET /api/findings",
    "GET /api/backtest",
    "GET /api/overview",
    "GET /api/token",
    "POST /api/events",
    "POST /api/ingest",
    "POST /api/rules/validate",
)


@pytest.fixture(scope="module")
def api_schema(app_and_token: tuple[Any, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app_and_token[0])


def test_every_operation_is_fuzzed(api_schema: Any) -> None:
    labels = {r.ok().label for r in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


# schemathesis' own pytest plugin does not run under pytest 9 (it reads Function._nodeid), so
# each operation is driven with Hypothesis directly from the operation's case strategy.
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_server_errors(api_schema: Any, app_and_token: tuple[Any, str], label: str) -> None:
    operation = api_schema.find_operation_by_label(label)
    headers = {"Authorization": f"Bearer {app_and_token[1]}"} if label.startswith("POST") else None

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    run()


def test_the_schema_is_served(app_and_token: tuple[Any, str], tmp_path: Path) -> None:
    client = make_client(app_and_token[0])
    body = client.get("/openapi.json").json()
    assert body["openapi"].startswith("3.") and len(body["paths"]) >= 14
