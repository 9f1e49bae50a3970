"""The tokens app's API views, a module a resource (config/api_router.py routes them)."""
