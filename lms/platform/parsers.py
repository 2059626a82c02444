"""Request parsers of the REST API."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (NaN and Infinity refused: STRICT_JSON), with deep nesting a 400 too.

    Python's json gives up on nesting about a thousand deep with RecursionError,
    which DRF would let through as a 500.
    """

    strict = True

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
