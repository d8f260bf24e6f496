"""Forms of the funds pages: a fund's rules (to set it up or to propose a
change), a claim of each kind, joining the sick-pay fund and changing one's
place in it, deciding a claim, and a client's payment agreement.

They collect and shape input only. The rules themselves (ranges, tiers that
rise, a set date for a tier change, a claim that is eligible) live in
``mutual.rules`` and the services; a view puts a service's refusal on the
field it names (``field_for``), so it lands where the member typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from mutualist.core.money import Money
from mutualist.governance.forms import LOCAL_FORMAT, aware_in
from mutualist.mutual.models import Claim
from mutualist.mutual.rules import APPROVALS_ALLOWED, DEFAULTS, LABELS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_AMOUNT = {"inputmode": "decimal", "step": "0.01", "min": "0"}
MONTHS = [(m, dt.date(2000, m, 1).strftime("%B")) for m in range(1, 13)]
# Rows of the sick-pay tiers table on the rules form: the bread funds' eight,
# or as many as the version amended has.
TIER_ROWS = 8
VOTE_DAYS = 7

APPROVAL_WORDS = {
    "peers": "By peers: a set number of other members approve each claim",
    "vote": "By a vote of all members on each claim",
    "automatic": "Automatically, by the rules (the member's own money)",
}
# Rules whose amounts are money in the fund's currency.
MONEY_RULES = {"floor", "cap"}
DISCLOSURE_HELP = (
    "The members who approve a claim and the coordinators always see your name and reason. "
    "This is what the other members are told."
)


def local_closing(zone: ZoneInfo, days: int = VOTE_DAYS) -> dt.datetime:
    """A week from now on the member's own clock, to the minute (naive, for the widget)."""
    closes = timezone.now().astimezone(zone) + dt.timedelta(days=days)
    return closes.replace(second=0, microsecond=0, tzinfo=None)


