"""HTTP pieces every app uses: which paths are the API's, and the no-store headers."""

# Paths answered by the API (JSON errors, lazy tenant, no page redirects).
API_PREFIXES = ("/api/", "/cas/api/", "/scim/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)
