"""A coordinator asks the matching engine for a team, in a real browser.

Ana opens collective A's draft pitch for Harbour's support and books job
(``test_matching_world``: Cora and Dev can staff Sydney's business hours,
Ben keeps books), clicks "Propose a team", sees the cheapest team with its
price and margin, leaves Dev out and proposes again in place (htmx), then
uses the team: the draft's page shows it, every hour staffed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse

from mutualist.members.models import Skill
from mutualist.testing import PASSWORD, build_cast, build_work
from mutualist.work.models import PitchMember
from mutualist.work.tests.test_matching_world import build_match_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser]


def skills_seeded() -> None:
    """The skills the world uses. Migrations seed them, but a transactional
    test that ran before this one in the same worker flushed every table."""
    for slug, name in (("customer_support", "Customer support"), ("bookkeeping", "Bookkeeping")):
        Skill.objects.get_or_create(slug=slug, defaults={"name": name, "category": "Test"})


def shoot(page: Page, folder: Path, step: str) -> None:
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def test_a_coordinator_proposes_a_team_leaves_someone_out_and_uses_it(
    browser: Browser, live_server: LiveServer, transactional_db: None, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    # given: the draft, and members who can staff it
    skills_seeded()
    world = build_match_world(build_work(build_cast()))
    page = browser.new_context(base_url=live_server.url).new_page()
    page.goto(reverse("members:login"))
    page.get_by_label("Email address").fill("ana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/me/"))

    # when: Ana opens the draft and asks for a team
    page.goto(reverse("work:pitch", kwargs={"pk": world.pitch.pk}))
    page.get_by_role("button", name="Propose a team").click()
    page.wait_for_url(re.compile(r"/proposal/"))
    # then: the cheapest team, proven: Dev and Cora share support, Ben the books
    expect(page.locator(".proposal-status")).to_have_text("Optimal")
    team = page.locator("table.proposal-team")
    for name in ("Dev Patel", "Cora Lim", "Ben Okafor"):
        expect(team).to_contain_text(name)
    expect(page.locator("#proposal-price")).to_have_text("1180.00 AUD")
    expect(page.locator("#proposal-pay-cost")).to_have_text("804.00 AUD")
    expect(page.locator("#proposal-margin")).to_have_text("376.00 AUD")
    shoot(page, screenshots, "01-proposal")

    # when: she leaves Dev out and proposes again, without a page load
    page.evaluate("window.__noReload = true")
    dev_row = page.locator("table.proposal-members tr").filter(has_text="Dev Patel")
    dev_row.get_by_label("Leave out").check()
    page.get_by_role("button", name="Propose a team").click()
    # then: Cora takes all 40 hours, at more pay and less margin
    expect(page.locator("#proposal-pay-cost")).to_have_text("864.00 AUD")
    expect(page.locator("table.proposal-team")).not_to_contain_text("Dev Patel")
    expect(page.locator(".check-findings")).to_contain_text("Dev Patel is left out, as you asked.")
    assert page.evaluate("window.__noReload") is True
    shoot(page, screenshots, "02-without-dev")

    # when: she uses this team
    page.get_by_role("button", name="Use this team").click()
    page.wait_for_url(re.compile(rf"/pitches/{world.pitch.pk}/$"))
    # then: the draft's team is Cora and Ben, and the live check staffs every hour
    expect(page.get_by_text("The proposed team is the draft's team now")).to_be_visible()
    expect(page.locator("#pitch-check")).to_contain_text("40 of 40 coverage hours staffed")
    expect(page.locator("#weekly-price")).to_have_text("1180.00 AUD")
    shoot(page, screenshots, "03-applied")
    assert sorted(
        PitchMember.objects.filter(pitch=world.pitch).values_list("user__email", "flexible_hours")
    ) == [("ben@example.org", 6), ("cora@example.org", None)]
