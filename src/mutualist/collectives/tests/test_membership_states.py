"""How memberships and invitations stay consistent with each other.

The invariants these tests specify:

- A collective with active members always has an active coordinator (an
  account that can still log in). When the last coordinator leaves, nothing
  they left behind can admit anyone: their collective's pending invitations
  are revoked and its applications rejected. A collective nobody runs is
  revived by whoever joins it first, as its coordinator.
- An invitation speaks for the coordinator who sent it only while they
  coordinate: demoted or gone, their pending invitations are revoked.
- An "invited" membership stands only while a pending, unexpired invitation
  the person can accept exists for it; it is withdrawn when its invitation is
  answered, revoked or expired, whatever the person's login email is by then.
- Someone who joins by applying does not keep an invitation to the same
  collective open on anyone's list.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from mutualist.collectives.models import Bylaws, Collective, Invitation, Membership
from mutualist.collectives.selectors import (
    invitation_list_for_user,
    invitation_list_pending,
    membership_list_for_user,
    membership_of,
)
from mutualist.collectives.services import (
    bylaws_adopt,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_expire_overdue,
    invitation_revoke,
    invitation_token,
    membership_apply,
    membership_approve,
    membership_leave,
    membership_set_role,
)
from mutualist.core.errors import Conflict
from mutualist.members.models import User
from mutualist.members.services.accounts import (
    email_change_confirm,
    email_change_request,
    user_signup,
)
from mutualist.testing import PASSWORD, make_member

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=3)
LAPSED = NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS, hours=1)
CONFIRM_LINK = re.compile(r"/accounts/email/confirm/(?P<token>[^/\s]+)/")


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state(collective: Collective) -> dict[str, Any]:
    """Invitations and memberships of a collective, read fresh."""
    return {
        "invitations": list(
            Invitation.objects.filter(collective=collective).order_by("pk").values()
        ),
        "memberships": list(
            Membership.objects.filter(collective=collective).order_by("pk").values()
        ),
    }


def membership(collective: Collective, user: User) -> Membership:
    return Membership.objects.get(collective=collective, user=user)


def invitation_states(collective: Collective) -> dict[str, tuple[str, dt.datetime | None]]:
    return {
        email: (state, responded_at)
        for email, state, responded_at in Invitation.objects.filter(
            collective=collective
        ).values_list("email", "state", "responded_at")
    }


def coordinators(collective: Collective) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            collective=collective, state="active", role="coordinator"
        ).select_related("user")
    ]


def make_open(collective: Collective, actor: User) -> None:
    bylaws_adopt(
        collective=collective,
        actor=actor,
        effective_from=NOW.date(),
        treasury_percent="10",
        admission_rule=Bylaws.AdmissionRule.OPEN,
    )


def deactivate(user: User) -> None:
    """An operator deactivates the account (the admin's "active" box)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()


def change_email(user: User, new_email: str, mailoutbox: list[Any], capture: Any) -> User:
    """The person changes their login email and confirms it from the mailed link."""
    with capture(execute=True):
        email_change_request(
            user=user,
            new_email=new_email,
            current_password=PASSWORD,
            request_base_url="https://mutualist.test",
        )
    link = next(CONFIRM_LINK.search(m.body) for m in mailoutbox if m.to == [new_email])
    assert link is not None
    email_change_confirm(token=link.group("token"))
    user.refresh_from_db()
    return user


def promote(collective: Collective, user: User, actor: User) -> Membership:
    return membership_set_role(
        membership=membership(collective, user), actor=actor, role="coordinator"
    )


# --- 1. The last coordinator leaves -------------------------------------------------


def test_the_last_coordinator_leaving_revokes_the_collectives_pending_invitations(cast):
    # given Carla, collective B's only member, invited Olga (an account, so she
    # shows as invited) and a newcomer without an account
    to_olga = invitation_create(
        collective=cast.collective_b, inviter=cast.carla, email="olga@example.org"
    )
    invitation_create(collective=cast.collective_b, inviter=cast.carla, email="new@example.org")
    assert membership(cast.collective_b, cast.olga).state == "invited"

    # when Carla leaves (allowed: nobody else is active)
    membership_leave(membership=membership(cast.collective_b, cast.carla), actor=cast.carla)

    # then both invitations are revoked now, and Olga no longer shows as invited
    assert invitation_states(cast.collective_b) == {
        "olga@example.org": ("revoked", NOW),
        "new@example.org": ("revoked", NOW),
    }
    assert not Membership.objects.filter(collective=cast.collective_b, user=cast.olga).exists()
    # and Olga's link no longer admits her into a collective nobody coordinates
    before = state(cast.collective_b)
    with pytest.raises(Conflict) as refused:
        invitation_accept(token=invitation_token(to_olga), user=cast.olga)
    assert (refused.value.code, refused.value.field) == ("invitation_used", "token")
    assert state(cast.collective_b) == before


def test_the_last_coordinator_leaving_rejects_the_waiting_applications(cast, time_machine):
    # given Ben was once a member of B and applied to come back, and Olga applied
    # for the first time (B's coordinator decides applications)
    ben = membership_apply(collective=cast.collective_b, user=cast.ben)
    membership_approve(membership=ben, actor=cast.carla)
    ben = membership_leave(membership=membership(cast.collective_b, cast.ben), actor=cast.ben)
    time_machine.move_to(LATER, tick=False)
    membership_apply(collective=cast.collective_b, user=cast.ben, note="back")
    olga = membership_apply(collective=cast.collective_b, user=cast.olga)

    # when Carla, the last coordinator, leaves
    membership_leave(membership=membership(cast.collective_b, cast.carla), actor=cast.carla)

    # then as if she had rejected both: Olga's application is gone, and Ben is
    # back to having left, with the dates of his earlier membership
    assert not Membership.objects.filter(pk=olga.pk).exists()
    back = membership(cast.collective_b, cast.ben)
    assert (back.state, back.joined_at, back.left_at) == ("left", ben.joined_at, ben.left_at)
    assert not Membership.objects.filter(collective=cast.collective_b, state="active").exists()


def test_a_coordinator_leaving_while_another_remains_keeps_the_others_invitations(cast):
    # given Ana and Ben coordinate A, and Ana invited Olga
    promote(cast.collective_a, cast.ben, cast.ana)
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="olga@example.org")

    # when Ben leaves
    membership_leave(membership=membership(cast.collective_a, cast.ben), actor=cast.ben)

    # then Ana's invitation stands
    assert invitation_states(cast.collective_a) == {"olga@example.org": ("pending", None)}
    assert membership(cast.collective_a, cast.olga).state == "invited"


