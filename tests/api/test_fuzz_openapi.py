"""schemathesis against the app's own OpenAPI schema: no 5xx, and every response conforms to the schema.

In process (ASGI), against a real app: its own embedded Postgres (fuzzed writes never reach the shared ``pg``
database of the other API tests) and the session pipeline's real Iceberg tables served by DuckDB. Every
operation is exercised as ``admin`` (every route reachable, writes included) and anonymously (the 401 paths),
with schema-valid (positive) and schema-violating (negative) cases: bad input must be a 4xx, never a 5xx.

One pytest test per operation x user: the operation list is read from the app's OpenAPI schema at collection
(``create_app(...).openapi()`` starts nothing), so routes added later are fuzzed without touching this file.
Cases come from ``APIOperation.as_strategy`` under Hypothesis rather than ``schemathesis.pytest.from_fixture``,
whose lazy loader needs ``Item._nodeid`` (gone in pytest 9.2).

Checks: ``not_a_server_error``, ``response_schema_conformance`` (body valid against the documented schema of
its status), ``content_type_conformance``. Bounded: ``FAST_EXAMPLES`` per operation, user and mode in the
default suite; ``-m slow`` runs ``SLOW_EXAMPLES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api.main import create_app
from api.services.auth import issue_token
from contracts.app import UserPublic
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.spark]

FAST_EXAMPLES = 6  # per operation and mode, as admin (anonymous: ANON_EXAMPLES)
ANON_EXAMPLES = 3
SLOW_EXAMPLES = 150
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
USERS = ("admin", "anon")


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the app's schema (building the app starts nothing)."""
    spec = create_app(Settings(data_dir=Path("/nonexistent-lakecast-openapi-only"))).openapi()
    methods = ("get", "put", "post", "patch", "delete")
    return [(m.upper(), path) for path, item in sorted(spec["paths"].items()) for m in methods if m in item]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def fuzz_app(pipeline) -> Iterator[tuple[FastAPI, Settings]]:
    """An app on a fresh embedded Postgres (demo users) and the pipeline's warehouse; lifespan shut at the end."""
    from schemathesis.python.asgi import shutdown_lifespans

    with temporary_server() as (pg_settings, _):
        catalog = pipeline.settings.catalog.model_copy(update={"warehouse": pipeline.settings.warehouse})
        s = pg_settings.model_copy(update={"catalog": catalog, "forecast": pipeline.settings.forecast})
        app = create_app(s, seed_demo_users=True)
        try:
            yield app, s
        finally:
            shutdown_lifespans()  # close the app's pool while its Postgres still runs


@pytest.fixture(scope="module")
def api_schema(fuzz_app: tuple[FastAPI, Settings]) -> Any:
    app, _ = fuzz_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the app's lifespan (kept for the module)


@pytest.fixture(scope="module")
def auth(fuzz_app: tuple[FastAPI, Settings], api_schema: Any) -> dict[str, dict[str, str]]:
    """Authorization headers, minted with the app's signing key (the running app has seeded the users)."""
    _, s = fuzz_app
    admin = UserPublic(username="admin", display_name="Admin", role="admin")
    return {"admin": {"Authorization": f"Bearer {issue_token(admin, s).access_token}"}, "anon": {}}


def fuzz(api_schema: Any, method: str, path: str, headers: dict[str, str], examples: int) -> None:
    """Run ``examples`` positive and ``examples`` negative cases of one operation; fail on the first bad one."""
    operation = api_schema[path][method]
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # nothing to negate (no parameters, no body): the positive cases already covered the operation
            if mode is GenerationMode.POSITIVE:
                raise


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_5xx_and_schema_conformance(api_schema: Any, auth: dict, method: str, path: str, user: str) -> None:
    fuzz(api_schema, method, path, auth[user], FAST_EXAMPLES if user == "admin" else ANON_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_5xx_many_examples_as_admin(api_schema: Any, auth: dict, method: str, path: str) -> None:
    fuzz(api_schema, method, path, auth["admin"], SLOW_EXAMPLES)
