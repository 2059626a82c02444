"""How the REST API documents itself: the error answers and path ids every app shares."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An API error: `detail` says what went wrong."""

    detail = serializers.CharField()


API_ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Invalid input: a list of messages per field, or a `detail`.",
    ),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in, or an unknown token."),
    403: OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed to do this."),
    404: OpenApiResponse(
        ErrorSerializer, description="No such object (or not yours), or no such page."
    ),
    415: OpenApiResponse(
        ErrorSerializer, description="The body is not JSON, form data or multipart data."
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many requests: try again after `Retry-After` seconds."
    ),
}


def api_errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, for `extend_schema(responses=...)`."""
    return {code: API_ERRORS[code] for code in codes}


def api_path_id(name: str, description: str) -> OpenApiParameter:
    """An id in a route's `<int:...>` segment: the route only matches digits, so the schema
    says so too (a client sending -1 would otherwise be promised a JSON answer)."""
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description=description
    )