# --- 1b. A collective nobody runs is revived by whoever joins first -----------------


@pytest.mark.parametrize("rule", ["open", "coordinator"])
def test_the_first_to_join_a_collective_nobody_coordinates_becomes_its_coordinator(cast, rule):
    # given collective B, open or not, whose only member Carla left
    if rule == "open":
        make_open(cast.collective_b, cast.carla)
    membership_leave(membership=membership(cast.collective_b, cast.carla), actor=cast.carla)

    # when Olga applies
    joined = membership_apply(collective=cast.collective_b, user=cast.olga)

    # then she is admitted at once as its coordinator: under either rule there
    # is no one else to admit her or anyone after her
    joined.refresh_from_db()
    assert (joined.state, joined.role, joined.joined_at) == ("active", "coordinator", NOW)
    assert coordinators(cast.collective_b) == [cast.olga]


def test_a_former_coordinator_returning_to_a_collective_nobody_runs_coordinates_again(
    cast, time_machine
):
    membership_leave(membership=membership(cast.collective_b, cast.carla), actor=cast.carla)
    time_machine.move_to(LATER, tick=False)

    back = membership_apply(collective=cast.collective_b, user=cast.carla)

    assert (back.state, back.role, back.joined_at, back.left_at) == (
        "active",
        "coordinator",
        LATER,
        None,
    )


def test_a_newcomer_does_not_take_over_members_whose_coordinators_are_deactivated(cast):
    # given Ana's account was deactivated after she invited Olga as a member;
    # Ben, a member, is left in A with no coordinator who can log in
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
    )
    deactivate(cast.ana)

    # when Olga accepts
    joined = invitation_accept(token=invitation_token(invitation), user=cast.olga)

    # then she joins as the member she was invited as: an outsider does not
    # take over a collective whose members are still there
    assert (joined.state, joined.role) == ("active", "member")


