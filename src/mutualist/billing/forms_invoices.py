"""Forms of the invoice pages: the list's filters, a new draft with its fixed
items, a draft's tax and notes, a fixed item, issuing, a payment and a
credit note.

They collect and shape input (an amount read in the invoice's or the
payment's currency, a member chosen from the collective's); the rules live in
``billing.services``, and the views put a service's refusal on the field it
names (``add_domain_error``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import FixedItem
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_choices
from mutualist.ledger.forms import KeyedForm, new_form_key
from mutualist.ledger.models import Account
from mutualist.members.models import User
from mutualist.work.models import Client, Engagement

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
MAX_ITEMS = 20


def _amount_field(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    """An amount as a person types it ("1,250.00"); read in a currency once
    the form knows which (``Money.parse``)."""
    return forms.CharField(
        label=label,
        max_length=40,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=_DECIMAL),
    )


def _tax_rate_field() -> forms.CharField:
    return forms.CharField(
        label="Tax rate (%)",
        max_length=12,
        required=False,
        help_text="A percentage such as 10 or 7.5; empty for no tax.",
        widget=forms.TextInput(attrs=_DECIMAL),
    )


def _tax_label_field() -> forms.CharField:
    return forms.CharField(
        label="Tax label",
        max_length=40,
        required=False,
        help_text="What the tax is called on the invoice: GST, VAT… (“Tax” when empty).",
    )


def _notes_field() -> forms.CharField:
    return forms.CharField(
        label="Notes",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the invoice.",
    )


class _NamedChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice among model rows, labelled by a function of the row."""

    def __init__(self, *args: Any, label_of: Any = str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._label_of = label_of

    def label_from_instance(self, obj: Any) -> str:
        return str(self._label_of(obj))


def engagement_label(engagement: Engagement) -> str:
    state = "" if engagement.status == Engagement.Status.ACTIVE else f", {engagement.status}"
    return f"{engagement.client.name}: {engagement.title} ({engagement.currency}{state})"


def client_label(client: Client) -> str:
    return f"{client.name} ({client.currency})"


class InvoiceFilterForm(forms.Form):
    """The list's filters (a GET form; every field optional)."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Invoice.Status.choices],
    )
    client = _NamedChoice(
        label="Client",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Any client",
        label_of=client_label,
    )

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]


# --- A new draft ---------------------------------------------------------------------------


class InvoiceNewForm(forms.Form):
    """An engagement (its approved, unbilled time and its currency), or a
    client alone with fixed items."""

    engagement = _NamedChoice(
        label="Engagement",
        queryset=Engagement.objects.none(),
        required=False,
        empty_label="No engagement: fixed items only",
        label_of=engagement_label,
        help_text="Its approved time that no invoice has billed yet becomes one line per member.",
    )
    client = _NamedChoice(
        label="Or a client alone",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Choose a client",
        label_of=client_label,
        help_text="For an invoice of fixed items only, without an engagement's time.",
    )
    until = forms.DateField(
        label="Bill time up to",
        required=False,
        widget=_DATE,
        help_text="The last day of work to bill, in the engagement's time zone; empty for all.",
    )
    tax_rate = _tax_rate_field()
    tax_label = _tax_label_field()
    notes = _notes_field()

    def __init__(
        self,
        *args: Any,
        engagements: QuerySet[Engagement],
        clients: QuerySet[Client],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["engagement"].queryset = engagements  # type: ignore[attr-defined]
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        engagement, client = data.get("engagement"), data.get("client")
        if engagement is not None and client is not None:
            self.add_error("client", "Choose an engagement or a client, not both.")
        elif (
            engagement is None
            and client is None
            and not self.has_error("engagement")
            and not self.has_error("client")
        ):
            self.add_error("engagement", "Choose an engagement, or a client to bill fixed items.")
        return data

    def currency(self) -> str | None:
        """The invoice's currency: the engagement's, or the client's."""
        data = self.cleaned_data
        chosen = data.get("engagement") or data.get("client")
        return chosen.currency if chosen is not None else None


class FixedItemForm(forms.Form):
    """One fixed item: ``quantity`` x ``unit_price``, for one member's work or
    the whole team's. In the new-draft formset every field may stay empty
    (the row is skipped); ``LineAddForm`` requires them."""

    description = forms.CharField(label="Description", max_length=200, required=False)
    quantity = forms.CharField(
        label="Quantity",
        max_length=20,
        required=False,
        initial="1",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    unit_price = _amount_field("Unit price", required=False)
    member = forms.TypedChoiceField(
        label="For the work of",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Whose share of the payments it adds to; the whole team when empty.",
    )

    def __init__(self, *args: Any, members: Sequence[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._members = {member.pk: member for member in members}
        self.fields["member"].choices = [  # type: ignore[attr-defined]
            ("", "The whole team"),
            *((member.pk, member.display_name) for member in members),
        ]

    def item(self, currency: str) -> FixedItem | None:
        """The item in ``currency``, or ``None`` with the error on its field.
        The service checks the description and the quantity again."""
        data = self.cleaned_data
        if not data.get("description", "").strip():
            self.add_error("description", "Describe the item.")
            return None
        try:
            price = Money.parse(data.get("unit_price", ""), currency, field="unit_price")
        except ValidationFailed as exc:
            self.add_error("unit_price", exc.message)
            return None
        member_id = data.get("member")
        return FixedItem(
            description=data["description"],
            quantity=(data.get("quantity") or "").strip() or "1",
            unit_price=price,
            member=self._members.get(member_id) if member_id is not None else None,
        )


class LineAddForm(FixedItemForm):
    """A fixed item added to a draft."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].required = True
        self.fields["unit_price"].required = True


class BaseFixedItemFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def items(self, currency: str) -> tuple[list[FixedItem], list[int]] | None:
        """The filled-in rows as items in ``currency`` and, for each item, the
        index of the form it came from (to put a service's refusal of
        ``items[i]`` on the right row); ``None`` when a row has an error."""
        items: list[FixedItem] = []
        rows: list[int] = []
        failed = False
        for index, form in enumerate(self.forms):
            if not form.has_changed():
                continue
            item = form.item(currency)
            if item is None:
                failed = True
                continue
            items.append(item)
            rows.append(index)
        return None if failed else (items, rows)


FixedItemFormSet = cast(
    "type[BaseFixedItemFormSet]",
    forms.formset_factory(
        FixedItemForm,
        formset=BaseFixedItemFormSet,
        extra=3,
        max_num=MAX_ITEMS,
        validate_max=True,
        absolute_max=MAX_ITEMS,
    ),
)


# --- A draft -------------------------------------------------------------------------------


class DraftUpdateForm(forms.Form):
    tax_rate = _tax_rate_field()
    tax_label = _tax_label_field()
    notes = _notes_field()

    @staticmethod
    def initial_for(invoice: Invoice) -> dict[str, Any]:
        return {
            "tax_rate": format(invoice.tax_rate.normalize(), "f"),
            "tax_label": invoice.tax_label,
            "notes": invoice.notes,
        }


class IssueForm(forms.Form):
    issue_date = forms.DateField(
        label="Issue date",
        required=False,
        widget=_DATE,
        help_text="Today when empty; the due date follows from the payment terms.",
    )


# --- An issued invoice ---------------------------------------------------------------------


class _AccountChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        # "Assets:Collectives:ManilaVa:Bank:PHP" reads as "Bank:PHP" in one
        # collective's form.
        parts = obj.name.split(":")
        label = ":".join(parts[3:]) if len(parts) > 3 else obj.name
        if not label.endswith(obj.currency):
            label += f" ({obj.currency})"
        return label + (f": {obj.description}" if obj.description else "")


class PaymentForm(KeyedForm):
    """A payment received for an invoice, perhaps in another currency."""

    amount = _amount_field("Amount received", help_text="As it arrived, e.g. 1,250.00.")
    currency = forms.ChoiceField(label="Currency")
    received_on = forms.DateField(label="Received on", widget=_DATE)
    method = forms.ChoiceField(label="Method", choices=Payment.Method.choices)
    reference = forms.CharField(
        label="Reference",
        max_length=120,
        required=False,
        help_text="The bank's or the wallet's reference for the payment.",
    )
    deposit_account = _AccountChoice(
        label="Arrived in",
        queryset=Account.objects.none(),
        required=False,
        empty_label="The Bank account in its currency",
        help_text="One of the collective's accounts in the payment's currency.",
    )
    fx_rate = forms.CharField(
        label="Exchange rate",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs=_DECIMAL),
        help_text="Units of the invoice's currency per unit of the payment's. Empty for the "
        "rate on record for that day.",
    )
    keep_excess = forms.BooleanField(
        label="Keep anything beyond what is owed as the client's credit",
        required=False,
        help_text="Otherwise a payment of more than is unpaid is refused.",
    )

    def __init__(
        self, *args: Any, invoice: Invoice, accounts: QuerySet[Account], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.fields["currency"].choices = currency_choices()  # type: ignore[attr-defined]
        self.fields["deposit_account"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["fx_rate"].help_text = (
            f"{invoice.currency} per unit of the payment's currency. Empty for the rate on "
            "record for that day."
        )

    @staticmethod
    def initial_for(invoice: Invoice) -> dict[str, Any]:
        return {
            "currency": invoice.currency,
            "received_on": timezone.localdate(),
            "method": Payment.Method.BANK_TRANSFER,
            "idempotency_key": new_form_key(),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        currency = data.get("currency")
        if currency and "amount" in data:
            try:
                data["money"] = Money.parse(data["amount"], currency, field="amount")
            except ValidationFailed as exc:
                self.add_error("amount", exc.message)
        # The rate is only asked for (and shown) when the currencies differ.
        if currency == self.invoice.currency:
            data["fx_rate"] = ""
        return data


# The credit-note form's element ids (its field names stay plain): it sits
# beside the payment form, whose fields have the same names.
CREDIT_IDS = "id_credit_%s"


class CreditNoteForm(KeyedForm):
    amount = _amount_field(
        "Amount to credit", required=False, help_text="Empty for everything still unpaid."
    )
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Printed on the credit note.",
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice

    @staticmethod
    def initial_for() -> dict[str, Any]:
        return {"idempotency_key": new_form_key()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = (data.get("amount") or "").strip()
        data["money"] = None
        if text:
            try:
                data["money"] = Money.parse(text, self.invoice.currency, field="amount")
            except ValidationFailed as exc:
                self.add_error("amount", exc.message)
        return data
