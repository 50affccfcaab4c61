"""Schemathesis: requests generated from the OpenAPI schema, run against the
in-process app over the real index; none may get a 5xx (a 500 is a bug).

The write endpoints are included with no API key configured: they must refuse
(403), never touch the index."""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from api.app import create_app  # noqa: E402

pytestmark = pytest.mark.integration

# The schema is read from the app at collection time (no service needed for
# that); the session `service` is plugged in by the fixture below.
_SERVICE: list = []
APP = create_app(service_factory=lambda: _SERVICE[0])
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def _serve(service):
    _SERVICE[:] = [service]
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("POLICY_SEARCH_API_KEY", raising=False)
        yield


def _check(case) -> None:
    assert "POLICY_SEARCH_API_KEY" not in os.environ
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if case.path in ("/v1/ingest", "/v1/reload") or case.method.upper() == "DELETE":
        assert response.status_code >= 400, response.text[:300]  # no key: never a write


# shared-wording recomputes its report on every call (1-2 s), so it gets fewer examples
SLOW = "/v1/shared-wording"


@schema.exclude(path=SLOW).parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    _check(case)


@schema.include(path=SLOW).parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_shared_wording(case):
    _check(case)