def test_an_application_waits_where_members_remain_without_a_coordinator(cast):
    # given A's only coordinator was deactivated; Ben is still a member
    deactivate(cast.ana)

    # when Olga applies under the coordinator rule
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)

    # then the application waits (an operator has to name a coordinator)
    assert (applied.state, applied.role) == ("applied", "member")


def test_under_the_open_rule_a_newcomer_joins_as_a_member_while_a_coordinator_remains(cast):
    make_open(cast.collective_b, cast.carla)

    joined = membership_apply(collective=cast.collective_b, user=cast.olga)

    assert (joined.state, joined.role) == ("active", "member")
    assert coordinators(cast.collective_b) == [cast.carla]


# --- 1c. Only coordinators whose account is active count ----------------------------


@pytest.fixture
def ben_coordinates_then_is_deactivated(cast) -> Membership:
    """Ana and Ben coordinate A, Dan is a member there; then Ben's account is
    deactivated (his membership row still says "active coordinator")."""
    dan = make_member("dan@example.org", "Dan Cruz")
    Membership.objects.create(collective=cast.collective_a, user=dan, state="active", joined_at=NOW)
    ben = promote(cast.collective_a, cast.ben, cast.ana)
    deactivate(cast.ben)
    return ben


@pytest.mark.usefixtures("ben_coordinates_then_is_deactivated")
def test_a_coordinator_cannot_leave_a_deactivated_account_as_the_only_coordinator(cast):
    before = state(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_leave(membership=membership(cast.collective_a, cast.ana), actor=cast.ana)

    assert (refused.value.code, refused.value.field) == ("last_coordinator", None)
    assert state(cast.collective_a) == before


@pytest.mark.usefixtures("ben_coordinates_then_is_deactivated")
def test_a_coordinator_cannot_step_down_for_a_deactivated_account(cast):
    before = state(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_set_role(
            membership=membership(cast.collective_a, cast.ana), actor=cast.ana, role="member"
        )

    assert (refused.value.code, refused.value.field) == ("last_coordinator", "role")
    assert state(cast.collective_a) == before


def test_the_last_active_coordinator_may_leave_when_only_deactivated_accounts_remain(cast):
    # given Ben, A's only other member, coordinated it but was deactivated
    promote(cast.collective_a, cast.ben, cast.ana)
    deactivate(cast.ben)
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="olga@example.org")

    # when Ana leaves
    left = membership_leave(membership=membership(cast.collective_a, cast.ana), actor=cast.ana)

    # then she has left, and as the last coordinator who could act, her
    # collective's invitations went with her
    assert left.state == "left"
    assert invitation_states(cast.collective_a) == {"olga@example.org": ("revoked", NOW)}


# --- 2. An invitation outlives no coordinator's role -------------------------------


@pytest.fixture
def ben_invited_olga_and_a_newcomer(cast) -> None:
    """Ben coordinates A beside Ana; he invited Olga as a coordinator and a
    newcomer; Ana invited Carla."""
    promote(cast.collective_a, cast.ben, cast.ana)
    invitation_create(
        collective=cast.collective_a, inviter=cast.ben, email="olga@example.org", role="coordinator"
    )
    invitation_create(collective=cast.collective_a, inviter=cast.ben, email="new@example.org")
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="carla@example.org")


@pytest.mark.usefixtures("ben_invited_olga_and_a_newcomer")
@pytest.mark.parametrize("how", ["demoted", "leaves"])
def test_a_coordinator_who_is_demoted_or_leaves_takes_their_invitations_back(cast, how):
    # when Ana demotes Ben, or he leaves
    if how == "demoted":
        membership_set_role(
            membership=membership(cast.collective_a, cast.ben), actor=cast.ana, role="member"
        )
    else:
        membership_leave(membership=membership(cast.collective_a, cast.ben), actor=cast.ben)

    # then the invitations he sent are revoked, and Olga no longer shows as invited
    assert invitation_states(cast.collective_a) == {
        "olga@example.org": ("revoked", NOW),
        "new@example.org": ("revoked", NOW),
        "carla@example.org": ("pending", None),
    }
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
    assert membership(cast.collective_a, cast.carla).state == "invited"


