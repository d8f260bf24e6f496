"""Forms for clients and their contacts.

They collect and shape input only; the rules (required name and billing
address, known country, time zone and currency) live in
``work.services.clients``, and the views show a refusal on the field it names.
Codes are lenient text fields rendered as selects, as in the collectives' forms.
"""

from __future__ import annotations

from typing import Any

from django import forms

from mutualist.core.reference import country_choices, currency_choices
from mutualist.members.forms.profiles import TIMEZONE_DATALIST_ID
from mutualist.work.models import Client


class CodeField(forms.CharField):
    """A code picked from a list and checked by the service; the form sets the choices."""

    widget = forms.Select


class ClientForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=120)
    country = CodeField(label="Country")
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="An IANA name such as Australia/Sydney. Jobs' hours are read in it "
        "unless a job names another.",
        widget=forms.TextInput(
            attrs={"list": TIMEZONE_DATALIST_ID, "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    currency = CodeField(
        label="Currency", help_text="Budgets, rates and invoices are in this currency."
    )
    billing_address = forms.CharField(
        label="Billing address", widget=forms.Textarea(attrs={"rows": 3})
    )
    tax_id = forms.CharField(
        label="Tax id", max_length=64, required=False, help_text="ABN, VAT or EIN, if you have one."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not at import time: the lists come from CLDR data.
        self.fields["country"].widget.choices = [("", "—"), *country_choices()]
        self.fields["currency"].widget.choices = [("", "—"), *currency_choices()]

    @staticmethod
    def initial_for(client: Client) -> dict[str, Any]:
        return {
            "name": client.name,
            "country": client.country,
            "timezone": client.timezone,
            "currency": client.currency,
            "billing_address": client.billing_address,
            "tax_id": client.tax_id,
        }

    def details(self) -> dict[str, str]:
        """The cleaned fields, as the services take them."""
        data = self.cleaned_data
        return {
            key: data[key]
            for key in ("name", "country", "timezone", "currency", "billing_address", "tax_id")
        }


class ContactInviteForm(forms.Form):
    email = forms.CharField(
        label="Email address",
        max_length=320,
        help_text="We email them a link that works for 14 days, for this address only.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
