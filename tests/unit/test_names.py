"""The one rule for names (core/names.py), and that tokens, SIEM agents and collectors, and
SCIM's attributes all follow it."""

import pytest
from django.core.exceptions import ValidationError

from core.names import hidden_character, is_clean_name
from tokens.models import validate_token_name


@pytest.mark.parametrize(
    "name",
    [
        "Weekly report",
        "Rapport hebdomadaire – équipe SOC",
        "報告スクリプト",
        "می\u200cخواهم",  # Persian, written with a zero-width non-joiner
        "👩\u200d💻 on call",  # an emoji sequence with a zero-width joiner
        "SIEM (prod) #2: ~/bin",
    ],
)
def test_names_of_every_script_are_clean(name):
    assert is_clean_name(name)
    validate_token_name(name)


@pytest.mark.parametrize(
    ("name", "hidden"),
    [
        ("tab\there", "\t"),
        ("line\nbreak", "\n"),
        ("nul\x00", "\x00"),
        ("evil\u202ename", "\u202e"),  # right-to-left override
        ("zero\u200bwidth", "\u200b"),  # zero-width space
        ("private\ue000use", "\ue000"),
        ("unassigned\U000e0fff", "\U000e0fff"),
    ],
)
def test_control_and_invisible_characters_are_not(name, hidden):
    assert hidden_character(name) == hidden
    with pytest.raises(ValidationError, match="control or invisible characters"):
        validate_token_name(name)
