"""The API's body parsers: DRF's, refusing what core/inputs.py refuses (deep nesting, NUL,
lone surrogates) with a 400 before any view sees the body."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.inputs import InputError, check_text, check_tree


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None
        try:
            return check_tree(data)
        except InputError as error:
            raise ParseError(str(error)) from None


def _check_form(data):
    try:
        for key, values in data.lists():
            check_text(key, "a form field name")
            for value in values:
                if isinstance(value, str):
                    check_text(value, f"form field {key[:60]}")
    except InputError as error:
        raise ParseError(str(error)) from None
    return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _check_form(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_form(result.data)
        return result
