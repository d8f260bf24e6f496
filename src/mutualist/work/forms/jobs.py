"""Forms for jobs (posting, leads, editing) and the job board's filters.

A job's roles are a fixed number of rows (``RoleForm``), each with a skill, a
title, and either up to ``WINDOWS_PER_ROLE`` coverage windows (days, a start
and an end hour) or a number of flexible hours a week. A row left empty is
ignored. ``JobForm.role_specs()`` turns the rows into the service's specs; a
refusal naming ``roles[1].coverage[0].start`` lands on that row's field
(``JobForm.add_role_error``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms

from mutualist.core.errors import DomainError
from mutualist.members.forms.profiles import TIMEZONE_DATALIST_ID
from mutualist.members.models import Skill
from mutualist.work.coverage import DAY_LABELS, DAY_NAMES
from mutualist.work.models import Job, JobRole

WINDOWS_PER_ROLE = 2
BLANK_ROLES = 3
MAX_ROLE_ROWS = 20

_ROLE_FIELD = re.compile(r"^roles\[(\d+)\](?:\.coverage\[(\d+)\])?(?:\.(\w+))?")


class HourInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # step=3600: the browser's picker offers whole hours; the service
        # still refuses 09:30 typed by hand (not_whole_hour).
        super().__init__(attrs={"step": 3600, **(attrs or {})})


class RoleForm(forms.Form):
    """One role row. Coverage windows or flexible hours, not both (the service says so)."""

    skill = forms.ChoiceField(label="Skill", required=False)
    title = forms.CharField(label="Role title", max_length=80, required=False)
    hours = forms.IntegerField(
        label="Flexible hours a week",
        required=False,
        min_value=1,
        max_value=168,
        help_text="For work done any time; leave empty for a role with coverage windows.",
    )

    def __init__(self, *args: Any, skills: Sequence[Skill] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((skill.slug, f"{skill.name} ({skill.category})") for skill in skills),
        ]
        day_choices = list(zip(DAY_NAMES, DAY_LABELS, strict=True))
        for index in range(WINDOWS_PER_ROLE):
            self.fields[f"w{index}_days"] = forms.MultipleChoiceField(
                label=f"Window {index + 1}: days",
                choices=day_choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            # Text, so the service reads "09:30" and answers in its own words.
            self.fields[f"w{index}_start"] = forms.CharField(
                label=f"Window {index + 1}: from", required=False, max_length=8, widget=HourInput()
            )
            self.fields[f"w{index}_end"] = forms.CharField(
                label=f"Window {index + 1}: until",
                required=False,
                max_length=8,
                widget=HourInput(),
                help_text="An end at or before the start runs past midnight (22:00-06:00).",
            )

    def window_fields(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"w{i}_days"], self[f"w{i}_start"], self[f"w{i}_end"])
            for i in range(WINDOWS_PER_ROLE)
        ]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        windows = any(
            data.get(f"w{i}_days") or data.get(f"w{i}_start") or data.get(f"w{i}_end")
            for i in range(WINDOWS_PER_ROLE)
        )
        return not (data.get("skill") or data.get("title") or data.get("hours") or windows)

    def spec(self) -> tuple[dict[str, object], list[int]]:
        """The row as the service takes it, and which window rows its coverage came from."""
        data = self.cleaned_data
        spec: dict[str, object] = {"skill": data.get("skill") or "", "title": data.get("title", "")}
        coverage, rows = [], []
        for i in range(WINDOWS_PER_ROLE):
            days, start, end = (
                data.get(f"w{i}_days"),
                data.get(f"w{i}_start"),
                data.get(f"w{i}_end"),
            )
            if days or start or end:
                coverage.append({"days": list(days or []), "start": start or "", "end": end or ""})
                rows.append(i)
        if data.get("hours") is not None:
            spec["hours"] = data["hours"]
        if coverage:
            spec["coverage"] = coverage
        return spec, rows

    @staticmethod
    def initial_for(role: JobRole) -> dict[str, Any]:
        initial: dict[str, Any] = {"skill": role.skill.slug, "title": role.title}
        if role.kind == JobRole.Kind.FLEXIBLE:
            initial["hours"] = role.flexible_hours
            return initial
        grouped: dict[tuple[int, int], list[str]] = {}
        for window in role.coverage.all():
            grouped.setdefault((window.start_hour, window.end_hour), []).append(
                DAY_NAMES[window.weekday]
            )
        for index, ((start, end), days) in enumerate(list(grouped.items())[:WINDOWS_PER_ROLE]):
            initial[f"w{index}_days"] = days
            initial[f"w{index}_start"] = f"{start:02d}:00"
            initial[f"w{index}_end"] = f"{end:02d}:00"
        return initial


class JobForm(forms.Form):
    """A job's own fields, plus its role rows (``self.roles``)."""

    client = forms.TypedChoiceField(label="For", coerce=int, required=False)
    title = forms.CharField(label="Title", max_length=120)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 5}))
    start_date = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    duration_weeks = forms.IntegerField(
        label="Expected duration in weeks",
        required=False,
        min_value=1,
        max_value=520,
        help_text="Leave empty for ongoing work.",
    )
    budget_kind = forms.ChoiceField(label="Budget", choices=Job.BudgetKind.choices)
    budget = forms.CharField(
        label="Amount",
        required=False,
        max_length=24,
        help_text="In the client's currency, for example 35.00. Leave empty for an open budget.",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    visibility = forms.ChoiceField(label="Visibility", choices=Job.Visibility.choices)
    timezone = forms.CharField(
        label="Time zone of the hours",
        max_length=64,
        required=False,
        help_text="Leave empty for the client's time zone.",
        widget=forms.TextInput(
            attrs={"list": TIMEZONE_DATALIST_ID, "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        skills: Sequence[Skill],
        clients: Sequence[tuple[int, str]] = (),
        roles: Sequence[JobRole] = (),
        lead: bool = False,
        editing: bool = False,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        if clients and not editing:
            self.fields["client"].choices = list(clients)  # type: ignore[attr-defined]
            self.fields["client"].required = True
        else:
            del self.fields["client"]
        if lead:
            del self.fields["visibility"]
        role_initial = [RoleForm.initial_for(role) for role in roles]
        rows = min(len(role_initial) + (1 if role_initial else BLANK_ROLES), MAX_ROLE_ROWS)
        if data is not None:
            # As many rows as were sent (the page may have had more than the default).
            sent = {int(m.group(1)) for key in data for m in [re.match(r"roles-(\d+)-", key)] if m}
            rows = min(max(rows, max(sent, default=-1) + 1), MAX_ROLE_ROWS)
        self.roles = [
            RoleForm(
                data,
                prefix=f"roles-{index}",
                skills=skills,
                initial=role_initial[index] if index < len(role_initial) else None,
            )
            for index in range(rows)
        ]
        self._spec_rows: list[tuple[int, list[int]]] = []
        self.role_errors: list[str] = []

    def is_valid(self) -> bool:
        # Every row is checked, so each shows its own errors.
        rows_valid = [role.is_valid() for role in self.roles]
        return super().is_valid() and all(rows_valid)

    def role_specs(self) -> list[dict[str, object]]:
        """The non-blank rows as service specs (call after ``is_valid``)."""
        specs: list[dict[str, object]] = []
        self._spec_rows = []
        for index, role in enumerate(self.roles):
            if role.is_blank():
                continue
            spec, window_rows = role.spec()
            specs.append(spec)
            self._spec_rows.append((index, window_rows))
        return specs

    def add_role_error(self, exc: DomainError) -> None:
        """Show a refusal about ``roles[i]...`` on the row and field it names."""
        match = _ROLE_FIELD.match(exc.field or "")
        if match is None or int(match.group(1)) >= len(self._spec_rows):
            self.role_errors.append(exc.message)
            return
        row, window_rows = self._spec_rows[int(match.group(1))]
        role = self.roles[row]
        window, attribute = match.group(2), match.group(3)
        name: str | None = None
        if window is not None and int(window) < len(window_rows):
            name = f"w{window_rows[int(window)]}_{attribute or 'days'}"
        elif attribute in ("skill", "title", "hours"):
            name = attribute
        role.add_error(name if name in role.fields else None, exc.message)

    def add_domain_error(self, exc: DomainError) -> None:
        if (exc.field or "").startswith("roles"):
            self.add_role_error(exc)
            return
        field = exc.field if exc.field in self.fields else None
        if exc.field == "client_id" and "client" in self.fields:
            field = "client"
        self.add_error(field, exc.message)

    @staticmethod
    def initial_for(job: Job) -> dict[str, Any]:
        from mutualist.core.reference import from_minor_units

        return {
            "title": job.title,
            "description": job.description,
            "start_date": job.start_date,
            "duration_weeks": job.duration_weeks,
            "budget_kind": job.budget_kind,
            "budget": (
                ""
                if job.budget_minor is None
                else str(from_minor_units(job.budget_minor, job.currency))
            ),
            "visibility": job.visibility,
            "timezone": job.timezone,
        }


class BoardFilterForm(forms.Form):
    """The job board's filters (a GET form; every field optional)."""

    skill = forms.ChoiceField(label="Skill", required=False)
    min_hours = forms.IntegerField(
        label="At least (hours a week)", required=False, min_value=0, max_value=168
    )
    max_hours = forms.IntegerField(
        label="At most (hours a week)", required=False, min_value=0, max_value=168
    )
    budget_kind = forms.ChoiceField(
        label="Budget",
        required=False,
        choices=[("", "Any budget"), *Job.BudgetKind.choices],
    )
    min_budget = forms.DecimalField(
        label="Budget at least",
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=3,
        help_text="In each job's own currency.",
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )
    collective = forms.ChoiceField(label="Overlap with the availability of", required=False)
    min_overlap_hours = forms.DecimalField(
        label="At least this many overlapping hours",
        required=False,
        min_value=0,
        max_value=168,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "max": 168, "step": "0.5"}),
    )

    def __init__(
        self,
        *args: Any,
        skills: Sequence[Skill],
        collectives: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [  # type: ignore[attr-defined]
            ("", "Any skill"),
            *((skill.slug, skill.name) for skill in skills),
        ]
        if collectives:
            self.fields["collective"].choices = [("", "—"), *collectives]  # type: ignore[attr-defined]
        else:
            # Only a member can compare with their collective.
            del self.fields["collective"]
            del self.fields["min_overlap_hours"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("min_budget") is not None and not cleaned.get("budget_kind"):
            self.add_error("budget_kind", "Say whether the minimum is an hourly rate or a total.")
        if cleaned.get("min_overlap_hours") is not None and not cleaned.get("collective"):
            self.add_error("collective", "Pick one of your collectives to count overlap against.")
        low, high = cleaned.get("min_hours"), cleaned.get("max_hours")
        if low is not None and high is not None and low > high:
            self.add_error("max_hours", "The maximum is below the minimum.")
        return cleaned
