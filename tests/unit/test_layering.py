"""The house has one direction (DECISIONS.md 44): each app imports only the apps below it.
Read from the source with `ast`, so an import added anywhere in an app (a function body, a
management command, a migration) is caught, whatever runs or does not."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first. An app may import the ones before it in this list, never those after it.
LAYERS = ["core", "accounts", "tokens", "provisioning", "security", "extensions", "demo"]
# The wiring: imports every app, and no app imports it.
WIRING = "config"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def app_imports() -> dict[tuple[str, str], list[str]]:
    """(importing app, imported app) -> the files where it happens."""
    known = {*LAYERS, WIRING}
    edges: dict[tuple[str, str], list[str]] = {}
    for app in [*LAYERS, WIRING]:
        for path in sorted((ROOT / app).rglob("*.py")):
            for target in imports_of(path) & known - {app}:
                edges.setdefault((app, target), []).append(str(path.relative_to(ROOT)))
    return edges


def test_every_layer_is_an_app_of_this_repository():
    assert [app for app in LAYERS if not (ROOT / app / "apps.py").exists()] == []


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_apps_below_it(app):
    above = set(LAYERS[LAYERS.index(app) + 1 :]) | {WIRING}

    upward = {
        f"{source} -> {target}": files
        for (source, target), files in app_imports().items()
        if source == app and target in above
    }

    assert upward == {}
