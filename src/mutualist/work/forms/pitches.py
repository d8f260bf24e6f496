"""Forms for pitches, agreements and engagements.

They shape input for the services, which keep the rules: a pitch's team is
a formset of lines (member, role, pay rate, and hours or shifts), the bill
rates one field per job role. Shifts are typed the way people write them,
``mon-fri 09:00-17:00; sat 10:00-14:00``, and turned here into the
``{"days", "start", "end"}`` shape that ``work.coverage`` parses, so a bad
hour gets the service's own message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms

from mutualist.collectives.models import Collective
from mutualist.members.models import User
from mutualist.work.coverage import DAY_NAMES, HourWindow
from mutualist.work.models import AgreementAcceptance, Engagement, JobRole
from mutualist.work.selectors.pitches import DraftLine

_WINDOW = re.compile(r"^\s*([A-Za-z,\-\s]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
SHIFTS_HELP = "In the job's time zone, e.g. mon-fri 09:00-17:00; separate several with ;"


DAY_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(name: str) -> int:
    key = name.strip().lower()
    if key in DAY_NAMES:
        return DAY_NAMES.index(key)
    if key in DAY_FULL_NAMES:
        return DAY_FULL_NAMES.index(key)
    raise forms.ValidationError(f"{name.strip()!r} is not a day; use mon, tue ... sun.")


def _days(text: str) -> list[str]:
    days: list[int] = []
    for part in text.split(","):
        if not part.strip():
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            start, end = _day(first), _day(last)
            span = (end - start) % 7
            days += [(start + i) % 7 for i in range(span + 1)]
        else:
            days.append(_day(part))
    if not days:
        raise forms.ValidationError("Name the days, e.g. mon-fri.")
    return [DAY_NAMES[day] for day in dict.fromkeys(days)]


def _time(text: str) -> str:
    hours, _, minutes = text.partition(":")
    return f"{int(hours):02d}:{minutes}"


def shifts_text_parse(text: str) -> list[dict[str, Any]]:
    """``"mon-fri 09:00-17:00; sat 10:00-14:00"`` to the coverage shape."""
    windows = []
    for chunk in re.split(r"[;\n]", text or ""):
        if not chunk.strip():
            continue
        match = _WINDOW.match(chunk)
        if match is None:
            raise forms.ValidationError(
                f"{chunk.strip()!r}: write shifts like mon-fri 09:00-17:00."
            )
        days, start, end = match.groups()
        windows.append({"days": _days(days), "start": _time(start), "end": _time(end)})
    return windows


def _day_runs(days: Sequence[int]) -> str:
    ordered = sorted(set(days))
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ",".join(parts)


def shifts_text(windows: Sequence[HourWindow]) -> str:
    """Windows as people type them: days sharing hours grouped, runs joined."""
    by_hours: dict[tuple[int, int], list[int]] = {}
    for window in windows:
        by_hours.setdefault((window.start_hour, window.end_hour), []).append(window.weekday)
    return "; ".join(
        f"{_day_runs(days)} {start:02d}:00-{end:02d}:00"
        for (start, end), days in sorted(by_hours.items(), key=lambda item: min(item[1]))
    )


# --- Pitches ----------------------------------------------------------------------


class PitchNewForm(forms.Form):
    collective = forms.ChoiceField(label="Pitch as")

    def __init__(self, *args: Any, collectives: Sequence[Collective], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collective"].choices = [(c.slug, c.name) for c in collectives]  # type: ignore[attr-defined]


class PitchForm(forms.Form):
    """The pitch's own fields, and one bill rate per role of the job."""

    message = forms.CharField(
        label="Message to the client",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why this team; it is quoted in the written agreement.",
    )
    payment_terms_days = forms.IntegerField(
        label="Payment terms (days)",
        min_value=0,
        max_value=365,
        initial=30,
        help_text="Net 30 means each invoice is due 30 days after its date.",
    )
    payment_method = forms.CharField(label="Method of pay", max_length=120, initial="Bank transfer")

    def __init__(self, *args: Any, roles: Sequence[JobRole], currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = list(roles)
        for role in self.roles:
            self.fields[self.rate_field(role)] = forms.CharField(
                label=f"{role}: bill rate per hour ({currency})",
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "25.00"}),
            )

    @staticmethod
    def rate_field(role: JobRole) -> str:
        return f"rate_{role.pk}"

    def rate_fields(self) -> list[forms.BoundField]:
        return [self[self.rate_field(role)] for role in self.roles]

    def roles_input(self) -> list[dict[str, object]]:
        """The bill rates given, in the roles' order (``roles[i]`` in errors)."""
        return [
            {"job_role": role.pk, "bill_rate": self.cleaned_data[self.rate_field(role)]}
            for role in self.roles
            if self.cleaned_data.get(self.rate_field(role), "").strip()
        ]

    def rate_field_at(self, index: int) -> str | None:
        given = [
            role
            for role in self.roles
            if (self.cleaned_data.get(self.rate_field(role)) or "").strip()
        ]
        return self.rate_field(given[index]) if index < len(given) else None


