from __future__ import annotations

from django import forms

from mutualist.api.services import NAME_MAX_LENGTH


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="What the token is for, so you can tell tokens apart: “invoice script”, “laptop”.",
    )
