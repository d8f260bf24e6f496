"""Forms for the books: the journal's and a statement's filters, and a
coordinator's exchange rate, currency conversion, new account, opening
balance and reversal.

They collect and shape input (dates, an amount read in the source account's
currency); the rules (a known currency, a usable rate, accounts in one
collective's books, enough money in an account that must not go negative)
live in ``ledger.services``, and the views put a service's refusal on the
field it names.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_choices
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import account_component, account_name_for, rate_parse
from mutualist.ledger.services.books import MAX_LABEL_LENGTH

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# What the hidden key of a form that moves money may hold: the view mints 32 hex digits.
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_key() -> str:
    """A fresh idempotency key for one rendering of a form that posts money."""
    return secrets.token_hex(16)


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=_DATE)


def _amount_field(label: str, help_text: str, *, required: bool = True) -> forms.CharField:
    """An amount as a person types it; the form reads it in a currency
    (``Money.parse``) once it knows which."""
    return forms.CharField(
        label=label,
        max_length=40,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class KeyedForm(forms.Form):
    """A form that moves money. ``idempotency_key`` is minted when the form is
    first shown and travels back in a hidden field, so a second press of the
    button (or a retried request) posts nothing new; the view scopes it to
    the person before it reaches the ledger."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, label="This form")

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"]
        if not _FORM_KEY.fullmatch(key):
            raise forms.ValidationError("The form was damaged; load the page again.")
        return key

    def renew_key(self) -> None:
        """Show the bound form again with a fresh key, so that pressing the
        button once more is a new request, not a replay of the last one."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        data["idempotency_key"] = new_form_key()
        self.data = data

    def _parse_opening_amount(self, name: str, currency: str) -> Money | None:
        """The amount typed in field ``name``, read in ``currency``; ``None``
        (with the error on the field) when it is not one, or is zero."""
        try:
            money = Money.parse(self.cleaned_data[name], currency, field=name)
        except ValidationFailed as exc:
            self.add_error(name, exc.message)
            return None
        if money.is_zero():
            self.add_error(name, "An opening balance of zero records nothing.")
            return None
        return money


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


class ConversionForm(KeyedForm):
    """Move money between two of the collective's asset accounts in different
    currencies."""

    source = _AccountChoiceField(
        label="From account", queryset=Account.objects.none(), empty_label="Choose an account"
    )
    target = _AccountChoiceField(
        label="To account", queryset=Account.objects.none(), empty_label="Choose an account"
    )
    amount = _amount_field("Amount", "In the currency of the account it leaves, e.g. 1,250.00.")
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

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["target"].queryset = accounts  # type: ignore[attr-defined]

    @staticmethod
    def initial_for() -> dict[str, Any]:
        return {"occurred_at": timezone.localdate(), "idempotency_key": new_form_key()}

    def clean_rate(self) -> Decimal | None:
        text = self.cleaned_data["rate"].strip()
        if not text:
            return None
        try:
            return rate_parse(text)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source: Account | None = data.get("source")
        if source is not None and "amount" in data:
            try:
                data["money"] = Money.parse(data["amount"], source.currency, field="amount")
            except ValidationFailed as exc:
                self.add_error("amount", exc.message)
        return data


class AccountOpenForm(KeyedForm):
    """Open one of the collective's asset accounts and, if an amount is
    given, record what it already held. The name is checked here only so a
    label that gives no name is an error on its field; the service decides."""

    label = forms.CharField(label="Name", max_length=MAX_LABEL_LENGTH)
    currency = forms.ChoiceField(label="Currency")
    description = forms.CharField(
        label="Description",
        max_length=200,
        required=False,
        help_text="What it is, for the members reading the books: “BPI current account”.",
    )
    must_not_go_negative = forms.BooleanField(
        label="It must never go below zero",
        required=False,
        help_text="Tick it for money that cannot be overdrawn, such as cash or savings: "
        "the books then refuse anything that would take it below zero.",
    )
    amount = _amount_field(
        "Opening balance",
        "What it holds now, in its currency (e.g. 1,250.00; negative for an overdraft). "
        "Empty if it starts empty.",
        required=False,
    )
    occurred_at = forms.DateField(
        label="Held on",
        required=False,
        widget=_DATE,
        help_text="The day it held that amount; needed with an amount.",
    )

    def __init__(self, *args: Any, collective: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()  # type: ignore[attr-defined]
        example = account_name_for(collective, Account.Type.ASSETS, "Wise", "USD")
        self.fields["label"].help_text = (
            "Where the money is kept: Bank, Wise, Cash box. It names the account: "
            f"“Wise” in USD is {example}."
        )

    @staticmethod
    def initial_for(collective: Any) -> dict[str, Any]:
        return {
            "currency": collective.base_currency,
            "occurred_at": timezone.localdate(),
            "idempotency_key": new_form_key(),
        }

    def clean_label(self) -> str:
        label: str = self.cleaned_data["label"].strip()
        try:
            account_component(label)
        except ValidationFailed:
            raise forms.ValidationError(
                "Use letters or digits in the name, such as Bank or Wise."
            ) from None
        return label

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["money"] = None
        if data.get("amount", "").strip() and data.get("currency"):
            data["money"] = self._parse_opening_amount("amount", data["currency"])
            given = data["money"] is not None
            if given and data.get("occurred_at") is None and "occurred_at" not in self.errors:
                self.add_error("occurred_at", "Give the day the account held this amount.")
        return data


class OpeningBalanceForm(KeyedForm):
    """What one of the collective's asset accounts held before its money
    was kept in these books, read in the account's currency."""

    amount = _amount_field("Amount", "What it held, e.g. 1,250.00; negative for an overdraft.")
    occurred_at = forms.DateField(label="Held on", widget=_DATE)
    memo = forms.CharField(
        label="Memo",
        max_length=500,
        required=False,
        help_text="Empty for “Opening balance of …”.",
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["amount"].label = f"Amount in {account.currency}"

    @staticmethod
    def initial_for() -> dict[str, Any]:
        return {"occurred_at": timezone.localdate(), "idempotency_key": new_form_key()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "amount" in data:
            data["money"] = self._parse_opening_amount("amount", self.account.currency)
        return data


class ReversalForm(KeyedForm):
    """Confirm the reversal of a hand-made entry."""

    memo = forms.CharField(label="Memo", max_length=500, required=False)

    def __init__(self, *args: Any, original: Transaction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["memo"].help_text = (
            f"Why it is reversed, for whoever reads the journal. Empty for "
            f"“Reversal of #{original.pk}: {original.memo}”."
        )

    @staticmethod
    def initial_for() -> dict[str, Any]:
        return {"idempotency_key": new_form_key()}
