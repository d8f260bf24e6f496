"""Benchmark: issue, pay and split 10,000 invoices, and show the cost stays flat.

One collective bills ten clients (ten engagements, two members on each)
every working day, one after the other, through the real services, each in
its own database transaction as a request would make it:

1. ``invoice_draft_create``: a draft of the engagement's approved, unbilled
   time up to that day (it claims the day's two entries);
2. ``invoice_issue``: the number, the snapshot, the receivable booked;
3. ``payment_record``: the invoice paid in full, in its currency, and the
   payment split (10% to the treasury, the rest to the two members by what
   their lines bill), in one ledger transaction.

Each invoice is timed from the draft to the split. As the run goes on, the
history grows (invoices, payments, shares, postings, and each engagement's
billed time); the question is whether an invoice costs more at the end than
at the start. So the report gives the median per block of invoices, and the
queries of one invoice counted early and late (on invoices kept out of the
timing, since counting slows them down).

SETUP, not measured: the collective, its members and clients through the
services; the ten engagements and their seats written straight to the tables
(as the tests' ``build_work`` does: the pitch-and-agreement path is the work
issue's, not billing's); and the approved time, two entries a day per
engagement over the whole period, bulk-inserted (with their timesheets) the
way ``mutualist.testing.approved_time`` writes them. The database's rules
still run on every row.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest import mock

from harness import Database, Measurement, measure, table
from ledger_bench import sql_tag

if TYPE_CHECKING:
    from mutualist.collectives.models import Collective
    from mutualist.members.models import User
    from mutualist.work.models import Engagement

# An invoice late in the run may cost at most this many times one early in
# it (median of a block each); more means a cost that grows with history.
TARGET_GROWTH = 1.5
PASSWORD = "bench-coordinator-password-2026"  # noqa: S105 - a throwaway database
WARM_UP = 100  # invoices before the early block, kept out of it
# One invoice in this many has its queries counted (and is kept out of the
# timing): every 500th of 10,000.
COUNTED_SAMPLES = 20
BATCH = 5_000
STEPS = ("draft", "issue", "pay")
# Counted invoices averaged at each end of the run to say where time grew.
ENDS = 4
# (name, country, time zone, currency, bill rate of each seat in minor units)
CLIENTS = (
    ("Bondi Surf Supply", "AU", "Australia/Sydney", "AUD", (3200, 3000)),
    ("Lone Star Dental", "US", "America/Chicago", "USD", (2400, 2400)),
    ("Camden Lock Books", "GB", "Europe/London", "GBP", (3000, 3000)),
    ("Harbour Logistics", "AU", "Australia/Sydney", "AUD", (2800, 2500)),
    ("Pacific Pet Supplies", "US", "America/Los_Angeles", "USD", (2200, 2600)),
    ("Klarwerk", "DE", "Europe/Berlin", "EUR", (2700, 2900)),
    ("Maple Dental", "CA", "America/Toronto", "CAD", (3100, 2900)),
    ("Thames Tea", "GB", "Europe/London", "GBP", (2600, 2400)),
    ("Sakura Travel", "JP", "Asia/Tokyo", "JPY", (3300, 3100)),
    ("Savannah Logistics", "KE", "Africa/Nairobi", "USD", (1800, 2000)),
)
MEMBERS = ("Ana Reyes", "Ben Cruz", "Bea Mendoza")


@dataclass(frozen=True)
class World:
    coordinator: User
    collective: Collective
    engagements: list[Engagement]
    first_day: dt.date
    days: int


@dataclass(frozen=True)
class Timed:
    number: int  # 1-based, in the order issued
    draft_ms: float
    issue_ms: float
    pay_ms: float

    @property
    def total_ms(self) -> float:
        return self.draft_ms + self.issue_ms + self.pay_ms


@dataclass(frozen=True)
class Counted:
    number: int
    draft: list[str]  # statement tags, in order
    issue: list[str]
    pay: list[str]
    # Instrumented, so apart from the timing above: per step, the wall time,
    # the time in statements and in the COMMIT (the rest is Python), and the
    # time per (step, statement tag).
    step_ms: list[float]
    statement_ms: list[float]
    commit_ms: list[float]
    by_tag_ms: dict[tuple[str, str], float]

    @property
    def total(self) -> int:
        return len(self.draft) + len(self.issue) + len(self.pay)


@dataclass
class BillingReport:
    database: Database
    invoices: int
    engagements: int
    timed: list[Timed]
    counted: list[Counted]
    setup_seconds: float
    run_seconds: float
    check_seconds: float
    violations: int
    block: int
    count_every: int
    time_query: list[Measurement]  # the draft's time query before and after the run
    plan: str  # the draft's time query after the run, as the database runs it


def build_world(*, invoices: int, engagements: int) -> World:
    """SETUP (see the module's docstring): a collective, ``engagements``
    engagements and enough approved time for ``invoices`` daily invoices."""
    from django.utils import timezone

    from mutualist.collectives.services import (
        collective_create,
        invitation_accept,
        invitation_create,
        invitation_token,
    )
    from mutualist.members.models import Skill
    from mutualist.members.services.accounts import user_signup
    from mutualist.work.models import Engagement, EngagementMember
    from mutualist.work.services.clients import client_record

    days = -(-invoices // engagements)
    # The last invoices bill the day before yesterday and are issued and paid
    # the next day: nothing is dated ahead of today.
    first_day = timezone.localdate() - dt.timedelta(days=days + 1)
    coordinator = user_signup(
        email="coordinator@bench.invalid",
        password=PASSWORD,
        display_name="Bench Coordinator",
        timezone="Asia/Manila",
    )
    collective = collective_create(
        creator=coordinator,
        name="Bench Billing Cooperative",
        slug="bench-billing",
        base_currency="PHP",
        is_remote=True,
        treasury_percent="10",
    )
    members = [coordinator]
    for index, name in enumerate(MEMBERS[1:], start=1):
        member = user_signup(
            email=f"member{index}@bench.invalid",
            password=PASSWORD,
            display_name=name,
            timezone="Asia/Manila",
        )
        invitation = invitation_create(
            collective=collective, inviter=coordinator, email=member.email
        )
        invitation_accept(token=invitation_token(invitation), user=member)
        members.append(member)
    skill = Skill.objects.order_by("pk").first()
    made = []
    for index in range(engagements):
        name, country, zone, currency, rates = CLIENTS[index % len(CLIENTS)]
        client = client_record(
            collective=collective,
            by=coordinator,
            name=f"{name} {index + 1}",
            country=country,
            timezone=zone,
            currency=currency,
            billing_address=f"{index + 1} Bench Street\n{country}",
        )
        engagement = Engagement.objects.create(
            collective=collective,
            client=client,
            title=f"Support for {client.name}",
            currency=currency,
            timezone=zone,
            status=Engagement.Status.ACTIVE,
            starts_on=first_day,
        )
        for seat, rate in enumerate(rates):
            EngagementMember.objects.create(
                engagement=engagement,
                user=members[(index + seat) % len(members)],
                role_title=("Support", "Books")[seat],
                skill=skill,
                bill_rate_minor=rate,
                pay_rate_minor=rate * 4 // 5,
                weekly_cap_hours=40,
            )
        made.append(engagement)
    _approved_time(made, first_day=first_day, days=days, approver=coordinator)
    return World(coordinator, collective, made, first_day, days)


def _approved_time(
    engagements: Sequence[Engagement], *, first_day: dt.date, days: int, approver: User
) -> None:
    """SETUP: each seat of each engagement works 4 hours (Support) or 3 hours
    (Books) every day from ``first_day``, at 12:00 UTC (the same date in
    every client's zone), approved the next day; bulk-inserted with the
    week's approved timesheet, as ``mutualist.testing.approved_time`` does
    one at a time."""
    from django.db import connection, transaction

    from mutualist.work.models import EngagementMember, TimeEntry, Timesheet

    seats = list(
        EngagementMember.objects.filter(engagement__in=engagements).order_by("engagement", "pk")
    )
    sheets: dict[tuple[int, int, dt.date], Timesheet] = {}
    for seat in seats:
        for offset in range(0, days + 7, 7):
            day = first_day + dt.timedelta(days=offset)
            monday = day - dt.timedelta(days=day.weekday())
            decided = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC)
            sheets[(seat.engagement_id, seat.user_id, monday)] = Timesheet(
                engagement_id=seat.engagement_id,
                member_id=seat.user_id,
                week_start=monday,
                state=Timesheet.State.APPROVED,
                submitted_at=decided,
                decided_at=decided,
                decided_by=approver,
            )
    with transaction.atomic():
        Timesheet.objects.bulk_create(sheets.values(), batch_size=BATCH)
    saved = {
        (s.engagement_id, s.member_id, s.week_start): s
        for s in Timesheet.objects.filter(engagement__in=engagements)
    }
    rows = []
    for day_index in range(days):
        day = first_day + dt.timedelta(days=day_index)
        monday = day - dt.timedelta(days=day.weekday())
        start = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        for seat in seats:
            minutes = 240 if seat.role_title == "Support" else 180
            rows.append(
                TimeEntry(
                    engagement_id=seat.engagement_id,
                    member_id=seat.user_id,
                    timesheet=saved[(seat.engagement_id, seat.user_id, monday)],
                    kind=TimeEntry.Kind.MANUAL,
                    started_at=start,
                    ended_at=start + dt.timedelta(minutes=minutes),
                    minutes=minutes,
                    note=f"{seat.role_title}, {day:%d %b %Y}",
                    approved_at=start + dt.timedelta(days=1),
                    approved_by=approver,
                    created_by_id=seat.user_id,
                )
            )
    for first in range(0, len(rows), BATCH):
        with transaction.atomic():
            TimeEntry.objects.bulk_create(rows[first : first + BATCH])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE work_timeentry, work_timesheet")
        else:
            cursor.execute("ANALYZE")


def bill_one(world: World, engagement: Engagement, day: dt.date, number: int) -> list[float]:
    """Draft, issue and pay one invoice for ``engagement``'s time of ``day``;
    returns the milliseconds each of the three took."""
    from mutualist.billing.services import invoice_draft_create, invoice_issue, payment_record
    from mutualist.core.money import Money

    billed_on = day + dt.timedelta(days=1)
    started = time.perf_counter()
    draft = invoice_draft_create(
        collective=world.collective, actor=world.coordinator, engagement=engagement, until=day
    )
    drafted = time.perf_counter()
    invoice = invoice_issue(invoice=draft, actor=world.coordinator, issue_date=billed_on)
    issued = time.perf_counter()
    payment_record(
        invoice=invoice,
        actor=world.coordinator,
        amount=Money.from_minor(invoice.total_minor, invoice.currency),
        received_on=billed_on,
        method="bank_transfer",
        reference=f"Transfer {number}",
        idempotency_key=f"bench:payment:{number}",
    )
    paid = time.perf_counter()
    return [(drafted - started) * 1000, (issued - drafted) * 1000, (paid - issued) * 1000]


def _count(world: World, engagement: Engagement, day: dt.date, number: int) -> Counted:
    """The same as ``bill_one``, with every statement each step sends recorded."""
    from django.db import connection

    from mutualist.billing.services import invoice_draft_create, invoice_issue, payment_record
    from mutualist.core.money import Money

    tags: list[list[str]] = [[], [], []]
    in_statements = [0.0, 0.0, 0.0]
    in_commit = [0.0, 0.0, 0.0]
    by_tag: dict[tuple[str, str], float] = {}
    phase = 0

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        tag = sql_tag(sql)
        tags[phase].append(tag)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = (time.perf_counter() - started) * 1000
            in_statements[phase] += spent
            key = (STEPS[phase], tag)
            by_tag[key] = by_tag.get(key, 0.0) + spent

    commit = connection._commit  # type: ignore[attr-defined]

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            commit()
        finally:
            in_commit[phase] += (time.perf_counter() - started) * 1000

    # A wrapper rather than CaptureQueriesContext, to tell the three apart;
    # Django's private ``_commit`` hook wrapped on this one connection, as
    # the ledger benchmark does, to time the COMMIT.
    marks = [time.perf_counter()]
    with (
        connection.execute_wrapper(record),
        mock.patch.object(connection, "_commit", timed_commit),
    ):
        billed_on = day + dt.timedelta(days=1)
        draft = invoice_draft_create(
            collective=world.collective, actor=world.coordinator, engagement=engagement, until=day
        )
        marks.append(time.perf_counter())
        phase = 1
        invoice = invoice_issue(invoice=draft, actor=world.coordinator, issue_date=billed_on)
        marks.append(time.perf_counter())
        phase = 2
        payment_record(
            invoice=invoice,
            actor=world.coordinator,
            amount=Money.from_minor(invoice.total_minor, invoice.currency),
            received_on=billed_on,
            method="bank_transfer",
            reference=f"Transfer {number}",
            idempotency_key=f"bench:payment:{number}",
        )
        marks.append(time.perf_counter())
    steps = [(marks[i + 1] - marks[i]) * 1000 for i in range(3)]
    return Counted(
        number,
        draft=tags[0],
        issue=tags[1],
        pay=tags[2],
        step_ms=steps,
        statement_ms=in_statements,
        commit_ms=in_commit,
        by_tag_ms=by_tag,
    )


def time_query_measure(world: World, *, after: bool) -> Measurement:
    """Time ``invoiceable_entries`` (the query a draft makes to find the time
    it bills) for the first engagement, as the first draft makes it (up to
    the first day: two entries, no history) or, ``after`` the run, up to the
    last day (all of its time billed: the history is all it reads)."""
    from mutualist.billing.services import invoiceable_entries

    engagement = world.engagements[0]
    until = world.first_day + dt.timedelta(days=world.days - 1 if after else 0)
    billed = world.days * 2 if after else 0

    def run() -> int:
        return len(list(invoiceable_entries(engagement=engagement, until=until)))

    label = "after the run, all billed" if after else "before the run, nothing billed"
    return measure(billed, f"invoiceable_entries, {label}", run, 21, memory=False)


def time_query_plan(world: World) -> str:
    """The plan of ``invoiceable_entries`` (the query a draft makes to find
    the time it bills) for the first engagement, after the run: nothing is
    left to bill, so what it reads is the engagement's billed history."""
    from django.db import connection

    from mutualist.billing.services import invoiceable_entries

    last = world.first_day + dt.timedelta(days=world.days - 1)
    sql, params = invoiceable_entries(
        engagement=world.engagements[0], until=last
    ).query.sql_with_params()
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    return "\n".join(" ".join(str(cell) for cell in row) for row in rows)


def run_billing(*, database: Database, invoices: int, engagements: int) -> BillingReport:
    from django.test.utils import override_settings

    from mutualist.ledger.check import ledger_check

    started = time.perf_counter()
    world = build_world(invoices=invoices, engagements=engagements)
    setup = time.perf_counter() - started
    before = time_query_measure(world, after=False)
    print(
        f"billing: setup done in {setup:.1f} s ({world.days} days of approved time on "
        f"{engagements} engagements); billing {invoices:,} invoices...",
        file=sys.stderr,
    )
    timed: list[Timed] = []
    counted: list[Counted] = []
    count_every = max(10, invoices // COUNTED_SAMPLES)
    warm_up = min(WARM_UP, invoices // 10)
    number = 0
    started = time.perf_counter()
    with override_settings(DEBUG=False):
        for day_index in range(world.days):
            day = world.first_day + dt.timedelta(days=day_index)
            for engagement in world.engagements:
                number += 1
                if number > invoices:
                    break
                # Not in the warm-up: the first invoice of each client opens
                # its accounts, a cost paid once, not one that grows.
                counting = number > warm_up and number % count_every == count_every // 2
                if counting:
                    counted.append(_count(world, engagement, day, number))
                    continue
                timed.append(Timed(number, *bill_one(world, engagement, day, number)))
                if number % 1000 == 0:
                    print(f"billing: {number:,} invoices", file=sys.stderr)
    run = time.perf_counter() - started
    started = time.perf_counter()
    violations = len(ledger_check())
    check = time.perf_counter() - started
    return BillingReport(
        database=database,
        invoices=invoices,
        engagements=engagements,
        timed=timed,
        counted=counted,
        setup_seconds=setup,
        run_seconds=run,
        check_seconds=check,
        violations=violations,
        block=max(1, min(1000, invoices // 10)),
        count_every=count_every,
        time_query=[before, time_query_measure(world, after=True)],
        plan=time_query_plan(world),
    )


def _blocks(report: BillingReport) -> list[tuple[int, int, list[Timed]]]:
    size = report.block
    blocks: list[tuple[int, int, list[Timed]]] = []
    for first in range(1, report.invoices + 1, size):
        last = min(first + size - 1, report.invoices)
        rows = [t for t in report.timed if first <= t.number <= last]
        if rows:
            blocks.append((first, last, rows))
    return blocks


def early_and_late(report: BillingReport) -> tuple[list[Timed], list[Timed]]:
    """The early block (after the warm-up) and the last block, by number."""
    size = report.block
    warm_up = min(WARM_UP, report.invoices // 10)
    early = [t for t in report.timed if warm_up < t.number <= warm_up + size]
    late = [t for t in report.timed if t.number > report.invoices - size]
    return early, late


def _median(rows: Sequence[Timed], attribute: str) -> float:
    values: list[float] = [getattr(row, attribute) for row in rows]
    return statistics.median(values)


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def billing_text(report: BillingReport) -> str:
    lines = [f"Database: {report.database.description}", ""]
    rows = []
    for first, last, block in _blocks(report):
        rows.append(
            (
                f"{first:,}-{last:,}",
                f"{_median(block, 'draft_ms'):.2f}",
                f"{_median(block, 'issue_ms'):.2f}",
                f"{_median(block, 'pay_ms'):.2f}",
                f"{_median(block, 'total_ms'):.2f}",
                f"{_p90([t.total_ms for t in block]):.2f}",
                f"{max(t.total_ms for t in block):.1f}",
            )
        )
    lines.append(
        table(
            (
                "invoices",
                "draft ms",
                "issue ms",
                "pay+split ms",
                "total ms",
                "p90 ms",
                "max ms",
            ),
            rows,
            left=0,
        )
    )
    lines.append("")
    lines.append(
        f"{len(report.timed):,} invoices timed in {report.run_seconds:.1f} s "
        f"({len(report.timed) / report.run_seconds if report.run_seconds else 0:.0f} an "
        "invoice's draft, issue and payment per second, one client); medians per block; "
        f"every {report.count_every}th invoice was counted instead of timed."
    )
    lines.append("")
    count_rows = [
        (
            f"{c.number:,}",
            str(len(c.draft)),
            str(len(c.issue)),
            str(len(c.pay)),
            str(c.total),
        )
        for c in report.counted
    ]
    lines.append(table(("invoice", "draft", "issue", "pay+split", "queries"), count_rows, left=0))
    if report.counted:
        sample = report.counted[0]
        lines.append("")
        steps = (("draft", sample.draft), ("issue", sample.issue), ("pay", sample.pay))
        for label, tags in steps:
            lines.append(f"{label} ({len(tags)}): " + ", ".join(tags))
    lines.append("")
    lines.append(
        f"Setup (not measured): {report.setup_seconds:.1f} s. "
        f"`ledger check` afterwards: {report.violations} violations, {report.check_seconds:.1f} s."
    )
    lines += ["", *_growth_text(report)]
    lines += [
        "",
        table(
            ("billed entries", "the draft's time query", "rows", "median ms", "max ms"),
            [
                (f"{m.size:,}", m.label, str(m.rows), f"{m.median_ms:.2f}", f"{m.max_ms:.2f}")
                for m in report.time_query
            ],
        ),
        "",
        "Its plan after the run (invoiceable_entries of the first engagement, "
        "all of its time billed):",
        report.plan,
    ]
    return "\n".join(lines)


def _growth_text(report: BillingReport) -> list[str]:
    """Where an invoice's time went, on the first and the last ``ENDS``
    counted invoices (instrumented): per step, in statements, in the COMMIT
    and in Python; then the statements whose time grew most."""
    if len(report.counted) < 2 * ENDS:
        return []
    early, late = report.counted[:ENDS], report.counted[-ENDS:]

    def mean(values: Sequence[float]) -> float:
        return sum(values) / len(values)

    rows = []
    for index, step in enumerate(STEPS):
        in_sql = [mean([c.statement_ms[index] for c in side]) for side in (early, late)]
        in_commit = [mean([c.commit_ms[index] for c in side]) for side in (early, late)]
        python = [
            mean([c.step_ms[index] - c.statement_ms[index] - c.commit_ms[index] for c in side])
            for side in (early, late)
        ]
        rows.append((step, *(f"{v:.2f}" for pair in (in_sql, in_commit, python) for v in pair)))
    lines = [
        f"Instrumented (mean of the first and the last {ENDS} counted invoices, "
        f"{early[0].number:,}-{early[-1].number:,} and {late[0].number:,}-{late[-1].number:,}):",
        table(
            (
                "step",
                "statements ms early",
                "late",
                "COMMIT ms early",
                "late",
                "Python ms early",
                "late",
            ),
            rows,
            left=0,
        ),
    ]
    keys = sorted({key for row in report.counted for key in row.by_tag_ms})
    grown = sorted(
        (
            (
                mean([c.by_tag_ms.get(key, 0.0) for c in late])
                - mean([c.by_tag_ms.get(key, 0.0) for c in early]),
                key,
            )
            for key in keys
        ),
        reverse=True,
    )[:5]
    lines.append("")
    lines.append(
        "Statements whose time grew most (ms, late mean less early mean): "
        + "; ".join(f"{step} {tag}: {delta:+.2f}" for delta, (step, tag) in grown)
    )
    return lines


def check_billing(report: BillingReport) -> list[str]:
    missed = []
    early, late = early_and_late(report)
    if early and late:
        before, after = _median(early, "total_ms"), _median(late, "total_ms")
        if after > before * TARGET_GROWTH:
            missed.append(
                f"billing: an invoice costs {after:.2f} ms at the end against {before:.2f} ms "
                f"early on (more than {TARGET_GROWTH}x): the cost grows with history"
            )
    if report.counted:
        totals = {c.total for c in report.counted}
        if len(totals) > 1:
            missed.append(
                "billing: queries per invoice changed during the run: "
                + ", ".join(f"{c.number:,}: {c.total}" for c in report.counted)
            )
    if report.violations:
        missed.append(f"billing: ledger check found {report.violations} violations")
    return missed
