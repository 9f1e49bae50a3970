from tokens.models import ApiToken


def token_by_digest(digest: str) -> ApiToken | None:
    """The token with this digest, its issuer and its tenant, in one indexed SELECT."""
    return ApiToken.objects.select_related("user", "tenant").filter(digest=digest).first()
