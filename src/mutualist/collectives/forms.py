"""Forms for collectives and invitations (bylaws change by a proposal: see
``governance.forms``).

They collect and shape input only; the rules (a home or remote, a free slug,
a known currency, percentages within 0-100, an effective date not in the past)
live in ``collectives.services``, and the views turn a service's refusal into
an error on the field it names. Codes (country, currency) are lenient text
fields rendered as selects, so the service's message is the one shown.
"""

from __future__ import annotations

from typing import Any

from django import forms

from mutualist.collectives.models import Bylaws, Collective, Membership
from mutualist.collectives.services import CoworkingInput
from mutualist.core.reference import country_choices, currency_choices
from mutualist.members.models import Skill

_PERCENT_ATTRS = {"min": 0, "max": 100, "step": "0.01", "inputmode": "decimal"}


class CodeField(forms.CharField):
    """A code picked from a list and checked by the service; the form sets the choices."""

    widget = forms.Select


class _HomeAndSpaceForm(forms.Form):
    """The fields that creating and editing a collective share."""

    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the collective does and who it is for.",
    )
    is_remote = forms.BooleanField(
        label="Remote: members work from anywhere",
        required=False,
        help_text="Otherwise give the home city and country below.",
    )
    city = forms.CharField(label="Home city", max_length=80, required=False)
    country = CodeField(label="Home country", required=False)
    coworking_name = forms.CharField(
        label="Name of the space",
        max_length=120,
        required=False,
        help_text="Where members meet, if there is such a place. Clear the name to remove it.",
    )
    coworking_address = forms.CharField(
        label="Address", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    coworking_opening_hours = forms.CharField(
        label="Opening hours",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: Mon-Fri 08:00-20:00",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not at import time: the lists come from CLDR data.
        self.fields["country"].widget.choices = [
            ("", "—"),
            *country_choices(),
        ]

    def coworking(self) -> CoworkingInput | None:
        """The space as the service takes it; no name means no space."""
        data = self.cleaned_data
        if not data["coworking_name"].strip():
            return None
        return CoworkingInput(
            name=data["coworking_name"],
            address=data["coworking_address"],
            opening_hours=data["coworking_opening_hours"],
        )


class CollectiveCreateForm(_HomeAndSpaceForm):
    slug = forms.CharField(
        label="Address name",
        max_length=60,
        help_text="Lowercase letters, digits and hyphens, e.g. manila-va. "
        "It is part of the collective's web address and cannot be changed later.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    base_currency = CodeField(
        label="Base currency",
        initial="USD",
        help_text="The currency the collective keeps its books in. It cannot be changed later.",
    )
    treasury_percent = forms.DecimalField(
        label="Treasury share (%)",
        initial=10,
        help_text="The part of every payment that goes to the collective's treasury; "
        "the remainder goes to the members who did the work.",
        widget=forms.NumberInput(attrs=_PERCENT_ATTRS),
    )
    admission_rule = forms.ChoiceField(
        label="Admission", choices=Bylaws.AdmissionRule.choices, initial="coordinator"
    )

    field_order = [
        "name",
        "slug",
        "description",
        "is_remote",
        "city",
        "country",
        "base_currency",
        "treasury_percent",
        "admission_rule",
        "coworking_name",
        "coworking_address",
        "coworking_opening_hours",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base_currency"].widget.choices = currency_choices()


class CollectiveEditForm(_HomeAndSpaceForm):
    postal_address = forms.CharField(
        label="Address",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the collective can be written to. Written agreements with clients "
        "name it, and a pitch cannot be sent without it. Members and clients with an "
        "agreement see it.",
    )

    @staticmethod
    def initial_for(collective: Collective) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": collective.name,
            "description": collective.description,
            "is_remote": collective.is_remote,
            "city": collective.city,
            "country": collective.country,
            "postal_address": collective.postal_address,
        }
        space = getattr(collective, "coworking_space", None)
        if space is not None:
            initial.update(
                coworking_name=space.name,
                coworking_address=space.address,
                coworking_opening_hours=space.opening_hours,
            )
        return initial


class CollectiveFilterForm(forms.Form):
    """The collectives directory's filters (a GET form; every field optional)."""

    REMOTE_CHOICES = [("", "Remote or local"), ("yes", "Remote only"), ("no", "With a home city")]

    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or description"}),
    )
    skill = forms.ChoiceField(label="Members offer", required=False)
    remote = forms.ChoiceField(label="Where", choices=REMOTE_CHOICES, required=False)
    country = forms.ChoiceField(label="Country", required=False)
    city = forms.CharField(
        label="City",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args: Any, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [  # type: ignore[attr-defined]
            ("", "Any skill"),
            *((skill.slug, skill.name) for skill in skills),
        ]
        self.fields["country"].choices = [("", "Any country"), *country_choices()]  # type: ignore[attr-defined]

    def remote_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("remote") or "")


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We email them a link that is valid for two weeks. "
        "Only coordinators see this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial="member")
    message = forms.CharField(
        label="Personal message",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ApplyForm(forms.Form):
    note = forms.CharField(
        label="A note for the coordinators",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you do and why you would like to join.",
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class InvitationResponseForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
