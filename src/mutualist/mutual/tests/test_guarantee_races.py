"""Races on a guaranteed invoice: the client's payment and the fund's payout
at the same moment.

Whichever goes first, no member is paid beyond their share of the invoice
(by the client and the fund together) and the fund gets back exactly what
it advanced once the client has paid: the payout takes the invoice's row
lock that every payment takes, and recomputes the members' unpaid shares
under it. Threads meet at a barrier, each on its own database connection;
SQLite serialises every write transaction, so these run on PostgreSQL (set
DATABASE_URL) and are skipped otherwise.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.mutual.models import Claim, GuaranteeAdvance
from mutualist.mutual.services.claims import claim_approve, claim_pay, claims_pay_waiting
from mutualist.mutual.tests.test_guarantee import World, build_world
from mutualist.testing import Billed, Cast, billing_pay, ledger_checked, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHARES = {"ana": 22500, "ben": 9000}


@pytest.fixture
def world(cast: Cast, billed: Billed, time_machine: Any) -> World:
    return build_world(cast, billed, time_machine)


def received(world: World, start: dict[str, int]) -> dict[str, int]:
    """What each member's payable gained since ``start``: from the client and the fund."""
    cast = world.cast
    return {
        "ana": world.owed(cast.ana) - start["ana"],
        "ben": world.owed(cast.ben) - start["ben"],
    }


def outstanding_advances() -> int:
    return sum(a.advanced_minor - a.recovered_minor for a in GuaranteeAdvance.objects.all())


def assert_books_hold(world: World, claim: Claim, start: dict[str, int]) -> None:
    claim.refresh_from_db()
    advanced = sum(GuaranteeAdvance.objects.values_list("advanced_minor", flat=True))
    assert claim.paid_minor == advanced
    # The fund is out exactly what it advanced and has not recovered.
    assert world.pool() == 100000 - outstanding_advances()
    for name, got in received(world, start).items():
        assert 0 <= got <= SHARES[name], (name, got)
    assert not Account.objects.filter(
        must_not_go_negative=True, type="liabilities", balance_minor__gt=0
    ).exists()
    ledger_checked()


@pytest.mark.parametrize(
    ("paid", "payment_delay"),
    [
        # The payout usually reaches the invoice first: the payment repays it.
        ("385", 0.3),
        ("100", 0.3),
        # The payment usually does: the payout finds the shares paid meanwhile
        # and pays only what is still unpaid. (Both orders once deadlocked
        # when the claim's lock also locked the collective's row.)
        ("385", 0.0),
        ("100", 0.0),
        ("10", 0.0),
    ],
)
def test_a_payment_racing_the_guarantee_payout_never_pays_a_member_twice(
    world: World, paid: str, payment_delay: float
) -> None:
    # Given an approved claim of 252.00 waiting for money (the fund was empty)
    cast = world.cast
    start = {"ana": world.owed(cast.ana), "ben": world.owed(cast.ben)}
    claim = claim_approve(claim=world.claim(), approver=cast.ben)
    assert (claim.state, claim.paid_minor) == ("approved", 0)
    world.fill("1000", "race")

    def pay_after(delay: float) -> Any:
        time.sleep(delay)
        return billing_pay(world.invoice, f"{paid} AUD", "race")

    # When the client's payment and the fund's payout come at the same moment
    outcome = race(
        lambda: claim_pay(claim=claim),
        lambda: pay_after(payment_delay),
    )

    # Then neither is refused, and no member has more than their share
    assert not outcome.refusals, outcome.refusals
    assert_books_hold(world, claim, start)

    # And once the client has paid everything, each member has exactly their
    # share and the fund exactly its money back, whichever went first.
    world.invoice.refresh_from_db()
    if world.invoice.outstanding_minor:
        billing_pay(
            world.invoice,
            f"{Money.from_minor(world.invoice.outstanding_minor, 'AUD').amount} AUD",
            "rest",
        )
    claims_pay_waiting()  # a claim the payment overtook has nothing left to pay
    assert received(world, start) == SHARES
    assert world.pool() == 100000
    assert outstanding_advances() == 0
    assert_books_hold(world, claim, start)
