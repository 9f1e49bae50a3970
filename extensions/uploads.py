"""The log collectors' side of the Cloud Discovery upload flow (security/uploads.py calls
these; extensions/apps.py registers them): a collector's token asks upload URLs only for
its data sources' log formats, finishes uploads only into its own data sources, and its
statistics count each file received."""

from rest_framework import exceptions

from extensions.models import LogCollector
from extensions.services import log_collector_received
from tokens.models import ApiToken, Kind


class CollectorRules:
    def __init__(self, collector: LogCollector) -> None:
        self.requester = collector
        self.sources = list(collector.data_sources.all())

    def check_url(self, source: str) -> None:
        formats = {data_source.log_format for data_source in self.sources}
        if source not in formats:
            raise exceptions.PermissionDenied(
                "This log collector's data sources take "
                + ", ".join(sorted(formats) or ["no format"])
                + f", not {source[:60]!r}."
            )

    def check_done(self, upload, stream_name: str, as_snapshot: bool) -> None:
        if upload.collector_id != self.requester.pk:
            raise exceptions.NotFound("No upload of this log collector has that uploadUrl.")
        names = {data_source.name for data_source in self.sources}
        if as_snapshot or stream_name not in names:
            raise exceptions.PermissionDenied(
                "A log collector uploads only into its own data sources: "
                + ", ".join(sorted(names))
                + "."
            )


def collector_rules(request) -> CollectorRules | None:
    """The rules of the log collector whose token made the request; None for any other
    credential."""
    if not isinstance(request.auth, ApiToken) or request.auth.kind != Kind.LOG_COLLECTOR:
        return None
    collector = (
        LogCollector.objects.filter(token=request.auth).prefetch_related("data_sources").first()
    )
    if collector is None:
        raise exceptions.PermissionDenied("This token's log collector no longer exists.")
    return CollectorRules(collector)


def count_received(sender, upload, **kwargs) -> None:
    if upload.collector_id is not None:
        log_collector_received(collector_id=upload.collector_id, size=upload.size)
