"""The "Propose a team" form: the week, a team size limit, and per active
member whether to consider, pin or leave them out, and a pay rate for this
pitch (over their profile's, in the pitch's currency).

It shapes input for ``work.services.proposals``, which keeps the rules and
names the input at fault (``pinned[0]``, ``rates.cora-lim``);
``field_for`` puts such a refusal on the member's row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import QueryDict

from mutualist.members.models import User

CONSIDER, PIN, EXCLUDE = "consider", "pin", "exclude"
USE_CHOICES = ((CONSIDER, "Consider"), (PIN, "Pin"), (EXCLUDE, "Leave out"))
_LISTED = re.compile(r"^(pinned|excluded)\[(\d+)\]")
_RATE = re.compile(r"^rates\.(.+)$")


class ProposalForm(forms.Form):
    week = forms.DateField(
        label="Week",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Any day of the week to plan; the job's start week if empty.",
    )
    max_team_size = forms.IntegerField(
        label="Team size at most",
        required=False,
        min_value=1,
        max_value=1000,
        help_text="Empty: no limit.",
    )

    def __init__(self, *args: Any, members: Sequence[User], currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for user in self.members:
            self.fields[self.use_field(user)] = forms.ChoiceField(
                label=f"{user.display_name}: use",
                choices=USE_CHOICES,
                initial=CONSIDER,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[self.rate_field(user)] = forms.CharField(
                label=f"{user.display_name}: pay rate per hour ({currency})",
                required=False,
                max_length=32,
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal", "size": 8, "placeholder": "profile"}
                ),
            )
        if self.is_bound:
            # A member the query string does not mention is considered, and
            # shown so.
            data = QueryDict(mutable=True)
            data.update(self.data)
            for user in self.members:
                if not data.get(self.use_field(user)):
                    data[self.use_field(user)] = CONSIDER
            self.data = data

    @staticmethod
    def use_field(user: User) -> str:
        return f"use_{user.pk}"

    @staticmethod
    def rate_field(user: User) -> str:
        return f"rate_{user.pk}"

    def rows(self) -> list[tuple[User, forms.BoundField, forms.BoundField]]:
        return [(u, self[self.use_field(u)], self[self.rate_field(u)]) for u in self.members]

    def _listed(self, use: str) -> list[User]:
        data = self.cleaned_data
        return [u for u in self.members if (data.get(self.use_field(u)) or CONSIDER) == use]

    def choices(self) -> dict[str, Any]:
        """The service's keyword arguments (members by handle)."""
        data = self.cleaned_data
        return {
            "week": data.get("week"),
            "max_team_size": data.get("max_team_size"),
            "pinned": [u.profile.handle for u in self._listed(PIN)],
            "excluded": [u.profile.handle for u in self._listed(EXCLUDE)],
            "rates": {
                u.profile.handle: data[self.rate_field(u)].strip()
                for u in self.members
                if (data.get(self.rate_field(u)) or "").strip()
            },
        }

    def field_for(self, field: str | None) -> str | None:
        """The form field of a service's ``field`` (``pinned[1]``, ``rates.ana``)."""
        if not field:
            return None
        if field in ("week", "max_team_size"):
            return field
        listed = _LISTED.match(field)
        if listed is not None:
            users = self._listed(PIN if listed.group(1) == "pinned" else EXCLUDE)
            index = int(listed.group(2))
            return self.use_field(users[index]) if index < len(users) else None
        rate = _RATE.match(field)
        if rate is not None:
            for user in self.members:
                if user.profile.handle == rate.group(1):
                    return self.rate_field(user)
        return None
