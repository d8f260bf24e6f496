"""The form that moves a pooled fund's money between currencies.

It collects and shapes input only: the amount read in the currency it
leaves, an optional rate. What may be converted (not more than is free, not
into the same currency, a rate on record) is ``fund_convert``'s to say; the
view puts its refusal on the field it names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_choices
from mutualist.ledger.forms import KeyedForm, new_form_key
from mutualist.ledger.services import rate_parse

_DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class ConvertForm(KeyedForm):
    """Convert part of a pooled fund's money into another currency. The
    hidden key (``KeyedForm``) makes a second press of the button a replay,
    not a second conversion."""

    amount = forms.CharField(
        label="Amount",
        max_length=40,
        help_text="In the currency it leaves, e.g. 1,250.00.",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    from_currency = forms.ChoiceField(label="From")
    to_currency = forms.ChoiceField(label="Into")
    rate = forms.CharField(
        label="Rate",
        max_length=40,
        required=False,
        help_text="Units of the second currency per unit of the first. Leave empty to use "
        "the rate on record for today (the collective's from the past week, or the ECB's).",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    rate_source = forms.CharField(
        label="Where the rate comes from",
        max_length=200,
        required=False,
        help_text="With a rate given here: the bank's name or a receipt number.",
    )
    field_order = ["amount", "from_currency", "to_currency", "rate", "rate_source"]

    def __init__(self, *args: Any, held: list[str], currency: str, **kwargs: Any) -> None:
        """``held``: the currencies the fund has money free in, offered to
        convert from; ``currency``: the fund's own, offered first to convert into."""
        other = next((c for c in held if c != currency), None)
        initial = {
            "idempotency_key": new_form_key(),
            # Levies in another currency into the fund's own, the usual case;
            # a fund holding only its own currency is asked which to buy.
            "from_currency": other or (held[0] if held else ""),
            "to_currency": currency if other else "",
        }
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["from_currency"].choices = [(c, c) for c in held]  # type: ignore[attr-defined]
        everything = currency_choices()
        first = [choice for choice in everything if choice[0] == currency]
        blank = [] if other else [("", "Choose a currency")]
        rest = [choice for choice in everything if choice[0] != currency]
        self.fields["to_currency"].choices = blank + first + rest  # type: ignore[attr-defined]

    def clean_rate(self) -> Decimal | None:
        text = self.cleaned_data["rate"].strip()
        if not text:
            return None
        try:
            return rate_parse(text)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        currency = data.get("from_currency")
        if currency and "amount" in data:
            try:
                data["money"] = Money.parse(data["amount"], currency, field="amount")
            except ValidationFailed as exc:
                self.add_error("amount", exc.message)
        return data
