"""Collectives, memberships, applications, invitations and bylaws.

Members appear by handle and display name only. The one email address here is
an invitation's, shown to the collective's coordinators who typed it in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ninja import Field, Schema

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, PersonOut
from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Invitation,
    Membership,
)

# --- Output -----------------------------------------------------------------------


class CoworkingOut(Schema):
    name: str
    address: str
    opening_hours: str

    @classmethod
    def from_model(cls, space: CoworkingSpace) -> CoworkingOut:
        return cls(name=space.name, address=space.address, opening_hours=space.opening_hours)


class SplitShareOut(Schema):
    recipient: str = Field(examples=["treasury"])
    percent: str = Field(description="A decimal string", examples=["10.00"])


class BylawsOut(Schema):
    version: int
    effective_from: dt.date
    admission_rule: str = Field(
        description="coordinator (a coordinator approves), open, or vote (the members vote)"
    )
    member_share_basis: str = Field(
        description="How the members' part of a payment is shared among the members on the "
        "invoice: bill (what their hours bill) or pay (their pay for the hours)"
    )
    notes: str
    split: list[SplitShareOut] = Field(
        description="Shares of every payment; the rest goes to the members who did the work"
    )
    created_at: dt.datetime

    @classmethod
    def from_model(cls, bylaws: Bylaws) -> BylawsOut:
        return cls(
            version=bylaws.version,
            effective_from=bylaws.effective_from,
            admission_rule=bylaws.admission_rule,
            member_share_basis=bylaws.member_share_basis,
            notes=bylaws.notes,
            split=[
                SplitShareOut(recipient=share.recipient, percent=str(share.percent))
                for share in bylaws.split_shares.all()
            ],
            created_at=bylaws.created_at,
        )


class CollectiveSummaryOut(Schema):
    slug: str
    name: str
    description: str
    is_remote: bool
    city: str
    country: str
    base_currency: str
    active_members: int

    @classmethod
    def from_model(cls, collective: Collective) -> CollectiveSummaryOut:
        return cls(
            slug=collective.slug,
            name=collective.name,
            description=collective.description,
            is_remote=collective.is_remote,
            city=collective.city,
            country=collective.country,
            base_currency=collective.base_currency,
            # Annotated by collective_list_directory.
            active_members=getattr(collective, "active_members", 0),
        )


class MemberOut(Schema):
    """An active member as the viewer may see them."""

    id: int = Field(description="Membership id (for role changes)")
    member: PersonOut
    role: str
    joined_at: dt.datetime | None

    @classmethod
    def from_model(cls, membership: Membership) -> MemberOut:
        return cls(
            id=membership.pk,
            member=PersonOut.from_user(membership.user),
            role=membership.role,
            joined_at=membership.joined_at,
        )


class ViewerMembershipOut(Schema):
    id: int
    role: str
    state: str


class CollectiveOut(Schema):
    """A collective's page: what anyone may see, and the viewer's own standing."""

    slug: str
    name: str
    description: str
    is_remote: bool
    city: str
    country: str
    base_currency: str
    created_at: dt.datetime
    coworking_space: CoworkingOut | None
    postal_address: str | None = Field(
        description="Where the collective can be written to (written agreements name it); "
        "shown to its active members only, null for anyone else"
    )
    bylaws: BylawsOut = Field(description="The version in force today")
    members: list[MemberOut] = Field(
        description="Active members the viewer may see (GET .../members pages through them)"
    )
    viewer_membership: ViewerMembershipOut | None = Field(
        description="Your own membership, if you have one"
    )

    @classmethod
    def build(
        cls,
        collective: Collective,
        *,
        bylaws: Bylaws,
        members: Iterable[Membership],
        viewer_membership: Membership | None,
    ) -> CollectiveOut:
        # Fetched with the collective (select_related); a missing one raises
        # RelatedObjectDoesNotExist, an AttributeError.
        space: CoworkingSpace | None = getattr(collective, "coworking_space", None)
        return cls(
            slug=collective.slug,
            name=collective.name,
            description=collective.description,
            is_remote=collective.is_remote,
            city=collective.city,
            country=collective.country,
            base_currency=collective.base_currency,
            created_at=collective.created_at,
            coworking_space=CoworkingOut.from_model(space) if space else None,
            postal_address=(
                collective.postal_address
                if viewer_membership is not None
                and viewer_membership.state == Membership.State.ACTIVE
                else None
            ),
            bylaws=BylawsOut.from_model(bylaws),
            members=[MemberOut.from_model(m) for m in members],
            viewer_membership=(
                ViewerMembershipOut(
                    id=viewer_membership.pk,
                    role=viewer_membership.role,
                    state=viewer_membership.state,
                )
                if viewer_membership is not None
                else None
            ),
        )


class MembershipOut(Schema):
    """A membership after a change (apply, approve, leave, role, accept)."""

    id: int
    collective: CollectiveRefOut
    member: PersonOut
    role: str
    state: str = Field(description="invited, applied, active or left")
    joined_at: dt.datetime | None
    left_at: dt.datetime | None

    @classmethod
    def from_model(cls, membership: Membership) -> MembershipOut:
        return cls(
            id=membership.pk,
            collective=CollectiveRefOut(
                slug=membership.collective.slug, name=membership.collective.name
            ),
            member=PersonOut.from_user(membership.user),
            role=membership.role,
            state=membership.state,
            joined_at=membership.joined_at,
            left_at=membership.left_at,
        )


class ApplicationOut(Schema):
    id: int = Field(description="Membership id (approve/reject)")
    applicant: PersonOut
    note: str
    applied_at: dt.datetime

    @classmethod
    def from_model(cls, membership: Membership) -> ApplicationOut:
        return cls(
            id=membership.pk,
            applicant=PersonOut.from_user(membership.user),
            note=membership.application_note,
            applied_at=membership.created_at,
        )


class InvitationOut(Schema):
    """An invitation as its collective's coordinators see it. Never the token:
    that goes only to the invited address, by email."""

    id: int
    email: str = Field(description="The address a coordinator invited")
    role: str
    message: str
    state: str
    created_at: dt.datetime
    expires_at: dt.datetime
    invited_by: PersonOut

    @classmethod
    def from_model(cls, invitation: Invitation) -> InvitationOut:
        return cls(
            id=invitation.pk,
            email=invitation.email,
            role=invitation.role,
            message=invitation.message,
            state=invitation.state,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            invited_by=PersonOut.from_user(invitation.invited_by),
        )


class MyInvitationOut(Schema):
    """An open invitation to the caller's own email address."""

    id: int
    collective: CollectiveRefOut
    role: str
    message: str
    invited_by: str = Field(description="The inviting coordinator's display name")
    created_at: dt.datetime
    expires_at: dt.datetime
    token: str = Field(description="Send it to POST /invitations/accept or /decline")

    @classmethod
    def build(cls, invitation: Invitation, *, token: str) -> MyInvitationOut:
        return cls(
            id=invitation.pk,
            collective=CollectiveRefOut(
                slug=invitation.collective.slug, name=invitation.collective.name
            ),
            role=invitation.role,
            message=invitation.message,
            invited_by=invitation.invited_by.display_name,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            token=token,
        )


