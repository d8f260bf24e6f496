"""Forms of the decisions pages: a new proposal, a vote, a proxy.

They collect and shape input only. The rules (a closing time in the future,
a threshold of 50-100 %, a proxy who is an active member, a bylaws change
that changes something) live in ``governance.services`` and the kinds'
handlers; the views put a service's refusal on the field it names. Payload
fields (``effective_from``, ``admission_rule``...) are form fields of the
same name, so a handler's refusal lands where the member typed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from mutualist.collectives.models import Bylaws, Membership
from mutualist.governance.models import Proposal
from mutualist.members.models import User

_PERCENT = {"min": 0, "max": 100, "step": "0.01", "inputmode": "decimal"}
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
DEFAULT_DAYS = 7


def aware_in(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    """The instant a wall-clock time in ``zone`` names, or ``None`` when the
    clocks skip that time (spring forward). A time that happens twice is its
    first occurrence."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return aware


def _day(moment: dt.datetime) -> str:
    """ "4 Dec 2026": no leading zero on the day."""
    return f"{moment.day} {moment:%b %Y}"


def zone_of(user: Any) -> ZoneInfo:
    """The member's own time zone (their profile's), UTC when unreadable."""
    try:
        return ZoneInfo(user.profile.timezone)
    except (KeyError, ValueError, AttributeError):
        return ZoneInfo("UTC")


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of proposal")
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown: **bold**, *italics*, lists with -, links as [text](https://…). "
        "Raw HTML is not shown.",
    )
    method = forms.ChoiceField(
        label="Voting method", choices=Proposal.Method.choices, widget=forms.RadioSelect
    )
    quorum_percent = forms.DecimalField(
        label="Quorum (%)",
        help_text="The share of the members who must vote (a proxy's vote and an abstention "
        "count), 0 to 100.",
        widget=forms.NumberInput(attrs=_PERCENT),
    )
    threshold_percent = forms.DecimalField(
        label="Pass threshold (%)",
        help_text="The share of the votes for or against that must be for, 50 to 100; "
        "a tie always fails.",
        widget=forms.NumberInput(attrs={**_PERCENT, "min": 50}),
    )
    closes_at = forms.DateTimeField(
        label="Voting closes",
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    results_visibility = forms.ChoiceField(
        label="Results", choices=Proposal.Results.choices, widget=forms.RadioSelect
    )
    reasons_required = forms.BooleanField(label="Every voter gives a reason", required=False)
    # A bylaws change: the version in force, with the rules the members change.
    effective_from = forms.DateField(
        label="Takes effect on",
        required=False,
        help_text="On or after the day voting closes.",
        widget=_DATE,
    )
    treasury_percent = forms.DecimalField(
        label="Treasury share (%)",
        required=False,
        help_text="The remainder of every payment goes to the members who did the work.",
        widget=forms.NumberInput(attrs=_PERCENT),
    )
    member_share_basis = forms.ChoiceField(
        label="The members' part is shared",
        required=False,
        choices=Bylaws.ShareBasis.choices,
        widget=forms.RadioSelect,
    )
    admission_rule = forms.ChoiceField(
        label="Admission", required=False, choices=Bylaws.AdmissionRule.choices
    )
    notes = forms.CharField(
        label="Notes for the bylaws",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # An admission: the application the members vote on.
    membership_id = forms.TypedChoiceField(
        label="Application", required=False, coerce=int, empty_value=None
    )

    BYLAWS_FIELDS = (
        "effective_from",
        "treasury_percent",
        "member_share_basis",
        "admission_rule",
        "notes",
    )
    ADMISSION_FIELDS = ("membership_id",)

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        applications: list[Membership],
        zone: ZoneInfo,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.fields["membership_id"].choices = [("", "Choose an application")] + [  # type: ignore[attr-defined]
            (m.pk, f"{m.user.display_name} (applied {_day(m.created_at)})") for m in applications
        ]
        self.fields["closes_at"].help_text = f"Your time ({zone.key})."

    @staticmethod
    def initial_for(*, kind: str, bylaws: Bylaws, zone: ZoneInfo) -> dict[str, Any]:
        treasury = next(
            (s.percent for s in bylaws.split_shares.all() if s.recipient == "treasury"),
            Decimal(0),
        )
        closes = timezone.now().astimezone(zone) + dt.timedelta(days=DEFAULT_DAYS)
        closes = closes.replace(second=0, microsecond=0)
        return {
            "kind": kind,
            "method": Proposal.Method.YES_NO,
            "quorum_percent": Decimal("50"),
            "threshold_percent": Decimal("50"),
            "closes_at": closes.replace(tzinfo=None),
            "results_visibility": Proposal.Results.ALWAYS,
            "effective_from": closes.date() + dt.timedelta(days=1),
            "treasury_percent": treasury,
            "member_share_basis": bylaws.member_share_basis,
            "admission_rule": bylaws.admission_rule,
        }

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

    def payload(self, bylaws: Bylaws) -> dict[str, Any]:
        """The kind's payload from the form's fields (call after ``is_valid``)."""
        data = self.cleaned_data
        kind = data["kind"]
        if kind == Proposal.Kind.BYLAWS_CHANGE:
            payload: dict[str, Any] = {}
            if data["effective_from"] is not None:
                payload["effective_from"] = data["effective_from"].isoformat()
            if data["treasury_percent"] is not None:
                # Other recipients (funds) keep their shares; only the
                # treasury's is on this form.
                shares = {s.recipient: str(s.percent) for s in bylaws.split_shares.all()}
                shares["treasury"] = str(data["treasury_percent"])
                payload["shares"] = shares
            for name in ("member_share_basis", "admission_rule"):
                if data[name]:
                    payload[name] = data[name]
            if data["notes"].strip():
                payload["notes"] = data["notes"]
            return payload
        if kind == Proposal.Kind.ADMISSION:
            return {"membership_id": data["membership_id"]}
        return {}


# A handler names payload fields as the API sees them; the form has its own.
FIELD_OF = {
    "shares": "treasury_percent",
    "split": "treasury_percent",
    "treasury_percent": "treasury_percent",
    "membership_id": "membership_id",
    "payload": None,
}


def form_field_for(field: str | None) -> str | None:
    """The form field a service's ``field`` points at."""
    if field is None:
        return None
    name = field.removeprefix("payload.")
    return FIELD_OF.get(name, name)


class VoteForm(forms.Form):
    choice = forms.CharField(required=False, max_length=16)
    reason = forms.CharField(
        label="Your reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProxyForm(forms.Form):
    """A proxy for a period (or, with ``proposal``, for one proposal).

    ``delegate`` is a member's id picked from a list; the service decides
    who may be named, so its own words reach the member ("You cannot be your
    own proxy."). An id that is neither the member nor a fellow member is
    refused here, naming no one.
    """

    delegate = forms.IntegerField(label="Who votes for you", widget=forms.Select)
    proposal = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    starts_on = forms.DateField(label="From", required=False, widget=_DATE)
    ends_on = forms.DateField(
        label="Until",
        required=False,
        widget=_DATE,
        help_text="Leave empty for a proxy until you revoke it.",
    )

    def __init__(self, *args: Any, me: User, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = {m.user_id: m.user for m in members}
        self.known[me.pk] = me
        self.fields["delegate"].widget.choices = [("", "Choose a member")] + [
            (m.user_id, m.user.display_name) for m in members if m.user_id != me.pk
        ]

    def clean_delegate(self) -> User:
        delegate = self.known.get(self.cleaned_data["delegate"])
        if delegate is None:
            raise forms.ValidationError(
                "Choose an active member of the collective.", code="delegate_not_member"
            )
        return delegate
