"""Forms for sign-up, login and email change.

They collect and shape input only; the rules (unique email, strong password,
known time zone) live in ``members.services.accounts``, and the views turn the
service's refusals into errors on these forms.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, UsernameField

from mutualist.core.reference import timezone_choices

# RFC 5321's limit, and the width of every email column (members.User.email).
EMAIL_MAX_LENGTH = 254


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label="Your name",
        max_length=80,
        help_text="Shown on your public profile. You can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=EMAIL_MAX_LENGTH,
        help_text="You log in with it. It is never shown to other members.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        initial="UTC",
        help_text="Used to show your availability to collectives in other time zones.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not at import time: the list is built from the zoneinfo database.
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, asking for an email address.

    It calls ``authenticate(request, ...)``, so django-axes counts failures.
    """

    # max_length must be given here: AuthenticationForm.__init__ sets it on the
    # field after construction, which renders maxlength="254" but adds no
    # validator. Without one, a 100,000-character "address" reached the user
    # lookup (SQLite: "LIKE or GLOB pattern too complex") and django-axes'
    # AccessAttempt.username (varchar 255 on PostgreSQL): a 500 either way.
    username = UsernameField(
        label="Email address",
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            "max_length": f"An email address has at most {EMAIL_MAX_LENGTH} characters."
        },
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        # Addresses are stored lower-case. Lower-casing before authenticate()
        # also makes django-axes count "Ana@x.org" and "ana@x.org" as one
        # address, so changing case does not dodge the lockout.
        return str(self.cleaned_data["username"]).strip().lower()


class AdminEmailAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, with the same server-side length check as ours
    (Django's sets maxlength only as an HTML attribute)."""

    username = UsernameField(
        label="Email address",
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            "max_length": f"An email address has at most {EMAIL_MAX_LENGTH} characters."
        },
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label="New email address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        help_text="We send a confirmation link there. Your login stays the same until you follow it.",
    )
    # Named as the service's argument, so its wrong_password refusal lands here.
    # The service checks it (one rule for this form and the API alike).
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="So that no one else at this computer can take over your account.",
    )
