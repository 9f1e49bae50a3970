"""The tokens app's pages, a module a page (tokens/urls.py and config/urls.py route them).
Every action is an ordinary form post that works without JavaScript; static/js/portal.js asks
for the same views with `X-Requested-With: fetch` and gets back only the piece of the page it
replaces (a template partial)."""
