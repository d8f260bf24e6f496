"""A claim on a fund, made and approved in a real browser.

Ben (collective A) earned nothing through the collective last month: on the
income-gap fund's page he claims a top-up, which the books work out (the
cap, 300.00 PHP). Ana, on her phone, opens his claim, approves it with one
tap (htmx posts it and loads the page again), and reads that it is paid.
The browser runs on the real clock. Screenshots are kept (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse

from mutualist.collectives.models import Membership
from mutualist.mutual.models import Claim
from mutualist.mutual.tests.helpers import fund_active
from mutualist.mutual.tests.test_views_support import fill
from mutualist.testing import PASSWORD, build_cast

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser]

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def flushable(transactional_db: None) -> Iterator[None]:
    """Let the test database be emptied after a test that moved money.

    On SQLite the flush that ends a ``transactional_db`` test is a DELETE,
    which the database's own rules refuse for posted ledger entries (and
    other records kept for good, such as issued invoices); PostgreSQL's
    TRUNCATE passes them by. So, on SQLite only, this empties the database
    itself with those BEFORE DELETE triggers set aside, and puts them back
    exactly as they were (their SQL as stored), before the test's own flush.

    Before the test, the content-type cache is cleared: an earlier
    transactional test's flush made Django create the content types again,
    under new ids, and a cached old id would be written as a ledger
    transaction's cause (PostgreSQL refuses it at commit).
    """
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%BEFORE DELETE%'"
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command("flush", verbosity=0, interactive=False)
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)


def shoot(page: Page, folder: Path, step: str) -> None:
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def logged_in(context: BrowserContext, email: str) -> Page:
    page = context.new_page()
    page.goto(reverse("members:login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/me/"))
    return page


def test_a_member_claims_a_top_up_and_a_peer_approves_it_on_her_phone(
    browser: Browser, live_server: LiveServer, flushable: None, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    # given: collective A's income-gap fund (one approval, no months of
    # membership needed) holding 1,000.00 PHP; Ben earned nothing last month
    cast = build_cast()
    Membership.objects.filter(collective=cast.collective_a).update(
        joined_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    gap = fund_active(
        cast.collective_a,
        "income_gap",
        {"approvals_needed": 1, "min_months_member": 0},
        created_by=cast.ana,
    )
    fill(gap, "1000", "browser")
    fund_url = reverse("mutual:fund", kwargs={"slug": "manila-va", "kind": "income_gap"})

    # when: Ben claims a top-up from the fund's page
    ben_context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    ben = logged_in(ben_context, "ben@example.org")
    ben.goto(fund_url)
    ben.get_by_role("button", name="Claim a top-up").click()
    expect(ben.get_by_text("₱300.00").first).to_be_visible()
    ben.get_by_label("Your reason").fill("Between contracts since September.")
    ben.get_by_role("button", name="Make the claim").click()
    # then: his claim's page says it waits for a peer
    ben.wait_for_url(re.compile(r"/claims/\d+/"))
    expect(ben.get_by_text("It needs 1 other member to approve it")).to_be_visible()
    shoot(ben, screenshots, "01-claimed")
    claim = Claim.objects.get()
    assert (claim.claimant, claim.state, claim.amount_minor) == (cast.ben, "submitted", 30000)

    # when: Ana opens it on her phone and taps Approve once
    ana_context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    ana = logged_in(ana_context, "ana@example.org")
    ana.goto(reverse("mutual:claim", kwargs={"slug": "manila-va", "claim_id": claim.pk}))
    expect(ana.get_by_text("Between contracts since September.")).to_be_visible()
    ana.get_by_role("button", name="Approve").tap()
    # then: the page comes back saying the claim is approved and paid
    expect(ana.get_by_text("You approved the claim; it is approved and paid.")).to_be_visible()
    expect(ana.get_by_role("heading", name=re.compile(r"Claim #\d+ Paid"))).to_be_visible()
    assert ana.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(ana, screenshots, "02-approved")
    claim.refresh_from_db()
    assert (claim.state, claim.paid_minor) == ("paid", 30000)

    # and Ben, back on the fund's page, sees it paid
    ben.goto(fund_url)
    expect(ben.locator(".claim-list .fund-badge--paid")).to_have_text("Paid")
    shoot(ben, screenshots, "03-fund")
    ben_context.close()
    ana_context.close()