class InvitationAnswerOut(Schema):
    id: int
    collective: CollectiveRefOut
    state: str

    @classmethod
    def from_model(cls, invitation: Invitation) -> InvitationAnswerOut:
        return cls(
            id=invitation.pk,
            collective=CollectiveRefOut(
                slug=invitation.collective.slug, name=invitation.collective.name
            ),
            state=invitation.state,
        )


# --- Input ------------------------------------------------------------------------


class CoworkingIn(InputSchema):
    name: str
    address: str
    opening_hours: str = Field("", examples=["Mon-Fri 08:00-20:00"])


class CollectiveCreateIn(InputSchema):
    name: str
    slug: str = Field(description="Lowercase letters, digits, single hyphens; fixed once made")
    base_currency: str = Field(description="ISO 4217; fixed once made", examples=["PHP"])
    description: str = ""
    is_remote: bool = False
    city: str = Field("", description="Required unless is_remote")
    country: str = Field("", description="ISO 3166 two-letter code; required unless is_remote")
    treasury_percent: str = Field("10", description="A decimal string, 0 to 100")
    admission_rule: str = Field("coordinator", description="coordinator, open or vote")
    coworking: CoworkingIn | None = None


class CollectiveUpdateIn(InputSchema):
    """PUT: every editable field (an omitted co-working space is removed)."""

    name: str
    description: str = ""
    is_remote: bool = False
    city: str = ""
    country: str = ""
    coworking: CoworkingIn | None = None
    postal_address: str = Field(
        "", description="Where the collective can be written to; needed to send a pitch"
    )


class CollectivePatchIn(InputSchema):
    """PATCH: only the fields sent change; ``"coworking": null`` removes the space."""

    name: str | None = None
    description: str | None = None
    is_remote: bool | None = None
    city: str | None = None
    country: str | None = None
    coworking: CoworkingIn | None = None
    postal_address: str | None = None


class ApplicationIn(InputSchema):
    note: str = ""


class RoleIn(InputSchema):
    role: str = Field(description="coordinator or member")


class InvitationIn(InputSchema):
    email: str
    role: str = Field("member", description="coordinator or member")
    message: str = ""


class InvitationTokenIn(InputSchema):
    token: str = Field(description="From the invitation email's link, or GET /invitations")


class CollectiveFiltersIn(Schema):
    """Query parameters of GET /collectives."""

    country: str | None = Field(None, description="ISO 3166 two-letter code")
    city: str | None = None
    skill: str | None = Field(None, description="Offered by at least one active member")
    remote: bool | None = None
    q: str | None = Field(None, description="Words in the name or description")
