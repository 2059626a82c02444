"""Property-based tests of the REST API against its own OpenAPI schema (/api/schema/).

Every operation is called with generated valid and invalid input, as the
seeded student, through the real Django request handler in this process. Each
answer must be a documented status with the documented content type and body
shape, and never a server error.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.budget import examples

# Enough examples per operation to reach the edge cases, few enough for the whole
# schema to run in about a minute on two cores.
EXAMPLES_PER_OPERATION = examples(40)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Which seeded row an id parameter can name (see _aim_at_seeded_rows).
PATH_OBJECTS = {
    "/api/courses/{id}/": "course",
    "/api/courses/{id}/enroll/": "course",
    "/api/enrollments/{id}/": "enrollment",
    "/api/certificates/{id}/": "certificate",
    "/api/achievements/{id}/": "achievement",
    "/api/notifications/{id}/": "notification",
    "/api/notifications/{id}/read/": "notification",
}
NAMED_OBJECTS = {
    "lesson_id": "lesson",
    "thread_id": "thread",
    "message_id": "message",
    "course": "course",
    "course_id": "course",
    "recipient": "user",
    "with": "user",
}

app = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/schema/", app)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The handler runs in the test's thread and transaction: keep its connection open
    between requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _aim_at_seeded_rows(case, seeded) -> None:
    """On every other request, point the ids of the valid parts at the seeded rows.

    Generated ids almost never exist, so without this nearly every call would be a 404 or
    a 400 and the success paths would go untested. Alternating keeps it deterministic.
    """
    seeded.requests += 1
    if seeded.requests % 2:
        return
    path = case.operation.path
    for location, container in (
        (ParameterLocation.PATH, case.path_parameters),
        (ParameterLocation.QUERY, case.query),
        (ParameterLocation.BODY, case.body),
    ):
        if not isinstance(container, dict) or (
            case.meta is not None and case.meta.is_negative_at(location)
        ):
            continue
        for name in list(container):
            if location is ParameterLocation.PATH and name == "id":
                kind = PATH_OBJECTS.get(path)
            else:
                kind = NAMED_OBJECTS.get(name)
            if kind:
                container[name] = seeded.ids[kind]


def _refused_by_the_router(case, response) -> bool:
    """A malformed id in the path (`0.5`, `null,null`) matches no route: the API's
    catch-all answers a JSON 404 before any operation runs. Never a server error."""
    return (
        case.meta is not None
        and case.meta.is_negative_at(ParameterLocation.PATH)
        and response.status_code == 404
        and response.json() == {"detail": "Not found."}
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, seeded):
    _aim_at_seeded_rows(case, seeded)
    response = case.call(headers={"Authorization": f"Token {seeded.token}"})
    if _refused_by_the_router(case, response):
        return
    case.validate_response(response, checks=CHECKS)