class TeamLineForm(forms.Form):
    member = forms.ChoiceField(label="Member", required=False)
    job_role = forms.ChoiceField(label="Role", required=False)
    pay_rate = forms.CharField(
        label="Pay rate per hour",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
    )
    hours = forms.IntegerField(
        label="Hours a week",
        required=False,
        min_value=1,
        max_value=168,
        help_text="Flexible roles",
    )
    shifts = forms.CharField(label="Shifts", required=False, help_text=SHIFTS_HELP)

    def __init__(
        self, *args: Any, members: Sequence[User], roles: Sequence[JobRole], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "—"), *((u.pk, u.display_name) for u in members)]  # type: ignore[attr-defined]
        self.fields["job_role"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((r.pk, f"{r} ({r.get_kind_display().lower()})") for r in roles),
        ]

    def clean_shifts(self) -> list[dict[str, Any]]:
        return shifts_text_parse(self.cleaned_data.get("shifts") or "")

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (
            data.get("member") or data.get("job_role") or (data.get("pay_rate") or "").strip()
        )

    def line_input(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "member": int(data["member"]) if data.get("member") else None,
            "job_role": int(data["job_role"]) if data.get("job_role") else None,
            "pay_rate": data.get("pay_rate") or "",
            "hours": data.get("hours"),
            "shifts": data.get("shifts") or [],
        }

    @staticmethod
    def initial_for(line: DraftLine) -> dict[str, object]:
        return {
            "member": line.user.pk,
            "job_role": line.job_role.pk,
            "pay_rate": str(line.pay_rate.amount),
            "hours": line.hours,
            "shifts": shifts_text(line.shifts),
        }


# A team of more lines than this is refused as a form error: it bounds the
# forms built from a posted count.
MAX_TEAM_LINES = 50
TeamFormSet = forms.formset_factory(
    TeamLineForm, extra=0, max_num=MAX_TEAM_LINES, validate_max=True, absolute_max=MAX_TEAM_LINES
)


class PitchDeclineForm(forms.Form):
    note = forms.CharField(
        label="A note for the collective",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- Agreements and engagements -----------------------------------------------------


class AgreementAcceptForm(forms.Form):
    party = forms.ChoiceField(
        label="Accept for", required=False, choices=AgreementAcceptance.Party.choices
    )


class EngagementStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Engagement.Status.ACTIVE, "Resume"),
            (Engagement.Status.PAUSED, "Pause"),
            (Engagement.Status.ENDED, "End"),
        ]
    )


class SeatForm(forms.Form):
    """A team member's rates and weekly cap (coordinators)."""

    bill_rate = forms.CharField(label="Bill rate per hour", required=False)
    pay_rate = forms.CharField(label="Pay rate per hour", required=False)
    weekly_cap_hours = forms.IntegerField(
        label="Hours a week at most", min_value=1, max_value=168, required=False
    )


class SeatAddForm(forms.Form):
    member = forms.ChoiceField(label="Member")
    role_title = forms.CharField(label="Role", max_length=80)
    bill_rate = forms.CharField(label="Bill rate per hour")
    pay_rate = forms.CharField(label="Pay rate per hour")
    weekly_cap_hours = forms.IntegerField(label="Hours a week at most", min_value=1, max_value=168)
    shifts = forms.CharField(
        label="Shifts",
        required=False,
        help_text="In the engagement's time zone, e.g. mon-fri 09:00-17:00 (optional)",
    )

    def __init__(self, *args: Any, members: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(u.pk, u.display_name) for u in members]  # type: ignore[attr-defined]

    def clean_shifts(self) -> list[dict[str, Any]]:
        return shifts_text_parse(self.cleaned_data.get("shifts") or "")
