"""Forms for the books: the journal's and a statement's filters, a
coordinator's exchange rate and currency conversion.

They collect and shape input (dates, an amount read in the source account's
currency); the rules (a known currency, a usable rate, accounts in one
collective's books, enough money in an account that must not go negative)
live in ``ledger.services``, and the views put a service's refusal on the
field it names.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_choices
from mutualist.ledger.models import Account

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# What the conversion form's hidden key may hold: the view mints 32 hex digits.
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_key() -> str:
    """A fresh idempotency key for one rendering of a form that posts money."""
    return secrets.token_hex(16)


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=_DATE)


class _AccountChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}" + (f" ({obj.description})" if obj.description else "")


class DateRangeForm(forms.Form):
    """``from`` and ``to`` (inclusive), both optional; the names are Python
    keywords, so the fields are added in ``__init__``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = _date_field("From")
        self.fields["to"] = _date_field("To")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("from"), data.get("to")
        if since and until and until < since:
            self.add_error("to", "The end date is before the start date.")
        return data


class JournalFilterForm(DateRangeForm):
    """The journal's filters (a GET form; every field optional)."""

    account = _AccountChoiceField(
        label="Account", queryset=Account.objects.none(), required=False, empty_label="Any account"
    )
    kind = forms.ChoiceField(label="Kind", required=False)
    q = forms.CharField(
        label="Memo contains",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(
        self, *args: Any, accounts: QuerySet[Account], kinds: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            ("", "Any kind"),
            *((kind, kind.replace("_", " ").capitalize()) for kind in kinds),
        ]
        self.order_fields(["account", "kind", "from", "to", "q"])


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label="As of",
        required=False,
        widget=_DATE,
        help_text="Balances at the end of this day; empty for today's.",
    )


class ExchangeRateForm(forms.Form):
    base = forms.CharField(label="One unit of", widget=forms.Select)
    quote = forms.CharField(label="Buys this many of", widget=forms.Select)
    rate = forms.CharField(
        label="Rate",
        max_length=40,
        help_text="For example 56.125: how many units of the second currency one unit "
        "of the first buys.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    on = forms.DateField(
        label="On",
        widget=_DATE,
        help_text="Conversions dated in the following week use it, until a newer rate.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = currency_choices()
        self.fields["base"].widget.choices = choices
        self.fields["quote"].widget.choices = choices


class ConversionForm(forms.Form):
    """Move money between two of the collective's asset accounts in different
    currencies. ``idempotency_key`` is minted when the form is first shown and
    travels back in a hidden field, so a second press of the button (or a
    retried request) posts nothing new."""

    source = _AccountChoiceField(
        label="From account", queryset=Account.objects.none(), empty_label="Choose an account"
    )
    target = _AccountChoiceField(
        label="To account", queryset=Account.objects.none(), empty_label="Choose an account"
    )
    amount = forms.CharField(
        label="Amount",
        max_length=40,
        help_text="In the currency of the account it leaves, e.g. 1,250.00.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    occurred_at = forms.DateField(label="Date", widget=_DATE)
    rate = forms.CharField(
        label="Rate",
        max_length=40,
        required=False,
        help_text="Units of the target currency per unit of the source. Leave empty to use "
        "the collective's latest rate (or the ECB's) from the past week.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    rate_source = forms.CharField(
        label="Where the rate comes from",
        max_length=200,
        required=False,
        help_text="With a rate given here: the bank's name or a receipt number.",
    )
    memo = forms.CharField(
        label="Memo",
        max_length=500,
        required=False,
        help_text="Empty for “Convert … to … at …”.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, label="This form")

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["target"].queryset = accounts  # type: ignore[attr-defined]

    @staticmethod
    def initial_for() -> dict[str, Any]:
        return {"occurred_at": timezone.localdate(), "idempotency_key": new_form_key()}

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"]
        if not _FORM_KEY.fullmatch(key):
            raise forms.ValidationError("The form was damaged; load the page again.")
        return key

    def clean_rate(self) -> Decimal | None:
        text = self.cleaned_data["rate"].strip()
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(f"{text!r} is not a rate; write it like 56.125.") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source: Account | None = data.get("source")
        if source is not None and "amount" in data:
            try:
                data["money"] = Money.parse(data["amount"], source.currency, field="amount")
            except ValidationFailed as exc:
                self.add_error("amount", exc.message)
        return data
