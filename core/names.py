"""What a name may hold: the one rule for every name a person types or a directory sends
(token, SIEM agent and log collector names, SCIM's user attributes).

Letters of any script, digits, punctuation, symbols and spaces are fine. Control characters
(NUL, tabs, line breaks) and the invisible ones that would disguise a name on a page or in a
log (bidirectional overrides such as U+202E, zero-width spaces, private-use, unassigned and
surrogate code points) are not, except the two joiners that scripts and emoji are written
with (U+200C in Persian, U+200D in Indic scripts and emoji sequences)."""

import unicodedata

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_JOINERS = frozenset({"\u200c", "\u200d"})


def hidden_character(text: str) -> str | None:
    """The first character a name may not hold, or None."""
    for char in text:
        if char not in _JOINERS and unicodedata.category(char) in _HIDDEN_CATEGORIES:
            return char
    return None


def is_clean_name(text: str) -> bool:
    return hidden_character(text) is None
