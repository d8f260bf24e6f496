"""Forms for the member's own profile pages and the people directory.

They collect and shape input only. The rules (known time zone, currency,
country and language codes, a rate that is not negative, capacity within a
week, windows that do not overlap) live in ``members.services.profiles``; the
views turn a service's refusal into an error on the field it names. That is
why the code fields below are lenient text fields rendered as selects: the
service, not the form, decides what a valid code is, and says so in its own
words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from mutualist.core.reference import (
    country_choices,
    currency_choices,
    from_minor_units,
    language_choices,
    language_names,
)
from mutualist.members.models import MemberSkill, Profile, Skill

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMEZONE_DATALIST_ID = "timezone-names"


class CodeField(forms.CharField):
    """A code picked from a list (country, currency) and checked by the service.

    The form sets the widget's choices when it is built.
    """

    widget = forms.Select


class CodeListField(forms.Field):
    """Several codes (languages) picked from a list and checked by the service."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            return [value]
        return [str(item) for item in value]


def _timezone_input() -> forms.TextInput:
    return forms.TextInput(
        attrs={"list": TIMEZONE_DATALIST_ID, "autocomplete": "off", "spellcheck": "false"}
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=80,
        help_text="Shown on your public profile and to your collectives.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    headline = forms.CharField(
        label="Headline",
        max_length=140,
        required=False,
        help_text="One line about what you do, e.g. “Bookkeeper for small online shops”.",
    )
    bio = forms.CharField(
        label="About you", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    country = CodeField(label="Country", required=False)
    city = forms.CharField(label="City", max_length=80, required=False)
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="An IANA name such as Asia/Manila or Europe/Berlin. "
        "Your availability is given in this time zone.",
        widget=_timezone_input(),
    )
    languages = CodeListField(
        label="Languages you work in",
        required=False,
        help_text="Hold Ctrl (or ⌘) to pick several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    rate = forms.CharField(
        label="Hourly rate",
        max_length=20,
        required=False,
        help_text="For example 12.50. Leave empty to discuss it case by case.",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    rate_currency = CodeField(label="Currency of your rate")
    weekly_capacity_hours = forms.IntegerField(
        label="Hours a week you can take on",
        help_text="Between 0 and 168.",
        widget=forms.NumberInput(attrs={"min": 0, "max": 168, "step": 1}),
    )
    is_public = forms.BooleanField(
        label="Published: anyone can find my profile in the people directory",
        required=False,
        help_text="Unpublished, only members of your collectives see it. "
        "Your email address is never shown.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not at import time: the lists are built from CLDR data.
        self.fields["country"].widget.choices = [
            ("", "—"),
            *country_choices(),
        ]
        self.fields["languages"].widget.choices = language_choices()
        # A long list hides what is picked; say it in the help text as well.
        chosen = self["languages"].value() or []
        names = language_names()
        if chosen:
            picked = ", ".join(names.get(code, code) for code in chosen)
            self.fields["languages"].help_text += f" Now: {picked}."
        self.fields["rate_currency"].widget.choices = currency_choices()

    @staticmethod
    def initial_for(profile: Profile) -> dict[str, Any]:
        rate = (
            ""
            if profile.rate_minor is None
            else str(from_minor_units(profile.rate_minor, profile.rate_currency))
        )
        return {
            "display_name": profile.display_name,
            "headline": profile.headline,
            "bio": profile.bio,
            "country": profile.country,
            "city": profile.city,
            "timezone": profile.timezone,
            "languages": [language.code for language in profile.languages.all()],
            "rate": rate,
            "rate_currency": profile.rate_currency,
            "weekly_capacity_hours": profile.weekly_capacity_hours,
            "is_public": profile.is_public,
        }


LEVEL_CHOICES = [("", "None"), *((str(value), label) for value, label in MemberSkill.Level.choices)]


class SkillsForm(forms.Form):
    """One level select per skill of the taxonomy; "None" means not offered."""

    def __init__(
        self, *args: Any, skills: Sequence[Skill], levels: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.skills = list(skills)
        for skill in self.skills:
            self.fields[self.field_name(skill)] = forms.TypedChoiceField(
                label=skill.name,
                choices=LEVEL_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                initial=str(levels[skill.slug]) if skill.slug in levels else "",
            )

    @staticmethod
    def field_name(skill: Skill) -> str:
        return f"skill_{skill.slug}"

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields grouped by the taxonomy's categories, in taxonomy order."""
        grouped: dict[str, list[forms.BoundField]] = {}
        for skill in self.skills:
            grouped.setdefault(skill.category, []).append(self[self.field_name(skill)])
        return list(grouped.items())

    def levels(self) -> dict[str, int]:
        """The chosen levels as the service takes them: skill slug to level."""
        chosen: dict[str, int] = {}
        for skill in self.skills:
            level = self.cleaned_data.get(self.field_name(skill))
            if level is not None:
                chosen[skill.slug] = level
        return chosen


class TimeOfDayInput(forms.TimeInput):
    input_type = "time"


class AvailabilityWindowForm(forms.Form):
    """One row: a weekday, a start and an end. A row left empty is ignored."""

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=[("", "—"), *((str(i), name) for i, name in enumerate(WEEKDAY_NAMES))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    # Times stay text: the service reads "HH:MM" and says what is wrong with
    # anything else, in the same words as the API.
    start = forms.CharField(
        label="From",
        required=False,
        max_length=8,
        widget=TimeOfDayInput(),
    )
    end = forms.CharField(
        label="Until",
        required=False,
        max_length=8,
        widget=TimeOfDayInput(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The rows sit in a table under visible column headings; each input also
        # gets its own accessible name, which a heading alone does not give it.
        row = self.prefix.rsplit("-", 1)[-1] if self.prefix else ""
        row_label = f", row {int(row) + 1}" if row.isdigit() else ""
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{field.label}{row_label}"
        self.row_label = row_label

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = [cleaned.get("weekday"), cleaned.get("start"), cleaned.get("end")]
        given = [value not in (None, "") for value in values]
        if any(given) and not all(given) and not cleaned.get("DELETE"):
            raise forms.ValidationError(
                "Give a day, a start and an end, or leave the whole row empty.",
                code="incomplete_window",
            )
        return cleaned

    def window(self) -> dict[str, object] | None:
        """The row as the service takes it, or None for an empty or removed row."""
        data = self.cleaned_data
        if data.get("DELETE") or data.get("weekday") is None:
            return None
        return {"weekday": data["weekday"], "start": data["start"], "end": data["end"]}


class BaseAvailabilityFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            row_label = getattr(form, "row_label", "")
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remove{row_label}"


AvailabilityFormSet = forms.formset_factory(
    AvailabilityWindowForm,
    formset=BaseAvailabilityFormSet,
    extra=3,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


class DirectoryFilterForm(forms.Form):
    """The people directory's filters (a GET form; every field optional)."""

    skill = forms.ChoiceField(label="Skill", required=False)
    country = forms.ChoiceField(label="Country", required=False)
    city = forms.CharField(
        label="City",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    language = forms.ChoiceField(label="Language", required=False)
    overlap_timezone = forms.CharField(
        label="Overlap with office hours in",
        max_length=64,
        required=False,
        help_text="A time zone such as America/New_York: shows how many of each "
        "person's hours fall in Mon-Fri 09:00-17:00 there.",
        widget=_timezone_input(),
    )
    min_overlap_hours = forms.DecimalField(
        label="At least this many overlapping hours a week",
        required=False,
        min_value=0,
        max_value=168,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "max": 168, "step": "0.5"}),
    )

    def __init__(self, *args: Any, skills: Sequence[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        skill_choices = [(skill.slug, skill.name) for skill in skills]
        self.fields["skill"].choices = [("", "Any skill"), *skill_choices]  # type: ignore[attr-defined]
        self.fields["country"].choices = [("", "Any country"), *country_choices()]  # type: ignore[attr-defined]
        self.fields["language"].choices = [("", "Any language"), *language_choices()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("min_overlap_hours") is not None and not cleaned.get("overlap_timezone"):
            self.add_error(
                "overlap_timezone", "Give a time zone to count overlapping hours against."
            )
        return cleaned
