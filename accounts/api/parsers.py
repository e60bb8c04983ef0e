"""Request body parsing for the API."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from accounts.api.style import snake_keys


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, reading camelCase fields as their snake_case twins (either API style's
    clients send either), with deeply nested bodies refused as a parse error.

    Python's decoder gives up on very deep nesting with RecursionError, which DRF does not catch
    (it would be a 500): a body like `[[[[...]]]]` is a client's mistake, not ours.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        try:
            return snake_keys(data)
        except ValueError as exc:
            raise ParseError(str(exc)) from None