@pytest.mark.usefixtures("ben_invited_olga_and_a_newcomer")
def test_a_demoted_coordinators_invitation_no_longer_makes_a_coordinator(cast):
    to_olga = Invitation.objects.get(email="olga@example.org")
    membership_set_role(
        membership=membership(cast.collective_a, cast.ben), actor=cast.ana, role="member"
    )
    before = state(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        invitation_accept(token=invitation_token(to_olga), user=cast.olga)

    assert refused.value.code == "invitation_used"
    assert state(cast.collective_a) == before


@pytest.mark.usefixtures("ben_invited_olga_and_a_newcomer")
def test_a_role_change_that_demotes_no_one_touches_no_invitation(cast):
    before = invitation_states(cast.collective_a)
    dan = make_member("dan@example.org", "Dan Cruz")
    Membership.objects.create(collective=cast.collective_a, user=dan, state="active", joined_at=NOW)

    # Ben is made coordinator again (he is one), and Dan is promoted
    promote(cast.collective_a, cast.ben, cast.ana)
    promote(cast.collective_a, dan, cast.ben)

    assert invitation_states(cast.collective_a) == before


# --- 3. The invited row follows the person, not their address ----------------------


def test_the_invitation_records_the_account_it_was_shown_to(cast):
    to_olga = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="OLGA@example.org"
    )
    to_newcomer = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="new@example.org"
    )
    unverified = user_signup(
        email="una@example.org", password=PASSWORD, display_name="Una Unverified", timezone="UTC"
    )
    to_unverified = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email=unverified.email
    )

    assert (to_olga.invitee, to_newcomer.invitee, to_unverified.invitee) == (cast.olga, None, None)


@pytest.mark.parametrize("closed_by", ["revoke", "expiry job"])
def test_an_invited_row_is_withdrawn_even_after_the_invitee_changed_their_email(
    cast, mailoutbox, django_capture_on_commit_callbacks, time_machine, closed_by
):
    # given Olga was invited to A, then changed her login email
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
    )
    change_email(cast.olga, "olga.p@example.org", mailoutbox, django_capture_on_commit_callbacks)

    # when the invitation is revoked, or expires
    if closed_by == "revoke":
        invitation_revoke(invitation=invitation, actor=cast.ana)
    else:
        time_machine.move_to(LAPSED, tick=False)
        assert invitation_expire_overdue() == 1

    # then her invited row is gone, and she may apply
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)
    assert applied.state == "applied"


def test_withdrawing_an_old_invitation_keeps_the_row_of_a_newer_one_to_the_new_address(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    # given Olga was invited, changed her email, and was invited at the new address too
    old = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
    )
    change_email(cast.olga, "olga.p@example.org", mailoutbox, django_capture_on_commit_callbacks)
    invitation_create(
        collective=cast.collective_a,
        inviter=cast.ana,
        email="olga.p@example.org",
        role="coordinator",
    )

    # when the old one is revoked
    invitation_revoke(invitation=old, actor=cast.ana)

    # then she still shows as invited, by the new invitation, which she can accept
    invited = membership(cast.collective_a, cast.olga)
    assert (invited.state, invited.role) == ("invited", "coordinator")
    [new] = invitation_list_for_user(user=cast.olga)
    assert invitation_accept(token=invitation_token(new), user=cast.olga).state == "active"


# --- 4. A lapsed invitation does not hold the person in "invited" ------------------


def test_a_lapsed_invitation_not_yet_expired_by_the_job_does_not_block_applying(cast, time_machine):
    # given Olga's invitation lapsed, and `mutualist tick` has not run yet
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
    )
    invited = membership(cast.collective_a, cast.olga)
    time_machine.move_to(LAPSED, tick=False)

    # when she applies
    applied = membership_apply(collective=cast.collective_a, user=cast.olga, note="Still keen")

    # then her row becomes the application
    applied.refresh_from_db()
    assert (applied.pk, applied.state, applied.role, applied.application_note) == (
        invited.pk,
        "applied",
        "member",
        "Still keen",
    )
    # and the expiry job, when it runs, leaves her application alone
    assert invitation_expire_overdue() == 1
    invitation.refresh_from_db()
    assert invitation.state == "expired"
    assert membership(cast.collective_a, cast.olga).state == "applied"


