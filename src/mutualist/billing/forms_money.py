"""Forms of the money pages: a member's payout settings, a coordinator's
payout, and the collective's billing settings.

They collect and shape input (an amount read in the payable's currency, a
rate, a date); the rules (no payout beyond what is owed, a usable number
pattern) live in ``billing.services``, and the views put a service's refusal
on the field it names (``core.web.add_domain_error``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from mutualist.billing.models import BillingSettings, PayoutSetting
from mutualist.billing.services import number_pattern_validate, reminder_days_parse
from mutualist.collectives.models import Collective
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_choices
from mutualist.ledger.forms import KeyedForm, new_form_key
from mutualist.ledger.models import Account
from mutualist.ledger.services import rate_parse
from mutualist.members.models import User

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


def _as_form_error(exc: ValidationFailed) -> forms.ValidationError:
    return forms.ValidationError(exc.message, code=exc.code)


class PayoutSettingForm(forms.Form):
    currency = forms.ChoiceField(
        label="Paid in",
        help_text="The currency you want to receive. What the collective owes you stays in the "
        "currency the client paid; a coordinator converts it when paying you out.",
    )
    details = forms.CharField(
        label="Where to send it",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For the coordinators who pay you: a bank account (bank, name on the "
        "account, number or IBAN), a Wise or GCash wallet, a PayPal address.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(setting: PayoutSetting | None, collective: Collective) -> dict[str, Any]:
        if setting is None:
            return {"currency": collective.base_currency}
        return {"currency": setting.currency, "details": setting.details}


class _MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _AccountChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}" + (f" ({obj.description})" if obj.description else "")


class PayoutForm(KeyedForm):
    """A payout a coordinator sent a member outside the app: drawn from what
    the collective owes the member in one currency, sent from one of the
    collective's own asset accounts, perhaps in another currency."""

    member = _MemberChoiceField(
        label="Member", queryset=User.objects.none(), empty_label="Choose a member"
    )
    currency = forms.ChoiceField(
        label="Owed in",
        help_text="The currency of what the collective owes them that this payout draws on.",
    )
    amount = forms.CharField(
        label="Amount paid out",
        max_length=40,
        help_text="Taken off what they are owed, in that currency, e.g. 1,250.00.",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    source_account = _AccountChoiceField(
        label="Sent from",
        queryset=Account.objects.none(),
        empty_label="Choose an account",
        help_text="The collective's account the money left.",
    )
    sent_amount = forms.CharField(
        label="Amount sent",
        max_length=40,
        required=False,
        help_text="Only when the account is in another currency: what actually left it, in "
        "its currency. The rate is worked out from the two amounts.",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    fx_rate = forms.CharField(
        label="Rate",
        max_length=40,
        required=False,
        help_text="Or the rate: units of the account's currency per unit owed. Leave both "
        "empty to use the rate on record for the day.",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    fx_rate_source = forms.CharField(
        label="Where the rate comes from",
        max_length=200,
        required=False,
        help_text="With a rate given here: the bank's name or a receipt number.",
    )
    paid_on = forms.DateField(label="Paid on", widget=_DATE)
    reference = forms.CharField(
        label="Reference",
        max_length=120,
        required=False,
        help_text="The transfer's reference, so the member can match it.",
    )

    def __init__(
        self,
        *args: Any,
        members: QuerySet[User],
        currencies: list[str],
        accounts: QuerySet[Account],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]
        self.fields["currency"].choices = [(code, code) for code in currencies]  # type: ignore[attr-defined]
        self.fields["source_account"].queryset = accounts  # type: ignore[attr-defined]
        self.order_fields(
            [
                "member",
                "currency",
                "amount",
                "source_account",
                "sent_amount",
                "fx_rate",
                "fx_rate_source",
                "paid_on",
                "reference",
            ]
        )

    @staticmethod
    def initial_for(**given: Any) -> dict[str, Any]:
        return {"paid_on": timezone.localdate(), "idempotency_key": new_form_key(), **given}

    def clean_fx_rate(self) -> Decimal | None:
        text = self.cleaned_data["fx_rate"].strip()
        if not text:
            return None
        try:
            return rate_parse(text, field="fx_rate")
        except ValidationFailed as exc:
            raise _as_form_error(exc) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        currency = data.get("currency")
        if currency and "amount" in data:
            try:
                data["money"] = Money.parse(data["amount"], currency, field="amount")
            except ValidationFailed as exc:
                self.add_error("amount", exc.message)
        source: Account | None = data.get("source_account")
        data["sent_money"] = None
        sent_text = data.get("sent_amount", "").strip()
        if sent_text and source is not None:
            try:
                data["sent_money"] = Money.parse(sent_text, source.currency, field="sent_amount")
            except ValidationFailed as exc:
                self.add_error("sent_amount", exc.message)
        if sent_text and data.get("fx_rate") is not None:
            self.add_error("fx_rate", "Give the amount sent or the rate, not both.")
        return data


class BillingSettingsForm(forms.Form):
    number_prefix = forms.CharField(
        label="Number prefix",
        max_length=12,
        help_text="1 to 12 capital letters, digits and hyphens, like MNL.",
    )
    number_pattern = forms.CharField(
        label="Invoice numbers",
        max_length=60,
        help_text="<code>{prefix}</code> is the prefix above, <code>{year}</code> the year of "
        "issue, <code>{seq:04}</code> the invoice's place in the series, padded with zeros to 4 "
        "digits (<code>{seq}</code> for no padding). With <code>{year}</code>, the series "
        "starts again at 1 each year. Use letters, digits and - / . _ around them.",
    )
    credit_note_pattern = forms.CharField(
        label="Credit-note numbers",
        max_length=60,
        help_text="The same placeholders; credit notes have their own series, so the pattern "
        "must tell them apart from invoices (CN- does).",
    )
    payment_instructions = forms.CharField(
        label="Payment instructions",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Printed on every invoice: where and how the client pays.",
    )
    late_payment_terms = forms.CharField(
        label="Late-payment terms",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on every invoice: what happens when it is paid late.",
    )
    reminder_days = forms.CharField(
        label="Reminder days",
        required=False,
        max_length=60,
        help_text="Days from the due date on which an unpaid invoice's client is reminded by "
        "email: -3, 1, 7 is three days before, then one and seven days after. Empty for none.",
    )

    @staticmethod
    def initial_for(settings: BillingSettings) -> dict[str, Any]:
        return {
            name: getattr(settings, name)
            for name in (
                "number_prefix",
                "number_pattern",
                "credit_note_pattern",
                "payment_instructions",
                "late_payment_terms",
                "reminder_days",
            )
        }

    # The service checks all of this again; checking here shows every
    # mistake at once instead of the first one the service meets.
    def clean_number_pattern(self) -> str:
        try:
            return number_pattern_validate(
                self.cleaned_data["number_pattern"], field="number_pattern"
            )
        except ValidationFailed as exc:
            raise _as_form_error(exc) from None

    def clean_credit_note_pattern(self) -> str:
        try:
            return number_pattern_validate(
                self.cleaned_data["credit_note_pattern"], field="credit_note_pattern"
            )
        except ValidationFailed as exc:
            raise _as_form_error(exc) from None

    def clean_reminder_days(self) -> str:
        try:
            return reminder_days_parse(self.cleaned_data["reminder_days"])
        except ValidationFailed as exc:
            raise _as_form_error(exc) from None
