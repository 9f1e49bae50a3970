"""Ids in URL paths. API routes take any string there, so that a malformed id is answered
with a JSON 404 (not a 500 from the database, nor Django's HTML page)."""


def row_by_path_id(queryset, text: str):
    """The row whose primary key the path segment names, or None if there is none or the
    segment is not a number a primary key can hold."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return queryset.filter(pk=int(text)).first()
    return None
