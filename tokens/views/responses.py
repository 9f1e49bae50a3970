"""What the tokens app's pages answer with: never stored, and the piece of a page that
portal.js asks for (`X-Requested-With: fetch`: a template partial) or the whole page."""

from django.shortcuts import render

from core.http import no_store

TEMPLATE = "tokens/api_tokens.html"


def render_no_store(request, template: str, context: dict, status: int = 200):
    """Pages that list or show tokens are never kept by the browser or a proxy: the back button
    and the cache must not bring a token's value, or a revoked row, back."""
    return no_store(render(request, template, context, status=status))


def is_fetch(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def template_for(part: str | None, request) -> str:
    return f"{TEMPLATE}#{part}" if part and is_fetch(request) else TEMPLATE
