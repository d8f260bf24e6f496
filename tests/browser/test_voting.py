"""Voting on a phone, in a real browser.

Ben (collective A) opens an open proposal on a 390 px wide screen, taps
"Yes" once, and sees his vote recorded in place (htmx swaps the vote panel;
the page does not reload). Then he changes it to "No" with a reason. The
browser runs on the real clock, so the proposal closes a few days from now.
Screenshots of every page he passes are kept (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.governance.models import Proposal, Vote
from mutualist.governance.services import proposal_create
from mutualist.testing import PASSWORD, build_cast

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def shoot(page: Page, folder: Path, step: str) -> None:
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def assert_fits_the_screen(page: Page) -> None:
    """Nothing pushes the page wider than the phone (a wide table scrolls in its own box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def test_a_member_votes_with_one_tap_on_a_phone_and_sees_it_recorded(
    browser: Browser, live_server: LiveServer, transactional_db: None, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    # given: Ana's open proposal in collective A
    cast = build_cast()
    proposal = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind=Proposal.Kind.GENERAL,
        title="Buy a shared laptop for the new member",
        body="It would cost **about 40,000 PHP**, from the treasury.",
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    page = context.new_page()

    # when: Ben logs in and opens the proposal from his dashboard
    page.goto(reverse("members:login"))
    page.get_by_label("Email address").fill("ben@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/me/"))
    expect(page.get_by_role("heading", name="Waiting for your vote")).to_be_visible()
    shoot(page, screenshots, "01-dashboard")
    page.get_by_role("link", name="Buy a shared laptop for the new member").click()
    expect(page.get_by_role("heading", name="Vote", exact=True)).to_be_visible()
    assert_fits_the_screen(page)
    shoot(page, screenshots, "02-proposal")
    page.evaluate("window.__noReload = true")

    # then: the choices are big buttons, as wide as the panel allows
    yes = page.get_by_role("button", name="Yes", exact=True)
    box = yes.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 150

    # when: he taps "Yes" once
    yes.tap()
    # then: his vote is recorded, in place
    expect(page.get_by_text("Your vote is recorded: Yes.")).to_be_visible()
    expect(page.get_by_role("button", name="Yes (your vote)")).to_have_attribute(
        "aria-pressed", "true"
    )
    shoot(page, screenshots, "03-voted")
    assert Vote.objects.get(proposal=proposal).choice == "yes"
    assert page.evaluate("window.__noReload") is True

    # when: he changes his mind, with a reason
    page.get_by_label("Your reason").fill("Second-hand would do.")
    page.get_by_role("button", name="No", exact=True).tap()
    # then: the same vote is changed, never a second one added
    expect(page.get_by_text("Your vote is recorded: No.")).to_be_visible()
    shoot(page, screenshots, "04-changed")
    assert list(Vote.objects.filter(proposal=proposal).values_list("choice", "reason")) == [
        ("no", "Second-hand would do.")
    ]

    # and the other decisions pages fit the phone too, a bylaws change's among them
    change = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind=Proposal.Kind.BYLAWS_CHANGE,
        title="15 % for the treasury",
        payload={
            "effective_from": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "shares": {"treasury": "15"},
        },
        method=Proposal.Method.CONSENT,
        results_visibility=Proposal.Results.AFTER_VOTE,
        closes_at=timezone.now() + dt.timedelta(days=5),
    )
    for name, kwargs in (
        ("governance:proposal", {"slug": "manila-va", "proposal_id": change.pk}),
        ("governance:decisions", {"slug": "manila-va"}),
        ("governance:proposal_new", {"slug": "manila-va"}),
        ("governance:proxies", {"slug": "manila-va"}),
        ("collectives:bylaws", {"slug": "manila-va"}),
    ):
        page.goto(reverse(name, kwargs=kwargs))
        assert_fits_the_screen(page)
        shoot(page, screenshots, f"05-{name.split(':')[1]}")

    # when: he taps Block without a reason (the browser does not stop him)
    page.goto(
        reverse("governance:proposal", kwargs={"slug": "manila-va", "proposal_id": change.pk})
    )
    page.get_by_role("button", name="Block", exact=True).tap()
    # then: the server's answer is at the textarea, which has the focus
    reason = page.get_by_label("Your reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    expect(page.locator("#vote-reason-error")).to_be_visible()
    shoot(page, screenshots, "06-block-needs-a-reason")
    assert not Vote.objects.filter(proposal=change).exists()
    context.close()
