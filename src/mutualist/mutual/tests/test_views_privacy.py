"""An anonymous claim stays anonymous on every page a member sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.tests.helpers import NOW, fund_active
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


def test_the_dashboard_does_not_name_an_anonymous_claimant(
    cast: Cast, client_for: Any, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    gap = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    with transaction.atomic():
        claim = claim_create(
            fund=gap,
            claimant=cast.ben,
            claim_date=NOW.date(),
            reason="Private matters",
            disclosure="anonymous",
            currency="PHP",
            amount_minor=30000,
            period=dt.date(2026, 10, 1),
        )
    page = client_for(cast.ana).get(reverse("members:dashboard")).content.decode()
    assert f"Claim #{claim.pk} by a member" in page
    assert cast.ben.display_name not in page
    assert "Private matters" not in page