class RulesForm(forms.Form):
    """A fund's whole rules as fields, pre-filled from ``base`` (the kind's
    defaults, or the newest version), with when the vote closes and when the
    rules take effect. ``rules()`` gives the mapping the services take."""

    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text="Leave empty for “New rules for the … fund”.",
    )
    body = forms.CharField(
        label="Why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the members should know before they vote. Markdown.",
    )
    closes_at = forms.DateTimeField(
        label="Voting closes",
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    effective_from = forms.DateField(
        label="The rules take effect on",
        help_text="On or after the day voting closes.",
        widget=_DATE,
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        base: Mapping[str, Any],
        currency: str,
        zone: ZoneInfo,
        first: bool,
        **kwargs: Any,
    ) -> None:
        self.kind = kind
        self.zone = zone
        self.currency = currency
        names = list(DEFAULTS[kind])
        self.tier_rows = max(TIER_ROWS, len(base.get("tiers", []))) if "tiers" in names else 0
        closes = local_closing(zone)
        initial: dict[str, Any] = {
            "closes_at": closes,
            "effective_from": closes.date() + dt.timedelta(days=1),
        }
        for name in names:
            value = base.get(name, DEFAULTS[kind][name])
            if name == "tiers":
                for index, tier in enumerate(value):
                    initial[f"tier_{index}_deposit"] = tier["deposit"]
                    initial[f"tier_{index}_payout"] = tier["payout"]
            else:
                initial[name] = value
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["closes_at"].help_text = f"Your time ({zone.key})."
        if first:
            # A first version's title is the fund's; the effective date may follow the vote.
            del self.fields["title"]
            self.fields["effective_from"].required = False
            self.fields[
                "effective_from"
            ].help_text = "On or after the day voting closes. Leave empty for the day after."
        for name in names:
            self._add_rule_field(name)

    def _add_rule_field(self, name: str) -> None:
        label = LABELS.get(name, name.replace("_", " ").capitalize())
        default = DEFAULTS[self.kind][name]
        field: forms.Field
        if name == "tiers":
            for index in range(self.tier_rows):
                for part in ("deposit", "payout"):
                    self.fields[f"tier_{index}_{part}"] = forms.DecimalField(
                        label=f"Tier {index + 1}: monthly {'deposit' if part == 'deposit' else 'gift'}",
                        required=False,
                        widget=forms.TextInput(attrs=_AMOUNT),
                    )
            # Errors about the tiers as a whole land here (never an input).
            self.fields["tiers"] = forms.CharField(required=False, widget=forms.HiddenInput)
            return
        if name == "approval":
            allowed = APPROVALS_ALLOWED[self.kind]
            field = forms.ChoiceField(
                label=label,
                choices=[(a, APPROVAL_WORDS[a]) for a in allowed],
                widget=forms.RadioSelect,
            )
        elif name == "refund_month":
            field = forms.TypedChoiceField(label=label, choices=MONTHS, coerce=int)
        elif name == "change_months":
            field = forms.TypedMultipleChoiceField(
                label=label, choices=MONTHS, coerce=int, widget=forms.CheckboxSelectMultiple
            )
        elif isinstance(default, bool):
            field = forms.BooleanField(label=label, required=False)
        elif isinstance(default, int):
            field = forms.IntegerField(
                label=label, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
            )
        else:
            if name in MONEY_RULES:
                label = f"{label} ({self.currency})"
            field = forms.DecimalField(label=label, widget=forms.TextInput(attrs=_AMOUNT))
        self.fields[name] = field

    def clean_closes_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["closes_at"]
        naive = value.replace(tzinfo=None) if timezone.is_aware(value) else value
        aware = aware_in(naive, self.zone)
        if aware is None:
            raise forms.ValidationError(
                f"{naive:%H:%M} does not exist on {naive.day} {naive:%B %Y} in {self.zone.key}: "
                "the clocks skip that hour.",
                code="nonexistent_time",
            )
        return aware

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for index in range(self.tier_rows):
            deposit = data.get(f"tier_{index}_deposit")
            payout = data.get(f"tier_{index}_payout")
            if (deposit is None) != (payout is None):
                missing = "payout" if payout is None else "deposit"
                if f"tier_{index}_{missing}" not in self.errors:
                    self.add_error(
                        f"tier_{index}_{missing}",
                        "Give both a deposit and a gift, or leave the row empty.",
                    )
        return data

    @property
    def tier_pairs(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [
            (index + 1, self[f"tier_{index}_deposit"], self[f"tier_{index}_payout"])
            for index in range(self.tier_rows)
        ]

    @property
    def rule_fields(self) -> list[forms.BoundField]:
        """Every rule's field but the tiers, in the rules' order."""
        return [self[name] for name in DEFAULTS[self.kind] if name != "tiers"]

    def rules(self) -> dict[str, Any]:
        """The rules as the services take them (call after ``is_valid``):
        amounts as text, the tiers as the rows that were filled in."""
        data = self.cleaned_data
        rules: dict[str, Any] = {}
        for name in DEFAULTS[self.kind]:
            if name == "tiers":
                rules["tiers"] = [
                    {
                        "deposit": _text(data[f"tier_{i}_deposit"]),
                        "payout": _text(data[f"tier_{i}_payout"]),
                    }
                    for i in range(self.tier_rows)
                    if data.get(f"tier_{i}_deposit") is not None
                ]
            elif isinstance(data.get(name), Decimal):
                rules[name] = _text(data[name])
            elif name == "change_months":
                rules[name] = sorted(data.get(name) or [])
            else:
                rules[name] = data.get(name)
        return rules


def _text(value: Decimal) -> str:
    return f"{value:f}"


def rules_field_for(field: str | None) -> str | None:
    """The rules form's field a service's ``field`` points at:
    ``rules.waiting_days`` -> ``waiting_days``, ``rules.tiers.2.payout`` ->
    ``tier_2_payout``; the fund's kind or the rules as a whole -> the form."""
    if field is None:
        return None
    name = field.removeprefix("payload.")
    if name.startswith("rules.tiers."):
        parts = name.split(".")
        part = parts[3] if len(parts) > 3 else "deposit"
        return f"tier_{parts[2]}_{part}"
    if name.startswith("rules."):
        return name.removeprefix("rules.")
    if name in {"rules", "kind", "fund"}:
        return None
    return name


def form_error(form: forms.Form, field: str | None, message: str) -> None:
    """Put a refusal on ``field`` when the form has it, else above the form."""
    form.add_error(field if field in form.fields else None, message)


# --- Claims ----------------------------------------------------------------------------------


class DisclosureMixin(forms.Form):
    disclosure = forms.ChoiceField(
        label="What the other members are told",
        choices=Claim.Disclosure.choices,
        initial=Claim.Disclosure.EVERYTHING,
        widget=forms.RadioSelect,
        help_text=DISCLOSURE_HELP,
    )
    reason = forms.CharField(
        label="Your reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SickClaimForm(DisclosureMixin):
    starts_on = forms.DateField(label="Sick from", widget=_DATE)
    percent = forms.TypedChoiceField(
        label="How sick",
        choices=[
            (100, "Fully sick: I cannot work (100 %)"),
            (50, "Half sick: I can work half (50 %)"),
        ],
        coerce=int,
        initial=100,
        widget=forms.RadioSelect,
    )
    field_order = ["starts_on", "percent", "reason", "disclosure"]


class GuaranteeClaimForm(DisclosureMixin):
    invoice = forms.TypedChoiceField(
        label="The overdue invoice", coerce=int, widget=forms.RadioSelect
    )
    field_order = ["invoice", "reason", "disclosure"]

    def __init__(self, *args: Any, invoices: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = list(invoices)  # type: ignore[attr-defined]


class IncomeGapClaimForm(DisclosureMixin):
    field_order = ["reason", "disclosure"]


class SavingsWithdrawForm(forms.Form):
    amount = forms.DecimalField(label="Amount", widget=forms.TextInput(attrs=_AMOUNT))
    currency = forms.ChoiceField(label="Currency")
    reason = forms.CharField(
        label="Note for yourself",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in currencies]  # type: ignore[attr-defined]
        if len(currencies) == 1:
            self.fields["currency"].widget = forms.HiddenInput()
            self.fields["currency"].initial = currencies[0]

    def money(self) -> Money:
        """The amount asked for (call after ``is_valid``; ``Money`` refuses
        more decimals than the currency has, with ``field="amount"``)."""
        return Money(self.cleaned_data["amount"], self.cleaned_data["currency"])


class DecideForm(forms.Form):
    """A peer's approval or rejection; the note is required to reject (the service says so)."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject: the member is told why.",
    )


class SickEndForm(forms.Form):
    ends_on = forms.DateField(
        label="Last sick day", widget=_DATE, help_text="At most a week ahead."
    )


# --- Sick-pay membership ---------------------------------------------------------------------


def tier_choices(tiers: Iterable[Any], currency: str) -> list[tuple[int, str]]:
    """ "Tier 3: ₱56.25 a month → ₱1,250.00 a month when sick"."""
    return [
        (
            index,
            f"Tier {index + 1}: deposit {Money(tier.deposit, currency).format('en')} a month, "
            f"gift {Money(tier.payout, currency).format('en')} a month when sick",
        )
        for index, tier in enumerate(tiers)
    ]


class JoinForm(forms.Form):
    # Radio buttons: a tier's whole label fits a phone's width; a select cuts it.
    tier = forms.TypedChoiceField(label="Your tier", coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, tiers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tiers  # type: ignore[attr-defined]


class ChangeForm(forms.Form):
    """A tier change or leaving the fund, on one of the next set dates."""

    change = forms.ChoiceField(
        label="What changes",
        choices=[("tier", "Move to another tier"), ("exit", "Leave the fund")],
        widget=forms.RadioSelect,
        initial="tier",
    )
    tier = forms.TypedChoiceField(
        label="New tier",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text="Only when you move to another tier.",
    )
    effective_on = forms.DateField(label="From", widget=forms.Select)

    def __init__(
        self,
        *args: Any,
        tiers: list[tuple[int, str]],
        dates: list[dt.date],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tiers  # type: ignore[attr-defined]
        self.fields["effective_on"].widget.choices = [
            (day.isoformat(), f"{day.day} {day:%B %Y}") for day in dates
        ]
        if dates:
            self.fields["effective_on"].initial = dates[0].isoformat()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("change") == "tier" and data.get("tier") is None and "tier" not in self.errors:
            self.add_error("tier", "Choose the tier to move to.")
        return data


# --- Guarantee: client agreements ------------------------------------------------------------


class AgreementForm(forms.Form):
    client = forms.TypedChoiceField(label="Client", coerce=int)
    signed_on = forms.DateField(label="Signed on", widget=_DATE)
    reference = forms.CharField(
        label="Reference",
        required=False,
        max_length=200,
        help_text="Where the signed agreement is kept, or its number.",
    )

    def __init__(self, *args: Any, clients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "Choose a client")] + clients  # type: ignore[attr-defined]
