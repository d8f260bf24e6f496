"""Invitations are matched to people by email, so only a confirmed address counts.

Anyone can sign up with someone else's address; they must not see, or take,
the invitations sent to it. Following the mailed link is itself proof of
reading that mailbox, so accepting through it confirms the address.
"""

from __future__ import annotations

import pytest

from mutualist.collectives.selectors import invitation_list_for_user
from mutualist.collectives.services import invitation_accept, invitation_create, invitation_token
from mutualist.members.models import User
from mutualist.members.services.accounts import user_signup
from mutualist.testing import PASSWORD, invitation_token_payload


@pytest.fixture
def squatter(db) -> User:
    # Signed up with an address they do not read; never confirmed it.
    return user_signup(email="dana@example.org", password=PASSWORD, display_name="Not Dana")


def test_an_unconfirmed_address_sees_no_invitations_sent_to_it(cast, squatter):
    # given
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="dana@example.org")
    # when
    visible = list(invitation_list_for_user(user=squatter))
    # then
    assert visible == []


def test_a_confirmed_address_sees_its_invitations(cast, squatter):
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="dana@example.org"
    )
    User.objects.filter(pk=squatter.pk).update(email_verified_at=invitation.created_at)
    squatter.refresh_from_db()
    assert list(invitation_list_for_user(user=squatter)) == [invitation]


def test_the_dashboard_of_an_unconfirmed_address_shows_no_invitation_link(
    cast, squatter, client_for
):
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="dana@example.org"
    )
    page = client_for(squatter).get("/me/").content.decode()
    assert invitation_token_payload(invitation) not in page
    assert "Manila Virtual Assistants" not in page
    assert "show here once you have confirmed it" in page


def test_accepting_through_the_mailed_link_confirms_the_address(cast, squatter):
    # given: the link itself, as the mailbox's owner would have it
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="dana@example.org"
    )
    assert squatter.email_verified_at is None
    # when
    invitation_accept(token=invitation_token(invitation), user=squatter)
    # then
    squatter.refresh_from_db()
    assert squatter.email_verified_at is not None
