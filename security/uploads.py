"""Who may upload Cloud Discovery logs where: rules that the apps above this one register,
so that the upload flow (security/api.py) need not know them. extensions/ registers the log
collectors' rules (a collector's token asks only for its data sources' formats and finishes
only into its data sources) and listens for received files to count them."""

from collections.abc import Callable
from typing import Any, Protocol

from django.dispatch import Signal

# Sent when a log file has been received, with `upload` (a DiscoveryUpload).
upload_received = Signal()


class UploadRules(Protocol):
    """The limits of one caller, found from the request's credential."""

    # What the upload records as having asked for it (a log collector), or None.
    requester: Any

    def check_url(self, source: str) -> None:
        """Raises PermissionDenied if the caller may not upload logs of this format."""

    def check_done(self, upload, stream_name: str, as_snapshot: bool) -> None:
        """Raises NotFound or PermissionDenied if the caller may not finish this upload so."""


_FINDERS: list[Callable[[Any], UploadRules | None]] = []


def register_rules(finder: Callable[[Any], UploadRules | None]) -> None:
    """`finder(request)` returns the rules for the request's credential, or None when they
    are not its to say (then the capability checks alone apply)."""
    if finder not in _FINDERS:
        _FINDERS.append(finder)


def rules_for(request) -> UploadRules | None:
    for finder in _FINDERS:
        if (rules := finder(request)) is not None:
            return rules
    return None
