"""A member's timer, in a real browser.

Ben (collective A, bookkeeping for Harbour) logs in, opens his week, starts
the timer on Harbour, stops it a few seconds later, and sees the new entry
and the week's total change in place, without the page reloading. The
browser runs on the real clock (time-machine cannot reach it), so the
engagement is moved to have started a month ago, and the entry is a few
seconds long: it counts one minute, the shortest an entry is.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.members.models import Skill
from mutualist.testing import PASSWORD, build_cast, build_work
from mutualist.work.models import Engagement, TimeEntry

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser]


def skills_seeded() -> None:
    """The two skills the work fixture uses. Migrations seed them, but a
    transactional test that ran before this one in the same worker flushed
    every table (and serialized_rollback clashes with the content types
    Django recreates after a flush)."""
    for slug, name in (("customer_support", "Customer support"), ("bookkeeping", "Bookkeeping")):
        Skill.objects.get_or_create(slug=slug, defaults={"name": name, "category": "Test"})


def shoot(page: Page, folder: Path, step: str) -> None:
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def test_a_member_starts_and_stops_the_timer_and_sees_the_week_update(
    browser: Browser, live_server: LiveServer, transactional_db: None, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    # given: Ben has a seat on Harbour's engagement, which runs since a month ago
    skills_seeded()
    cast = build_cast()
    work = build_work(cast)
    Engagement.objects.filter(pk=work.engagement.pk).update(
        starts_on=timezone.now().date() - dt.timedelta(days=30)
    )
    page = browser.new_context(base_url=live_server.url).new_page()

    # when: he logs in and opens his week
    page.goto(reverse("members:login"))
    page.get_by_label("Email address").fill("ben@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/me/"))
    page.goto(reverse("work:week"))
    # then: nothing is logged and the timer is idle
    expect(page.locator("#week-total")).to_have_text("0:00")
    expect(page.locator("#timer-status")).to_have_text("The timer is not running.")
    shoot(page, screenshots, "01-week")

    # A marker on the window: a full reload would lose it.
    page.evaluate("window.__noReload = true")

    # when: he starts the timer on Harbour with a note
    timer = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Timer"))
    timer.get_by_label("Engagement").select_option(str(work.ben_seat.pk))
    timer.get_by_label("Note").fill("Reconciling November")
    page.get_by_role("button", name="Start timer").click()
    # then: the timer runs, in place
    expect(page.locator("#timer-status")).to_contain_text("Running on Harbour Bridge Logistics")
    expect(page.get_by_role("button", name="Stop timer")).to_be_visible()
    shoot(page, screenshots, "02-running")
    assert TimeEntry.objects.get(member=cast.ben).is_running

    # when: a few seconds later he stops it
    page.wait_for_timeout(2000)
    page.get_by_role("button", name="Stop timer").click()
    # then: the entry is in the week, one minute long, and the total moved
    expect(page.locator("#timer-status")).to_have_text("The timer is not running.")
    entry = TimeEntry.objects.get(member=cast.ben)
    row = page.locator(f'tr[data-entry="{entry.pk}"]')
    expect(row).to_contain_text("Reconciling November")
    expect(row.locator(".entry-hours")).to_have_text("0:01")
    expect(page.locator("#week-total")).to_have_text("0:01")
    shoot(page, screenshots, "03-stopped")
    assert page.evaluate("window.__noReload") is True
    assert entry.minutes == 1
    assert entry.ended_at is not None
