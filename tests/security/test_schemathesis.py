"""The admin API against its own OpenAPI document (docs/openapi.json), with schemathesis, over
real HTTP on the local stack: generated valid and invalid requests for every operation are never
answered with a 5xx, and every answer is JSON (documents as HTML where asked) with the status and
shape the document gives."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from oms_local.cloud import ROOT
from oms_local.logs import LogPrinter
from oms_local.runner import DEFAULT_TIME_SCALE, Running, start

pytestmark = pytest.mark.e2e
schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")


@pytest.fixture(scope="module")
def local() -> Iterator[Running]:
    running = start(port=0, time_scale=DEFAULT_TIME_SCALE, printer=LogPrinter(stream=io.StringIO()))
    try:
        yield running
    finally:
        running.close()


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_admin_operation_keeps_to_its_document(case: schemathesis.Case, local: Running) -> None:
    response = case.call(base_url=local.api_url, headers={"authorization": f"Bearer {local.admin_token}"})
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
