"""Helpers for tests that post the portal's forms as a browser would."""

from core.forms import new_submission_key


def once(data: dict) -> dict:
    """A form body as the page sends it: with the one-time key the form carries (a fresh
    one each call, as each time the form is offered)."""
    return {**data, "submission": new_submission_key()}
