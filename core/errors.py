"""Errors that services raise and every interface answers the same way."""


class Conflict(Exception):
    """The change collides with the current state (a name taken, a race lost): HTTP 409 on
    the API, a form error on a page. Nothing was written."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