def test_a_former_member_whose_invitation_lapsed_applies_and_keeps_his_history(cast, time_machine):
    left = membership_leave(membership=membership(cast.collective_a, cast.ben), actor=cast.ben)
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="ben@example.org")
    time_machine.move_to(LAPSED, tick=False)

    applied = membership_apply(collective=cast.collective_a, user=cast.ben)

    applied.refresh_from_db()
    assert (applied.state, applied.joined_at, applied.left_at) == (
        "applied",
        left.joined_at,
        left.left_at,
    )


def test_an_open_invitation_still_blocks_applying(cast):
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="olga@example.org")
    before = state(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_apply(collective=cast.collective_a, user=cast.olga)

    assert (refused.value.code, refused.value.field) == ("already_invited", None)
    assert state(cast.collective_a) == before


def test_an_invitation_to_an_address_she_no_longer_logs_in_with_does_not_block_applying(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    # her dashboard cannot show it, and the link refuses her: nothing to accept
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="olga@example.org")
    change_email(cast.olga, "olga.p@example.org", mailoutbox, django_capture_on_commit_callbacks)

    applied = membership_apply(collective=cast.collective_a, user=cast.olga)

    assert applied.state == "applied"


def test_her_memberships_list_an_invitation_only_while_she_can_accept_it(cast, time_machine):
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="olga@example.org")
    assert [(m.collective, m.state) for m in membership_list_for_user(user=cast.olga)] == [
        (cast.collective_a, "invited")
    ]
    assert membership_of(user=cast.olga, collective=cast.collective_a) is not None

    time_machine.move_to(LAPSED, tick=False)

    assert list(membership_list_for_user(user=cast.olga)) == []
    assert membership_of(user=cast.olga, collective=cast.collective_a) is None


def test_her_dashboard_shows_no_lapsed_invitation(cast, client_for, time_machine):
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="olga@example.org")
    # while the invitation is open, her dashboard names the collective
    page = client_for(cast.olga).get(reverse("members:dashboard"))
    assert "Manila Virtual Assistants" in page.content.decode()

    time_machine.move_to(LAPSED, tick=False)
    page = client_for(cast.olga).get(reverse("members:dashboard"))

    # once it lapsed, nothing there offers it, though the expiry job has not run
    assert page.status_code == 200
    assert "Manila Virtual Assistants" not in page.content.decode()
    assert Invitation.objects.get().state == "pending"


# --- 5a. Joining by applying closes the invitations to the same person -------------


@pytest.mark.parametrize("rule", ["coordinator", "open"])
def test_joining_by_application_closes_an_invitation_to_the_same_person(cast, rule):
    # given Ana invited an address before its owner had an account; Nia signed
    # up with it and applied instead of following the link
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="nia@example.org"
    )
    nia = make_member("Nia@example.org", "Nia Newcomer")
    if rule == "open":
        make_open(cast.collective_a, cast.ana)

    # when she is admitted (approved, or at once under the open rule)
    joined = membership_apply(collective=cast.collective_a, user=nia)
    if rule == "coordinator":
        assert invitation_list_pending(collective=cast.collective_a, viewer=cast.ana).count() == 1
        joined = membership_approve(membership=joined, actor=cast.ana)

    # then the invitation is closed, off Ana's list and Nia's dashboard
    assert joined.state == "active"
    invitation.refresh_from_db()
    assert (invitation.state, invitation.responded_at) == ("revoked", NOW)
    assert list(invitation_list_pending(collective=cast.collective_a, viewer=cast.ana)) == []
    assert list(invitation_list_for_user(user=nia)) == []


def test_joining_by_application_closes_an_invitation_to_her_former_address(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
    )
    change_email(cast.olga, "olga.p@example.org", mailoutbox, django_capture_on_commit_callbacks)
    make_open(cast.collective_a, cast.ana)

    membership_apply(collective=cast.collective_a, user=cast.olga)

    invitation.refresh_from_db()
    assert (invitation.state, invitation.responded_at) == ("revoked", NOW)


def test_an_application_still_waiting_keeps_the_invitation_open(cast):
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="nia@example.org"
    )
    nia = make_member("nia@example.org", "Nia Newcomer")

    membership_apply(collective=cast.collective_a, user=nia)

    invitation.refresh_from_db()
    assert invitation.state == "pending"


def test_declining_an_invitation_still_withdraws_the_invited_row(cast):
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
    )

    invitation_decline(token=invitation_token(invitation), user=cast.olga)

    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
