"""Invoices: drafts from approved time and fixed items, tax, and issuing.

The ``billed`` world: Ana has 2 x 300 min of support at 25.00 AUD and Ben
200 min of bookkeeping at 30.00 AUD on collective A's Harbour engagement
(Sydney), in the week of 30 November 2026; Carla has 300 min on collective
B's Thames engagement. The clock stands at 8 December 2026, noon UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from mutualist.billing.models import Invoice, InvoiceCounter, InvoicedTime, InvoiceLine
from mutualist.billing.services import (
    FixedItem,
    billing_settings_update,
    invoice_draft_create,
    invoice_draft_delete,
    invoice_draft_update,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    invoice_member_weights,
    invoice_targets,
    invoiceable_entries,
)
from mutualist.billing.split import Target
from mutualist.collectives.models import Bylaws
from mutualist.collectives.services.bylaws import bylaws_adopt
from mutualist.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.testing import (
    Billed,
    Work,
    approved_time,
    billing_draft,
    billing_issued,
    billing_pay,
    billing_state,
    ledger_checked,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("billing_time", "ledger_checked_after"),
]

TODAY = dt.date(2026, 12, 8)
MONDAY = dt.date(2026, 11, 30)


def refused(error: type[DomainError], code: str, call: Any) -> DomainError:
    """Runs ``call``, which must raise ``error`` with ``code`` and change nothing."""
    before = billing_state()
    with pytest.raises(error) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    assert billing_state() == before
    return raised.value


def lines_of(invoice: Invoice) -> list[tuple[Any, ...]]:
    return list(
        invoice.lines.order_by("position").values_list(
            "position", "kind", "description", "quantity", "minutes", "unit_price_minor",
            "amount_minor", "member__email", "role_title", "pay_rate_minor",
        )
    )  # fmt: skip


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


# --- Drafts from approved time ------------------------------------------------------------


def test_a_draft_bills_each_members_approved_time_at_their_rate_once(billed: Billed) -> None:
    # given Ana's 600 min at 25.00 and Ben's 200 min at 30.00, approved
    # when a coordinator drafts an invoice of the engagement with 10 % tax
    draft = billing_draft(billed, tax_rate="10")

    # then one line per member and role, in role order, hours x rate rounded once
    assert lines_of(draft) == [
        (1, "time", "Books: Ben Okafor, 30 Nov 2026", Decimal("3.3333"), 200, 3000, 10000,
         "ben@example.org", "Books", 2400),
        (2, "time", "Support: Ana Reyes, 30 Nov 2026 to 01 Dec 2026", Decimal("10.0000"), 600,
         2500, 25000, "ana@example.org", "Support", 2000),
    ]  # fmt: skip
    assert (draft.subtotal_minor, draft.tax_minor, draft.total_minor) == (35000, 3500, 38500)
    assert (draft.status, draft.number, draft.currency) == ("draft", "", "AUD")
    assert (draft.period_start, draft.period_end) == (MONDAY, MONDAY + dt.timedelta(days=1))
    assert (draft.tax_label, draft.payment_terms_days) == ("Tax", 30)
    # and every entry is claimed by it, once
    claimed = set(InvoicedTime.objects.filter(invoice=draft).values_list("time_entry", flat=True))
    assert claimed == {e.pk for e in billed.ana_entries + billed.ben_entries}
    assert not invoiceable_entries(engagement=billed.work.engagement).exists()


def test_hours_times_rate_is_rounded_once_per_line_not_per_entry(work: Work) -> None:
    # given two entries of 7 minutes at 25.00 AUD an hour (2.9166... each)
    cast = work.cast
    for day in (MONDAY, MONDAY + dt.timedelta(days=1)):
        approved_time(work.engagement, cast.ana, minutes=7, day=day, approver=work.dana)

    draft = invoice_draft_create(
        collective=cast.collective_a, actor=cast.ana, engagement=work.engagement
    )

    # then the line is 14 min x 25.00 = 5.8333 -> 5.83, not 2.92 + 2.92 = 5.84
    assert [(line.minutes, line.amount_minor) for line in draft.lines.all()] == [(14, 583)]
    assert draft.subtotal_minor == 583


def test_an_adjustment_nets_against_the_members_time(billed: Billed) -> None:
    # given Ana's approved 600 min, less an approved correction of 60 min
    work = billed.work
    approved_time(work.engagement, work.cast.ana, minutes=-60, day=MONDAY, approver=work.dana)

    draft = billing_draft(billed)

    ana_line = draft.lines.get(member=work.cast.ana)
    assert (ana_line.minutes, ana_line.quantity, ana_line.amount_minor) == (
        540,
        Decimal("9.0000"),
        22500,
    )
    assert InvoicedTime.objects.filter(line=ana_line).count() == 3


def test_a_members_time_that_nets_to_nothing_waits_for_a_later_invoice(billed: Billed) -> None:
    # given Ben's 200 min were invoiced, and then a correction of -60 min was approved
    work = billed.work
    first = billing_draft(billed)
    correction = approved_time(
        work.engagement, work.cast.ben, minutes=-60, day=MONDAY, approver=work.dana
    )
    approved_time(work.engagement, work.cast.ana, minutes=120, day=TODAY, approver=work.dana)

    # when the next draft is made
    second = billing_draft(billed)

    # then it bills Ana's new time only; Ben's lone correction stays unbilled
    assert [line.member for line in second.lines.all()] == [work.cast.ana]
    assert list(invoiceable_entries(engagement=work.engagement)) == [correction]
    assert first.pk != second.pk


def test_unapproved_unbillable_and_other_engagements_time_is_left_out(billed: Billed) -> None:
    work = billed.work
    cast = work.cast
    pending = approved_time(
        work.engagement, cast.ana, minutes=60, day=MONDAY, approver=work.dana, approved=False
    )
    unbillable = approved_time(
        work.engagement, cast.ana, minutes=60, day=MONDAY, approver=work.dana, billable=False
    )

    draft = billing_draft(billed)

    billed_ids = set(draft.billed_time.values_list("time_entry", flat=True))
    assert pending.pk not in billed_ids and unbillable.pk not in billed_ids
    assert billed.carla_entries[0].pk not in billed_ids
    assert draft.lines.get(member=cast.ana).minutes == 600


def test_until_takes_time_up_to_the_end_of_that_day_in_the_engagements_zone(
    billed: Billed,
) -> None:
    # given an entry at 13:30 UTC on 30 November, which is already 1 December in Sydney
    work = billed.work
    approved_time(
        work.engagement, work.cast.ben, minutes=30, day=MONDAY, approver=work.dana,
        at=dt.time(13, 30),
    )  # fmt: skip

    # when the draft takes time up to 30 November
    draft = billing_draft(billed, until=MONDAY)

    # then Monday's entries (12:00 Sydney) are in, and Tuesday's (Sydney) are not
    billed_ids = set(draft.billed_time.values_list("time_entry", flat=True))
    assert billed_ids == {billed.ana_entries[0].pk, billed.ben_entries[0].pk}
    assert (draft.period_start, draft.period_end) == (MONDAY, MONDAY)
    assert draft.subtotal_minor == 12500 + 10000


def test_a_draft_with_nothing_to_invoice_is_refused(billed: Billed) -> None:
    work = billed.work
    billing_draft(billed)

    error = refused(ValidationFailed, "nothing_to_invoice", lambda: billing_draft(billed))
    assert error.field == "engagement"
    assert "no approved, unbilled time" in error.message
    refused(
        ValidationFailed,
        "nothing_to_invoice",
        lambda: invoice_draft_create(
            collective=work.cast.collective_a, actor=work.cast.ana, client=work.harbour
        ),
    )


def test_a_draft_for_a_pending_or_another_collectives_engagement_is_refused(
    billed: Billed,
) -> None:
    work = billed.work
    cast = work.cast
    refused(
        ValidationFailed,
        "unknown_engagement",
        lambda: invoice_draft_create(
            collective=cast.collective_a, actor=cast.ana, engagement=work.b_engagement
        ),
    )
    work.engagement.status = "pending"
    work.engagement.save(update_fields=["status"])
    refused(Conflict, "engagement_pending", lambda: billing_draft(billed))
    refused(
        ValidationFailed,
        "required",
        lambda: invoice_draft_create(collective=cast.collective_a, actor=cast.ana),
    )


def test_a_draft_whose_time_another_draft_claimed_meanwhile_is_refused(
    billed: Billed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a coordinator's request that saw all three entries unbilled, and a
    # colleague's draft that claims them just before it takes its turn
    from mutualist.work.models import TimeEntry

    original = invoiceable_entries
    others: list[Invoice] = []
    calls: list[int] = []

    def colleague_drafts_meanwhile(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            return original(**kwargs)
        seen = list(original(**kwargs).values_list("pk", flat=True))
        others.append(billing_draft(billed))
        return TimeEntry.objects.filter(pk__in=seen)

    # the drafts service reads the unbilled time through its own import
    monkeypatch.setattr(
        "mutualist.billing.services.invoices.invoiceable_entries", colleague_drafts_meanwhile
    )

    # when the request goes on
    with pytest.raises(Conflict) as raised:
        billing_draft(billed)

    # then it is refused, and only the colleague's draft exists, whole
    assert raised.value.code == "time_already_invoiced"
    assert "invoiced a moment ago by someone else" in raised.value.message
    assert list(Invoice.objects.all()) == others
    assert InvoicedTime.objects.filter(invoice=others[0]).count() == 3
    assert InvoiceLine.objects.count() == 2


def test_deleting_a_draft_gives_its_time_back(billed: Billed) -> None:
    work = billed.work
    draft = billing_draft(billed)

    invoice_draft_delete(invoice=draft, actor=work.cast.ana)

    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert not InvoiceLine.objects.exists() and not InvoicedTime.objects.exists()
    assert invoiceable_entries(engagement=work.engagement).count() == 3
    assert billing_draft(billed).subtotal_minor == 35000


def test_removing_a_time_line_gives_its_entries_back_and_narrows_the_period(
    billed: Billed,
) -> None:
    # given a draft billing Ben (Monday) and Ana (Monday and Tuesday)
    work = billed.work
    draft = billing_draft(billed)
    ana_line = draft.lines.get(member=work.cast.ana)

    # when Ana's line is removed
    after = invoice_line_remove(invoice=draft, actor=work.cast.ana, line_id=ana_line.pk)

    # then her entries can be invoiced again, and the draft covers Monday only
    assert {e.pk for e in invoiceable_entries(engagement=work.engagement)} == {
        e.pk for e in billed.ana_entries
    }
    assert (after.subtotal_minor, after.tax_minor, after.total_minor) == (10000, 1000, 11000)
    assert (after.period_start, after.period_end) == (MONDAY, MONDAY)
    stored = Invoice.objects.get(pk=draft.pk)
    assert (stored.period_start, stored.period_end) == (MONDAY, MONDAY)


def test_the_last_line_or_another_invoices_line_cannot_be_removed(billed: Billed) -> None:
    work = billed.work
    draft = billing_draft(billed, until=MONDAY)
    other = invoice_draft_create(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        client=work.harbour,
        items=[FixedItem("Setup", 1, aud("50"))],
    )
    first, second = draft.lines.all()
    invoice_line_remove(invoice=draft, actor=work.cast.ana, line_id=first.pk)

    refused(
        ValidationFailed,
        "last_line",
        lambda: invoice_line_remove(invoice=draft, actor=work.cast.ana, line_id=second.pk),
    )
    refused(
        ValidationFailed,
        "unknown_line",
        lambda: invoice_line_remove(
            invoice=draft, actor=work.cast.ana, line_id=other.lines.get().pk
        ),
    )


# --- Fixed items --------------------------------------------------------------------------


def test_a_client_only_invoice_takes_the_clients_currency_and_net_30(work: Work) -> None:
    cast = work.cast
    draft = invoice_draft_create(
        collective=cast.collective_a,
        actor=cast.ana,
        client=work.harbour,
        items=[
            FixedItem("Onboarding", 1, aud("150"), member=cast.ben),
            FixedItem("Licences", "2.5", aud("33.33")),
        ],
    )

    assert draft.engagement is None and draft.currency == "AUD"
    # 2.5 x 33.33 = 83.325 -> 83.32 (half to even, once)
    assert [(line.kind, line.quantity, line.amount_minor) for line in draft.lines.all()] == [
        ("fixed", Decimal("1.0000"), 15000),
        ("fixed", Decimal("2.5000"), 8332),
    ]
    issued = invoice_issue(invoice=draft, actor=cast.ana)
    assert issued.payment_terms_days == 30
    assert issued.due_date == TODAY + dt.timedelta(days=30)
    # a fixed item for Ben counts for him; the team's item for no one
    assert invoice_member_weights(issued) == {cast.ben.pk: 15000}


def test_a_fixed_item_can_be_added_to_a_draft_and_the_totals_follow(billed: Billed) -> None:
    work = billed.work
    draft = billing_draft(billed, tax_rate="10")

    line = invoice_line_add(
        invoice=draft, actor=work.cast.ana, item=FixedItem("Travel", "1", aud("12.34"))
    )

    draft.refresh_from_db()
    assert (line.position, line.amount_minor) == (3, 1234)
    # 362.34 x 10 % = 36.234 -> 36.23
    assert (draft.subtotal_minor, draft.tax_minor, draft.total_minor) == (36234, 3623, 39857)


@pytest.mark.parametrize(
    ("item", "code", "field"),
    [
        (FixedItem("", 1, Money("1", "AUD")), "required", "items[0].description"),
        (FixedItem("x" * 201, 1, Money("1", "AUD")), "too_long", "items[0].description"),
        (FixedItem("Nul\x00", 1, Money("1", "AUD")), "invalid_characters", "items[0].description"),
        (FixedItem("Fee", "abc", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", "0", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", "-1", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", "1.00001", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", "1000001", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", "NaN", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", "Infinity", Money("1", "AUD")), "invalid_quantity", "items[0].quantity"),
        (FixedItem("Fee", 1, Money("1", "USD")), "currency_mismatch", "items[0].unit_price"),
        (FixedItem("Fee", 1, Money("-1", "AUD")), "invalid_amount", "items[0].unit_price"),
        (
            FixedItem("Fee", "1000000", Money("10000000000", "AUD")),
            "amount_too_large",
            "items[0].quantity",
        ),
    ],
)
def test_a_bad_fixed_item_is_refused_and_nothing_is_written(
    work: Work, item: FixedItem, code: str, field: str
) -> None:
    error = refused(
        ValidationFailed,
        code,
        lambda: invoice_draft_create(
            collective=work.cast.collective_a,
            actor=work.cast.ana,
            client=work.harbour,
            items=[item],
        ),
    )
    assert error.field == field


def test_a_fixed_item_for_someone_outside_the_collective_is_refused(work: Work) -> None:
    cast = work.cast
    refused(
        ValidationFailed,
        "not_a_member",
        lambda: invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            items=[FixedItem("Fee", 1, aud("1"), member=cast.carla)],
        ),
    )


def test_a_float_is_never_money(work: Work) -> None:
    cast = work.cast
    with pytest.raises(TypeError):
        invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            items=[FixedItem("Fee", 1.5, aud("1"))],  # type: ignore[arg-type]
        )
    with pytest.raises(TypeError):
        invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            items=[FixedItem("Fee", 1, aud("1"))],
            tax_rate=7.5,  # type: ignore[arg-type]
        )


# --- Tax ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "rate", "tax_minor"),
    [
        ("350.00", "10", 3500),
        ("0.05", "10", 0),  # 0.5 cent rounds to even: 0
        ("0.15", "10", 2),  # 1.5 cents rounds to even: 2
        ("0.25", "10", 2),  # 2.5 cents rounds to even: 2
        ("0.08", "12.375", 1),  # 0.99 cent
        ("99.99", "100", 9999),
        ("99.99", "0", 0),
        ("1", "0.001", 0),
    ],
)
def test_tax_is_the_subtotal_times_the_rate_rounded_once_half_to_even(
    work: Work, price: str, rate: str, tax_minor: int
) -> None:
    draft = invoice_draft_create(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        client=work.harbour,
        items=[FixedItem("Fee", 1, aud(price))],
        tax_rate=rate,
    )

    assert draft.tax_minor == tax_minor
    assert draft.total_minor == draft.subtotal_minor + tax_minor


@pytest.mark.parametrize("rate", ["-1", "100.001", "abc", "1.2345", "NaN", "Infinity", "1e400"])
def test_a_tax_rate_outside_0_to_100_with_three_decimals_is_refused(work: Work, rate: str) -> None:
    error = refused(
        ValidationFailed,
        "invalid_tax_rate",
        lambda: invoice_draft_create(
            collective=work.cast.collective_a,
            actor=work.cast.ana,
            client=work.harbour,
            items=[FixedItem("Fee", 1, aud("1"))],
            tax_rate=rate,
        ),
    )
    assert error.field == "tax_rate"


def test_changing_a_drafts_tax_recomputes_its_totals(billed: Billed) -> None:
    work = billed.work
    draft = billing_draft(billed, tax_rate=None)
    assert (draft.tax_minor, draft.tax_label) == (0, "")

    updated = invoice_draft_update(
        invoice=draft, actor=work.cast.ana, tax_rate="7.5", notes="  Thank you  "
    )

    assert (updated.tax_rate, updated.tax_label, updated.notes) == (
        Decimal("7.500"),
        "Tax",
        "Thank you",
    )
    # 350.00 x 7.5 % = 26.25
    assert (updated.tax_minor, updated.total_minor) == (2625, 37625)
    assert Invoice.objects.get(pk=draft.pk).total_minor == 37625


# --- Issuing --------------------------------------------------------------------------------


def test_issuing_numbers_snapshots_and_books_the_invoice(billed: Billed) -> None:
    work = billed.work
    cast = work.cast
    billing_settings_update(
        collective=cast.collective_a,
        actor=cast.ana,
        payment_instructions="BSB 062-000, account 1234 5678",
        late_payment_terms="2 % a month after the due date",
    )
    draft = billing_draft(billed)

    issued = invoice_issue(invoice=draft, actor=cast.ana)

    assert (issued.status, issued.number, issued.series, issued.seq) == (
        "issued",
        "MANILA-2026-0001",
        "invoice:2026",
        1,
    )
    assert (issued.issue_date, issued.due_date) == (TODAY, TODAY + dt.timedelta(days=30))
    assert issued.issued_by == cast.ana
    # the parties, the instructions and the split rule as they are today
    assert (issued.seller_name, issued.seller_address) == (
        "Manila Virtual Assistants",
        "Manila, PH",
    )
    assert (issued.buyer_name, issued.buyer_address, issued.buyer_tax_id) == (
        "Harbour Bridge Logistics",
        "1 Harbour St\nSydney NSW 2000\nAustralia",
        "ABN 51 824 753 556",
    )
    assert issued.payment_instructions == "BSB 062-000, account 1234 5678"
    assert issued.late_payment_terms == "2 % a month after the due date"
    assert (issued.split_rule, issued.member_share_basis) == ({"treasury": "10.00"}, "bill")
    assert issued.payment_method == "Bank transfer"
    # and the books: Dr Receivable 385.00, Cr Invoiced 350.00, Cr Tax 35.00
    assert issued.transaction is not None
    postings = {
        p.account.name: p.amount_minor
        for p in issued.transaction.postings.select_related("account")
    }
    assert postings == {
        f"Assets:Collectives:ManilaVa:Receivable:HarbourBridgeLogistics-{work.harbour.pk}:AUD": 38500,
        "Liabilities:Collectives:ManilaVa:Invoiced:AUD": -35000,
        "Liabilities:Collectives:ManilaVa:Tax:AUD": -3500,
    }
    assert "ledger ok" in ledger_checked()


def test_numbers_follow_the_changed_settings_one_after_another(work: Work) -> None:
    cast = work.cast
    billing_settings_update(
        collective=cast.collective_a, actor=cast.ana, number_pattern="MNL-{year}-{seq:04}"
    )

    numbers = [
        invoice_issue(
            invoice=invoice_draft_create(
                collective=cast.collective_a,
                actor=cast.ana,
                client=work.harbour,
                items=[FixedItem(f"Item {n}", 1, aud("10"))],
            ),
            actor=cast.ana,
        ).number
        for n in range(3)
    ]

    assert numbers == ["MNL-2026-0001", "MNL-2026-0002", "MNL-2026-0003"]
    billing_settings_update(
        collective=cast.collective_a, actor=cast.ana, number_pattern="INV/{seq:06}"
    )
    fourth = invoice_issue(
        invoice=invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            items=[FixedItem("Item", 1, aud("10"))],
        ),
        actor=cast.ana,
    )
    # a pattern without {year} is one series for ever
    assert (fourth.number, fourth.series, fourth.seq) == ("INV/000001", "invoice:all", 1)


def fixed_draft(work: Work, price: str = "10") -> Invoice:
    return invoice_draft_create(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        client=work.harbour,
        items=[FixedItem("Item", 1, aud(price))],
    )


def test_the_sequence_starts_again_each_year(work: Work) -> None:
    cast = work.cast
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC), tick=False):
        late = invoice_issue(
            invoice=fixed_draft(work), actor=cast.ana, issue_date=dt.date(2026, 12, 31)
        )
        new = invoice_issue(invoice=fixed_draft(work), actor=cast.ana)
        newer = invoice_issue(invoice=fixed_draft(work), actor=cast.ana)

    assert [late.number, new.number, newer.number] == [
        "MANILA-2026-0001",
        "MANILA-2027-0001",
        "MANILA-2027-0002",
    ]
    assert dict(InvoiceCounter.objects.values_list("series", "last_seq")) == {
        "invoice:2026": 1,
        "invoice:2027": 2,
    }


def test_a_refused_issue_gives_its_number_back(work: Work, monkeypatch: pytest.MonkeyPatch) -> None:
    # given the first invoice, and a ledger that refuses the second's posting
    cast = work.cast
    invoice_issue(invoice=fixed_draft(work), actor=cast.ana)
    second = fixed_draft(work)

    def refusing(**kwargs: Any) -> Any:
        raise Conflict("The books are closed.", code="books_closed")

    with monkeypatch.context() as patched:
        patched.setattr("mutualist.billing.services.issue.transaction_post", refusing)
        refused(Conflict, "books_closed", lambda: invoice_issue(invoice=second, actor=cast.ana))

    # when it is issued once the ledger accepts it
    issued = invoice_issue(invoice=second, actor=cast.ana)

    # then it takes the number the refused attempt would have had: no gap
    assert issued.number == "MANILA-2026-0002"


def test_a_pattern_that_repeats_an_old_number_is_refused_and_takes_no_number(
    work: Work,
) -> None:
    # given MANILA-2026-0001 issued under the yearly pattern
    cast = work.cast
    invoice_issue(invoice=fixed_draft(work), actor=cast.ana)
    # when the pattern is changed to one with the year written out: a new series
    # that starts at 1 again, and gives MANILA-2026-0001 once more
    billing_settings_update(
        collective=cast.collective_a, actor=cast.ana, number_pattern="MANILA-2026-{seq:04}"
    )
    draft = fixed_draft(work)

    # then issuing is refused and no number is used up
    error = refused(
        Conflict, "invoice_number_taken", lambda: invoice_issue(invoice=draft, actor=cast.ana)
    )
    assert "MANILA-2026-0001" in error.message and "change the pattern" in error.message
    assert not InvoiceCounter.objects.filter(series="invoice:all").exists()


def test_the_due_date_follows_the_engagements_terms_when_issued(billed: Billed) -> None:
    # given a draft made under net 30, and terms changed to net 14 since
    work = billed.work
    draft = billing_draft(billed)
    work.engagement.payment_terms_days = 14
    work.engagement.payment_method = "Wise transfer"
    work.engagement.save(update_fields=["payment_terms_days", "payment_method"])

    issued = invoice_issue(invoice=draft, actor=work.cast.ana, issue_date=dt.date(2026, 12, 3))

    assert (issued.payment_terms_days, issued.due_date) == (14, dt.date(2026, 12, 17))
    assert issued.payment_method == "Wise transfer"


def test_an_issued_invoice_keeps_its_parties_and_split_whatever_changes_later(
    billed: Billed,
) -> None:
    # given an invoice issued under the 10 % treasury rule
    work = billed.work
    cast = work.cast
    issued = billing_issued(billed)

    # when the client is renamed and new bylaws give the treasury 25 %, paid by rates
    work.harbour.name = "Harbour Holdings"
    work.harbour.billing_address = "9 New St"
    work.harbour.save(update_fields=["name", "billing_address"])
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=TODAY,
        treasury_percent="25",
        admission_rule=Bylaws.AdmissionRule.COORDINATOR,
        member_share_basis="pay",
    )
    paid = billing_pay(issued, "385 AUD", "all")

    # then the invoice reads as it was issued, and its payment splits by the old rule
    stored = Invoice.objects.get(pk=issued.pk)
    assert (stored.buyer_name, stored.buyer_address) == (
        "Harbour Bridge Logistics",
        "1 Harbour St\nSydney NSW 2000\nAustralia",
    )
    assert (stored.split_rule, stored.member_share_basis) == ({"treasury": "10.00"}, "bill")
    shares = dict(paid.shares.values_list("key", "amount_minor"))
    assert shares == {
        "tax": 3500,
        "treasury": 3500,
        f"member:{cast.ana.pk}": 22500,
        f"member:{cast.ben.pk}": 9000,
    }
    # while a new invoice follows the new rule
    approved_time(work.engagement, cast.ana, minutes=60, day=TODAY, approver=work.dana)
    later = billing_issued(billed)
    assert (later.split_rule, later.member_share_basis) == ({"treasury": "25.00"}, "pay")


def test_issuing_twice_in_the_future_or_on_no_real_day_is_refused(billed: Billed) -> None:
    work = billed.work
    cast = work.cast
    draft = billing_draft(billed)
    refused(
        ValidationFailed,
        "issue_date_in_future",
        lambda: invoice_issue(invoice=draft, actor=cast.ana, issue_date=TODAY + dt.timedelta(1)),
    )
    refused(
        ValidationFailed,
        "invalid_date",
        lambda: invoice_issue(invoice=draft, actor=cast.ana, issue_date=dt.date(1, 1, 1)),
    )
    issued = invoice_issue(invoice=draft, actor=cast.ana)
    refused(Conflict, "invoice_issued", lambda: invoice_issue(invoice=issued, actor=cast.ana))
    # the stale draft object a second tab holds is refused too
    refused(Conflict, "invoice_issued", lambda: invoice_issue(invoice=draft, actor=cast.ana))


def test_an_issued_invoice_cannot_be_changed_or_deleted_through_the_services(
    billed: Billed,
) -> None:
    work = billed.work
    cast = work.cast
    issued = billing_issued(billed)
    line = issued.lines.first()
    assert line is not None
    for call in (
        lambda: invoice_draft_update(invoice=issued, actor=cast.ana, tax_rate="0"),
        lambda: invoice_line_add(
            invoice=issued, actor=cast.ana, item=FixedItem("More", 1, aud("1"))
        ),
        lambda: invoice_line_remove(invoice=issued, actor=cast.ana, line_id=line.pk),
        lambda: invoice_draft_delete(invoice=issued, actor=cast.ana),
    ):
        error = refused(Conflict, "invoice_issued", call)
        assert "issue a credit note" in error.message


def test_the_invoices_targets_are_its_split_of_the_whole(billed: Billed) -> None:
    cast = billed.work.cast
    issued = billing_issued(billed)

    assert invoice_targets(issued) == [
        Target("tax", aud("35")),
        Target("treasury", aud("35")),
        Target(f"member:{cast.ana.pk}", aud("225")),
        Target(f"member:{cast.ben.pk}", aud("90")),
    ]


# --- Permissions ----------------------------------------------------------------------------


def calls_for(billed: Billed, actor: Any) -> dict[str, Any]:
    work = billed.work
    draft = billing_draft(billed, until=MONDAY)
    line = draft.lines.first()
    assert line is not None
    a = work.cast.collective_a
    return {
        "draft": lambda: invoice_draft_create(
            collective=a, actor=actor, engagement=work.engagement
        ),
        "update": lambda: invoice_draft_update(invoice=draft, actor=actor, notes="x"),
        "add": lambda: invoice_line_add(
            invoice=draft, actor=actor, item=FixedItem("x", 1, aud("1"))
        ),
        "remove": lambda: invoice_line_remove(invoice=draft, actor=actor, line_id=line.pk),
        "delete": lambda: invoice_draft_delete(invoice=draft, actor=actor),
        "issue": lambda: invoice_issue(invoice=draft, actor=actor),
        "settings": lambda: billing_settings_update(collective=a, actor=actor, number_prefix="X"),
    }


@pytest.mark.parametrize("who", ["ben", "carla", "olga", "dana"])
@pytest.mark.parametrize(
    "action", ["draft", "update", "add", "remove", "delete", "issue", "settings"]
)
def test_only_a_coordinator_of_the_collective_writes_its_invoices(
    billed: Billed, who: str, action: str
) -> None:
    # Ben is a member of A, Carla coordinates B, Olga is an outsider, Dana the client
    work = billed.work
    actor = work.dana if who == "dana" else getattr(work.cast, who)
    call = calls_for(billed, actor)[action]

    error = refused(PermissionDenied, "not_coordinator", call)
    assert error.message == "Only a coordinator of this collective can do that."


def test_the_draft_and_issue_keep_the_ledger_checking_out(billed: Billed) -> None:
    billing_issued(billed)
    assert Account.objects.filter(name__contains=":Receivable:").count() == 1
    assert "ledger ok" in ledger_checked()
