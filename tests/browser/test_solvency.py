"""Will the fund hold? The solvency projection in a real browser.

Ben (collective A) opens the sick-pay fund's page (eight members): the page comes at once,
then htmx fills in the projection (the fan chart, the chance of running
short, the deposit that keeps it low). On his phone, Ana opens Ben's
proposal to double the deposits and reads, before she votes, what it does
to the fund's risk: the panel loads the comparison in place. Neither page
is wider than the phone.

Screenshots are kept as the other browser tests keep them (conftest.py);
with ``MUTUALIST_SCREENSHOTS=1`` the two sections are also written to
``docs/screenshots/fund-solvency.png`` and ``proposal-solvency.png`` for
the documentation.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from tests.browser.test_fund_claim import flushable  # noqa: F401 -- a fixture

from mutualist.mutual.services.funds import fund_rules_propose
from mutualist.mutual.tests.helpers import add_member
from mutualist.mutual.tests.sick_pay_helpers import join, seed, sick_fund
from mutualist.testing import PASSWORD, build_cast

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser]

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DOUBLED = [
    {"deposit": "60.00", "payout": "1000.00"},
    {"deposit": "120.00", "payout": "2000.00"},
    {"deposit": "180.00", "payout": "3000.00"},
]


def logged_in(context: BrowserContext, email: str) -> Page:
    page = context.new_page()
    page.goto(reverse("members:login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/me/"))
    return page


def keep(section: Locator, folder: Path, name: str) -> None:
    """The section's picture among the test's screenshots, and in the docs when asked."""
    section.screenshot(path=str(folder / f"{name}.png"))
    if os.environ.get("MUTUALIST_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        section.screenshot(path=str(DOCS / f"{name}.png"))


def assert_fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide on a {width}px screen"


def test_members_see_whether_the_fund_holds_and_what_a_rule_change_does_to_it(
    browser: Browser,
    live_server: LiveServer,
    flushable: None,  # noqa: F811 -- the fixture imported above
    screenshots: Path,
    settings: Any,
) -> None:
    from playwright.sync_api import expect

    # given: collective A's sick-pay fund, deposits 3 % of the gift, with
    # Ana, Ben and six more members in its three tiers, each with some
    # months of deposits in their account
    settings.MUTUAL_SOLVENCY_PATHS = 2000 if os.environ.get("MUTUALIST_SCREENSHOTS") else 300
    cast = build_cast()
    fund = sick_fund(cast.collective_a, cast.ana)
    members = [cast.ana, cast.ben] + [
        add_member(cast.collective_a, f"member{n}@example.org", f"Member {n}") for n in range(6)
    ]
    for n, member in enumerate(members):
        tier = n % 3
        seed(join(fund, member, tier=tier), f"{300 * (tier + 1)}.00", f"browser-{n}")
    fund_url = reverse("mutual:fund", kwargs={"slug": "manila-va", "kind": "sick_pay"})

    # when: Ben opens the fund's page
    ben_context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    ben = logged_in(ben_context, "ben@example.org")
    ben.goto(fund_url)
    # then: the projection arrives in place, with its chart and its figures
    section = ben.locator("section", has=ben.get_by_role("heading", name="Will the fund hold?"))
    expect(section.get_by_text("The chance that the fund runs short")).to_be_visible()
    expect(section.get_by_role("img", name=re.compile(r"^Fan chart of the fund"))).to_be_visible()
    expect(section.get_by_role("row", name=re.compile(r"^Within 5 years"))).to_be_visible()
    expect(section.get_by_text("Working out the projection…")).to_have_count(0)
    keep(section, screenshots, "fund-solvency")

    # given: Ben proposes doubling the deposits
    with transaction.atomic():
        proposal = fund_rules_propose(
            fund=fund,
            author=cast.ben,
            rules={"tiers": DOUBLED},
            effective_from=timezone.localdate() + dt.timedelta(days=40),
            closes_at=timezone.now() + dt.timedelta(days=7),
            title="Double the deposits",
        )
    # when: Ana opens it on her phone
    ana_context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    ana = logged_in(ana_context, "ana@example.org")
    ana.goto(
        reverse("governance:proposal", kwargs={"slug": "manila-va", "proposal_id": proposal.pk})
    )
    # then: the panel shows the chance of running short now and as proposed
    panel = ana.locator("section.solvency-panel")
    expect(panel.get_by_role("columnheader", name="Proposed")).to_be_visible()
    expect(panel.get_by_role("row", name=re.compile(r"^Within 5 years"))).to_be_visible()
    expect(panel.get_by_role("img", name=re.compile(r"under the proposed rules"))).to_be_visible()
    assert_fits(ana, PHONE["width"])
    keep(panel, screenshots, "proposal-solvency")

    # and the fund's page fits the phone too
    ana.goto(fund_url)
    expect(ana.get_by_text("The chance that the fund runs short")).to_be_visible()
    assert_fits(ana, PHONE["width"])
    ana.screenshot(path=str(screenshots / "fund-phone.png"), full_page=True)
    ben_context.close()
    ana_context.close()
