"""The demo loads on any day of the year, and its books pass `ledger check`.

Everything the demo makes is dated from the day it is loaded (the work four
weeks back, the billing after it, the decisions and the funds around the
billing), so a rule that bites only on some days (a client whose clock
changes for daylight saving, a month of 28 days, a new year between two
invoices, a load in the Manila evening when UTC is still on the day before)
would stop `make run` on those days only. Each case loads the whole demo,
in a fresh database, with the clock set to one such moment.

Slow-ish: one whole load per case (seconds each), so only a few moments,
chosen for what changes between them.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from mutualist.demo import data as demo
from mutualist.ledger.check import ledger_check
from mutualist.mutual.models import Claim, Fund

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]

MOMENTS = {
    # The first Monday after US daylight saving ended: Ana's Monday
    # afternoon in Manila is Sunday in Austin, the day before Lone Star's
    # engagement began.
    "after-us-dst-ends": "2026-11-30T03:00:00+00:00",
    # A Sunday evening in UTC, already Monday morning in Manila: the new week
    # has begun in Manila, not for the services, whose today is UTC's.
    "monday-in-manila-sunday-in-utc": "2026-12-13T20:15:00+00:00",
    # Just after US daylight saving started, in a month that follows February.
    "after-us-dst-starts": "2027-03-20T12:00:00+00:00",
    # Northern summer, southern winter: every client's clock the other way.
    "northern-summer": "2027-07-06T01:00:00+00:00",
}


@pytest.mark.django_db
@pytest.mark.parametrize("moment", list(MOMENTS.values()), ids=list(MOMENTS))
def test_the_whole_demo_loads_and_its_books_check(moment, time_machine):
    # given: the clock at that moment
    time_machine.move_to(dt.datetime.fromisoformat(moment), tick=False)
    # when
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        loaded = demo.demo_load()
    # then: every part is there, and the books balance
    assert demo.demo_is_loaded()
    assert (loaded.collectives, loaded.invoices, loaded.proposals) == (3, 6, 6)
    assert (loaded.funds, loaded.fund_claims) == (3, 3)
    assert Fund.objects.filter(state=Fund.State.ACTIVE).count() == 3
    assert Claim.objects.filter(claim_date__gt=timezone.localdate()).count() == 0
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    assert out.getvalue().startswith("ledger ok: ")
    assert ledger_check() == []
