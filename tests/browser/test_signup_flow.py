"""The first hour of a collective, in a real browser.

Rosa signs up, starts a collective and invites Tomas by email (she has not
confirmed her own address yet: that is not needed to do either). She sees the
invitation pending on the collective's page; Tomas, logged in in another
browser, sees it on his dashboard, opens it, accepts, and finds himself listed
among the members.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse

from mutualist.collectives.models import Collective, Invitation, Membership
from mutualist.members.models import User
from mutualist.members.services.accounts import email_mark_verified, user_signup

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

PASSWORD = "correct-horse-battery-staple-42"
ROSA_EMAIL = "rosa@example.org"
TOMAS_EMAIL = "tomas@example.org"
COLLECTIVE = "Cebu Bookkeepers"
SLUG = "cebu-bookkeepers"

pytestmark = [pytest.mark.browser]


def shoot(page: Page, folder: Path, step: str) -> None:
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def test_a_new_member_starts_a_collective_and_the_invitee_joins_it(
    browser: Browser, live_server: LiveServer, transactional_db: None, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    # given: Tomas already has an account, with the address Rosa will invite, confirmed
    tomas_user = user_signup(
        email=TOMAS_EMAIL, password=PASSWORD, display_name="Tomas Abad", timezone="Asia/Manila"
    )
    email_mark_verified(user=tomas_user)
    base = live_server.url

    # when: Rosa signs up
    rosa = browser.new_context(base_url=base).new_page()
    rosa.goto(reverse("members:signup"))
    rosa.get_by_label("Your name").fill("Rosa Lim")
    rosa.get_by_label("Email address").fill(ROSA_EMAIL)
    rosa.get_by_label("Password").fill(PASSWORD)
    rosa.get_by_label("Time zone").select_option("Asia/Manila")
    shoot(rosa, screenshots, "01-signup-form")
    rosa.get_by_role("button", name="Create account").click()
    # then: she is logged in and asked to fill in her profile
    rosa.wait_for_url(re.compile(re.escape(reverse("members:profile_edit")) + "$"))
    expect(
        rosa.get_by_role("navigation", name="Main").get_by_role("button", name="Log out")
    ).to_be_visible()
    shoot(rosa, screenshots, "02-signed-up")
    assert User.objects.filter(email=ROSA_EMAIL).exists()

    # when: she starts a collective
    rosa.goto(reverse("collectives:create"))
    rosa.get_by_label("Name", exact=True).fill(COLLECTIVE)
    rosa.get_by_label("Address name").fill(SLUG)
    rosa.get_by_label("Description").fill("Bookkeeping and payroll from Cebu, for small firms.")
    rosa.get_by_label("Home city").fill("Cebu City")
    rosa.get_by_label("Home country").select_option("PH")
    rosa.get_by_label("Base currency").select_option("PHP")
    shoot(rosa, screenshots, "03-create-collective-form")
    rosa.get_by_role("button", name="Create collective").click()
    # then: she lands on its page as its coordinator
    detail_url = reverse("collectives:detail", kwargs={"slug": SLUG})
    rosa.wait_for_url(re.compile(re.escape(detail_url) + "$"))
    expect(rosa.get_by_role("heading", level=1)).to_have_text(COLLECTIVE)
    expect(rosa.get_by_text("you are its first coordinator")).to_be_visible()
    shoot(rosa, screenshots, "04-collective-created")

    # when: she invites Tomas by email
    rosa.get_by_role("button", name="Invite someone").click()
    rosa.wait_for_url(re.compile(re.escape(reverse("collectives:invite", kwargs={"slug": SLUG}))))
    rosa.get_by_label("Email address").fill(TOMAS_EMAIL)
    rosa.get_by_label("Personal message").fill("We need a second payroll person. Join us?")
    shoot(rosa, screenshots, "05-invite-form")
    rosa.get_by_role("button", name="Send invitation").click()
    # then: (a) the collective's page shows her the pending invitation
    rosa.wait_for_url(re.compile(re.escape(detail_url) + "$"))
    expect(rosa.get_by_text(f"Invitation sent to {TOMAS_EMAIL}.")).to_be_visible()
    pending = rosa.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("rowheader", name=TOMAS_EMAIL)).to_be_visible()
    shoot(rosa, screenshots, "06-invitation-pending")
    collective = Collective.objects.get(slug=SLUG)
    assert Invitation.objects.get(collective=collective).state == Invitation.State.PENDING

    # when: (b) Tomas logs in, in a browser of his own
    tomas = browser.new_context(base_url=base).new_page()
    tomas.goto(reverse("members:login"))
    tomas.get_by_label("Email address").fill(TOMAS_EMAIL)
    tomas.get_by_label("Password").fill(PASSWORD)
    tomas.get_by_role("button", name="Log in").click()
    tomas.wait_for_url(re.compile(re.escape(reverse("members:dashboard")) + "$"))
    # then: his dashboard shows the invitation
    waiting = tomas.get_by_role("region", name="Invitations waiting for you")
    expect(waiting).to_be_visible()
    shoot(tomas, screenshots, "07-dashboard-invitation")

    # when: he follows it to the invitation page and accepts
    waiting.get_by_role("link", name=COLLECTIVE).click()
    expect(tomas.get_by_role("heading", level=1)).to_have_text(
        f"You are invited to join {COLLECTIVE}"
    )
    expect(tomas.get_by_text("We need a second payroll person. Join us?")).to_be_visible()
    shoot(tomas, screenshots, "08-invitation-page")
    tomas.get_by_role("button", name="Accept and join").click()
    # then: he is on the collective's page, listed as a member
    tomas.wait_for_url(re.compile(re.escape(detail_url) + "$"))
    expect(tomas.get_by_text(f"Welcome to {COLLECTIVE}")).to_be_visible()
    members = tomas.get_by_role("region", name="Members")
    expect(members.get_by_role("rowheader", name=re.compile("Tomas Abad"))).to_be_visible()
    expect(members.get_by_role("rowheader", name=re.compile("Rosa Lim"))).to_be_visible()
    shoot(tomas, screenshots, "09-joined")

    # and Rosa, reloading her page, sees him among the members and no invitation pending
    rosa.reload()
    expect(
        rosa.get_by_role("region", name="Members").get_by_role(
            "rowheader", name=re.compile("Tomas Abad")
        )
    ).to_be_visible()
    expect(
        rosa.get_by_role("region", name="Pending invitations").get_by_text(
            "No invitations are open."
        )
    ).to_be_visible()
    shoot(rosa, screenshots, "10-coordinator-sees-new-member")
    membership = Membership.objects.get(collective=collective, user__email=TOMAS_EMAIL)
    assert (membership.state, membership.role) == (
        Membership.State.ACTIVE,
        Membership.Role.MEMBER,
    )
    assert len(list(screenshots.glob("*.png"))) == 10


def test_pages_load_their_stylesheets(
    browser: Browser, live_server: LiveServer, transactional_db: None, screenshots: Path
) -> None:
    # given
    page = browser.new_context(base_url=live_server.url).new_page()
    stylesheets: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda response: (
            stylesheets.append((response.url, response.status))
            if response.request.resource_type == "stylesheet"
            else None
        ),
    )
    # when
    page.goto(reverse("members:login"))
    page.wait_for_load_state("load")
    shoot(page, screenshots, "login-page")
    # then: Pico and the app's own stylesheet both arrive
    assert len(stylesheets) == 2, stylesheets
    assert [status for _, status in stylesheets] == [200, 200], stylesheets
