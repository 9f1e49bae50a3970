"""Forms whose one submission makes one thing (a token, an agent with its token)."""

import re
import secrets

from django import forms
from django.core.exceptions import ValidationError

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


class SubmitOnceForm(forms.Form):
    """Carries a one-time key made when the form is shown (by the server, or by portal.js
    each time it opens a dialog). The service records the key with what it makes, under a
    unique constraint, so a double click, or Enter pressed three times, makes one token: the
    second request finds the key taken and is told so, and nothing more is written."""

    submission = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", new_submission_key())

    def clean_submission(self) -> str:
        key = self.cleaned_data.get("submission", "")
        if not _KEY.fullmatch(key):
            raise ValidationError(
                "This form is out of date: reload the page and submit it again.",
                code="submission",
            )
        return key
