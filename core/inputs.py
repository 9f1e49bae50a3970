"""What every value that comes in must be before anything goes further: numbers written in
ASCII digits, texts a database can store, and trees of JSON shallow enough to walk.

Python is generous where a database is not: `str.isdigit()` accepts "²" and "①", which
`int()` refuses; `json.loads` returns lone surrogates ("\\ud800") that no UTF-8 column
takes, and NUL characters that PostgreSQL refuses; and it parses JSON until the interpreter's
recursion limit breaks. Each of those was a 500; each is now an InputError that names it,
which the API answers with a 400.
"""

import json
import re
from typing import Any

# Deep enough for every body the API documents (filters are four levels deep, SCIM
# operations five), shallow enough that nothing that walks a body can exhaust the stack.
MAX_DEPTH = 32
INT64 = 2**63 - 1

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class InputError(ValueError):
    """A value this product will not take; the message says what is wrong with it."""


def parse_int(text: str) -> int | None:
    """A whole number written in ASCII digits, with at most one sign, that fits 64 bits;
    None for anything else ("²", "①", "--1", "1e3", "", a 20-digit number)."""
    text = text.strip()
    if _INTEGER.fullmatch(text) is None:
        return None
    number = int(text)
    return number if -INT64 <= number <= INT64 else None


def text_problem(text: str) -> str | None:
    """Why a text cannot be stored (a NUL, or half of a UTF-16 pair), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains a lone surrogate (not valid Unicode)"


def check_text(text: str, where: str) -> str:
    if (problem := text_problem(text)) is not None:
        raise InputError(f"{where} {problem}")
    return text


def check_tree(value: Any, where: str = "the body", max_depth: int = MAX_DEPTH) -> Any:
    """Walks a parsed JSON value without recursion: at most `max_depth` levels of objects and
    lists, and no key or string that a database cannot store. Returns the value."""
    # Paths name what the caller sent: "name" in a body, "filters.title.eq[0]" in filters.
    stack = [(value, 1, "" if where == "the body" else where)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            check_text(item, path or where)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise InputError(f"{where} is nested more than {max_depth} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                check_text(str(key), f"a key in {path or where}")
                stack.append((child, depth + 1, f"{path}.{key}".lstrip(".")[:200]))
        else:
            stack.extend((child, depth + 1, f"{path}[{i}]"[:200]) for i, child in enumerate(item))
    return value


def load_json(text: str | bytes, where: str) -> Any:
    """json.loads, with deep nesting and unstorable texts refused as an InputError."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputError(f"{where} is nested too deeply") from None
    except ValueError:
        raise InputError(f"{where} is not valid JSON") from None
    return check_tree(value, where)
