"""Benchmark: a month of the sick-pay funds' work for a large installation.

The installation: 100 collectives (``--funds``), each with an active
sick-pay fund of 50 participants (the bread funds' maximum, the rules'
default ``max_members``) spread over the default rules' eight tiers, and
five ongoing sick claims per fund (three fully sick, two half sick). Every
member's payable holds a share of earlier invoices except two per fund,
whose monthly deposit therefore stays in arrears; each member's own
sick-pay account holds the deposits of 1 to 36 earlier months (a fund
several years old, with some newer members whose accounts run dry while
they give).

``mutualist tick``'s monthly work is then run for four months, each on its
1st, through the real services and as the tick calls them (no outer
transaction): ``sick_pay_deposits_post(today)`` (this month's deposits and
the retry of every deposit in arrears), then ``sick_pay_runs_due(today)``
(last month's gifts: one run per fund, five gifts each, drawn from the 45
other participants' accounts). One month per instrument, so that none
skews another, as ``harness.measure`` keeps them apart:

1. 1 August: **counted**: every statement the cursor sends (and every
   COMMIT) is counted and tagged. This also warms the caches up.
2. 1 September: **memory**: the peak of what Python allocates, under
   ``tracemalloc``.
3. 1 October: **counted** again: the same work with two months of arrears
   to retry, so the queries of a gift can be compared with August's.
4. 1 November: **timed**, with ``DEBUG`` off: the figures the targets judge,
   on the longest history; each fund's run (one database transaction under
   the fund's row lock) timed on its own. Then the same two calls again that
   day, timed and then counted: an **idle tick**, which is what the other 287
   ticks of every day cost (one every five minutes, docs/operators.md).

Queries are counted with a cursor wrapper (``connection.execute_wrapper``)
rather than ``CaptureQueriesContext``: a month is some 70,000 statements and
Django keeps only the last 9,000 (``queries_limit``), so the context's count
would be wrong. The COMMITs are counted through Django's private ``_commit``
hook on this one connection, as the ledger benchmark times them.

SETUP, not measured: the members and their profiles are bulk-inserted (as
the directory benchmark does: nobody logs in) with their memberships (as
``mutual.tests.helpers.add_member`` writes them); the collectives go through
``collective_create``; each fund is set up as the tests do
(``mutual.tests.helpers.fund_active``: its first rules written through a
proposal booked as passed); the members join through ``sick_pay_join``; the
claims are reported through ``sick_claim_submit`` and approved by two peers
through ``claim_approve``; the opening balances (payables and the earlier
deposits) are one ``transaction_post`` per collective.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from unittest import mock

from harness import Database, table
from ledger_bench import sql_tag

if TYPE_CHECKING:
    from mutualist.mutual.models import Fund

# --- The installation ----------------------------------------------------------------------
PARTICIPANTS = 50  # per fund: the bread funds' maximum (the rules' default max_members)
# The claims of each fund: members 1-5, three fully sick and two half sick.
PERCENTS = (100, 100, 100, 50, 50)
APPROVERS = (10, 11)  # two peers decide each claim (the default approvals_needed)
ARREARS = 2  # the last members of each fund: an empty payable, so their deposit waits
JOINED = dt.date(2026, 1, 1)  # everyone joined when the fund's first rules took effect
# The claims' first sick day: after the 30 waiting days, paid from 1 July.
SICK_FROM = dt.date(2026, 6, 1)
OPENED_ON = dt.date(2026, 7, 31)  # the opening balances, the day before the first tick
PAYABLE_MINOR = 500_000  # 5,000.00 PHP of earlier invoices' shares, per member
BUFFER_MONTHS = 36  # the rules' default buffer_multiple
TICKS = (
    (dt.date(2026, 8, 1), "counted"),
    (dt.date(2026, 9, 1), "memory"),
    (dt.date(2026, 10, 1), "counted"),
    (dt.date(2026, 11, 1), "timed"),
)

# --- Targets (see bench/README.md, "Funds") ---------------------------------------------------
# ``mutualist tick`` runs every five minutes (docs/operators.md), and its jobs
# one after the other: the 1st's deposits and sick pay together (at most
# 180 s) leave the other jobs of that tick, and the next tick's, on time
# (votes close within five minutes of their deadline).
TARGET_DEPOSITS_S = 120.0  # the month's deposits for 5,000 participants, one call
TARGET_RUNS_S = 60.0  # last month's sick pay for every fund, one call
# One fund's run is one transaction holding the fund's row lock: a member of
# that collective who joins, reports sick or is approved meanwhile waits for it.
TARGET_FUND_RUN_MS = 1_000.0
# A tick with nothing new due (deposits and sick pay), 287 of them a day:
# at most a tenth of the interval.
TARGET_IDLE_S = 30.0
# What Python allocates at the peak of either call (a small server's worker).
TARGET_PEAK_MIB = 64.0


@dataclass(frozen=True)
class World:
    funds: list[Fund]
    participants: int
    claims: int
    setup_seconds: float


@dataclass
class Call:
    """One call of one job on one day, and what it did."""

    day: dt.date
    job: str  # "deposits" or "sick pay"
    mode: str  # "counted", "memory", "timed", "idle, timed", "idle, counted"
    seconds: float
    # deposits: rows recorded this month, how many of them stayed in arrears,
    # earlier arrears retried and settled; sick pay: runs, gifts, postings.
    done: dict[str, int]
    queries: int | None = None
    commits: int | None = None
    tags: Counter[str] = field(default_factory=Counter)
    tag_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    statement_s: float = 0.0  # counted calls: time in statements, and in COMMITs
    commit_s: float = 0.0
    peak_mib: float | None = None
    fund_ms: list[float] = field(default_factory=list)  # each fund's run, when timed

    @property
    def units(self) -> int:
        """Deposits handled (recorded or retried), or gifts paid."""
        if self.job == "deposits":
            return self.done["recorded"] + self.done["retried"]
        return self.done["gifts"]


@dataclass
class FundsReport:
    database: Database
    world: World
    calls: list[Call]
    check_seconds: float
    violations: int
    short_runs: int


def _month_before(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def build_world(*, collectives: int) -> World:
    """SETUP (see the module's docstring)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from mutualist.billing.accounts import member_account
    from mutualist.collectives.models import Membership
    from mutualist.collectives.services import collective_create
    from mutualist.core.money import Money
    from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
    from mutualist.members.models import Profile, User
    from mutualist.mutual.accounts import member_fund_account
    from mutualist.mutual.models import Claim, FundRules
    from mutualist.mutual.rules import SickPayRules, rules_for
    from mutualist.mutual.services.claims import claim_approve
    from mutualist.mutual.services.sick_pay import deposit_minor, sick_claim_submit, sick_pay_join
    from mutualist.mutual.tests.helpers import fund_active

    started = time.perf_counter()
    password = make_password(None)  # unusable: nobody logs in to the bench database
    count = collectives * PARTICIPANTS
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"member{n}@bench.invalid", password=password) for n in range(count)]
        )
        Profile.objects.bulk_create(
            [
                Profile(
                    user=user,
                    handle=f"member-{n}",
                    display_name=f"Member {n:05d}",
                    timezone="Asia/Manila",
                )
                for n, user in enumerate(users)
            ]
        )
    users = list(User.objects.filter(pk__in=[u.pk for u in users]).select_related("profile"))
    users.sort(key=lambda user: user.pk)
    funds = []
    claims = 0
    for index in range(collectives):
        members = users[index * PARTICIPANTS : (index + 1) * PARTICIPANTS]
        coordinator = members[0]
        # One transaction per collective: setup only, so fewer commits; the
        # services nest theirs as savepoints.
        with transaction.atomic():
            collective = collective_create(
                creator=coordinator,
                name=f"Bench Collective {index + 1:03d}",
                slug=f"bench-{index + 1:03d}",
                base_currency="PHP",
                is_remote=True,
            )
            Membership.objects.bulk_create(
                [
                    Membership(
                        collective=collective,
                        user=member,
                        role=Membership.Role.MEMBER,
                        state=Membership.State.ACTIVE,
                        joined_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                    )
                    for member in members[1:]
                ]
            )
            fund = fund_active(collective, "sick_pay", created_by=coordinator)
            rules = rules_for("sick_pay", FundRules.objects.get(fund=fund).rules)
            if not isinstance(rules, SickPayRules):  # pragma: no cover - rules_for's contract
                raise TypeError("sick-pay rules expected")
            tiers = len(rules.tiers)
            participations = [
                sick_pay_join(fund=fund, member=member, tier=n % tiers, joined_on=JOINED)
                for n, member in enumerate(members)
            ]
            bank = account_open(
                collective=collective,
                name=account_name_for(collective, "assets", "Bank", "PHP"),
                type="assets",
                currency="PHP",
            )
            lines = []
            for n, (member, participation) in enumerate(zip(members, participations, strict=True)):
                # Every member has a payable (billing opened it with their
                # first share); the last ARREARS hold nothing in it.
                payable = member_account(collective, member, "PHP")
                if n < PARTICIPANTS - ARREARS:
                    lines.append(Line(payable, Money.from_minor(-PAYABLE_MINOR, "PHP")))
                months = 1 + (n * 7) % BUFFER_MONTHS
                held = deposit_minor(rules, n % tiers, "PHP") * months
                own = member_fund_account(participation, "PHP")
                lines.append(Line(own, Money.from_minor(-held, "PHP")))
            total = -sum(line.amount.minor_units for line in lines)
            lines.append(Line(bank, Money.from_minor(total, "PHP")))
            transaction_post(
                lines=lines,
                memo="Opening balances: members' shares, and the deposits made before",
                occurred_at=OPENED_ON,
                idempotency_key=f"bench:opening:{collective.pk}",
                kind="opening",
            )
            for n, percent in enumerate(PERCENTS, start=1):
                claim = sick_claim_submit(
                    fund=fund,
                    claimant=members[n],
                    starts_on=SICK_FROM,
                    percent=percent,
                    reason="Burn-out",
                )
                for approver in APPROVERS:
                    claim = claim_approve(claim=claim, approver=members[approver])
                if claim.state != Claim.State.ONGOING:
                    raise RuntimeError(f"claim {claim.pk} is {claim.state}, not ongoing")
                claims += 1
        funds.append(fund)
        if (index + 1) % 20 == 0:
            print(f"funds: {index + 1} funds set up", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after such a load
    return World(
        funds=funds,
        participants=count,
        claims=claims,
        setup_seconds=time.perf_counter() - started,
    )


# --- Instruments -----------------------------------------------------------------------------


@dataclass
class Counted:
    tags: Counter[str] = field(default_factory=Counter)  # statements by tag
    tag_s: defaultdict[str, float] = field(  # seconds by tag
        default_factory=lambda: defaultdict(float)
    )
    commits: int = 0
    commit_s: float = 0.0


@contextlib.contextmanager
def _counting() -> Iterator[Counted]:
    """Count, tag and time every statement the cursor sends, and every COMMIT."""
    from django.db import connection

    counted = Counted()

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        tag = sql_tag(sql)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            counted.tag_s[tag] += time.perf_counter() - started
            counted.tags[tag] += 1

    commit = connection._commit  # type: ignore[attr-defined]

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            commit()
        finally:
            counted.commits += 1
            counted.commit_s += time.perf_counter() - started

    with (
        connection.execute_wrapper(record),
        mock.patch.object(connection, "_commit", timed_commit),
    ):
        yield counted


@contextlib.contextmanager
def _fund_runs_timed(times: list[float]) -> Iterator[None]:
    """Time each fund's run inside ``sick_pay_runs_due`` (the module's
    private ``_run``, wrapped: a clock read before and after, nothing else)."""
    from mutualist.mutual.services.sick_pay import run as run_module

    real = run_module._run

    def timed(fund: Fund, month: dt.date, today: dt.date) -> Any:
        started = time.perf_counter()
        try:
            return real(fund, month, today)
        finally:
            times.append((time.perf_counter() - started) * 1000)

    with mock.patch.object(run_module, "_run", timed):
        yield


def _deposits_state(month: dt.date) -> dict[str, int]:
    from mutualist.mutual.models import Deposit

    return {
        "recorded": Deposit.objects.filter(month=month).count(),
        "in arrears": Deposit.objects.filter(month=month, state=Deposit.State.ARREARS).count(),
        "arrears": Deposit.objects.filter(state=Deposit.State.ARREARS).count(),
    }


def _runs_state(month: dt.date) -> dict[str, int]:
    from mutualist.ledger.models import Posting
    from mutualist.mutual.models import ClaimPayment, SickPayRun

    return {
        "runs": SickPayRun.objects.filter(month=month).count(),
        "gifts": ClaimPayment.objects.filter(month=month).count(),
        "postings": Posting.objects.filter(transaction__kind="fund_payout").count(),
    }


def _call(day: dt.date, job: str, mode: str) -> Call:
    """Run ``job`` for ``day`` once, under the instrument ``mode`` names."""
    from django.test.utils import override_settings

    from mutualist.mutual.services.sick_pay import sick_pay_deposits_post, sick_pay_runs_due

    month = day.replace(day=1)
    if job == "deposits":
        before = _deposits_state(month)

        def work() -> int:
            return sick_pay_deposits_post(day)
    else:
        before = _runs_state(_month_before(day))

        def work() -> int:
            return sick_pay_runs_due(day)

    call = Call(day=day, job=job, mode=mode, seconds=0.0, done={})
    instrument: contextlib.AbstractContextManager[Any]
    if mode.endswith("counted"):
        instrument = _counting()
    elif mode == "timed" and job == "sick pay":
        instrument = _fund_runs_timed(call.fund_ms)
    else:
        instrument = contextlib.nullcontext()
    if mode == "memory":
        tracemalloc.start()
        tracemalloc.reset_peak()
    with override_settings(DEBUG=False), instrument as counted:
        started = time.perf_counter()
        result = work()
        call.seconds = time.perf_counter() - started
    if mode == "memory":
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        call.peak_mib = peak / 2**20
    if isinstance(counted, Counted):
        call.tags, call.tag_s = counted.tags, counted.tag_s
        call.queries = sum(counted.tags.values())
        call.statement_s = sum(counted.tag_s.values())
        call.commits, call.commit_s = counted.commits, counted.commit_s
    if job == "deposits":
        after = _deposits_state(month)
        recorded = after["recorded"] - before["recorded"]
        call.done = {
            "recorded": recorded,
            "in arrears": after["in arrears"] - before["in arrears"],
            # Earlier arrears: all of them on the 1st's first call (this
            # month's just failed are not tried twice), all on a later one.
            "retried": before["arrears"],
            "settled": result - recorded,
        }
    else:
        after = _runs_state(_month_before(day))
        call.done = {key: after[key] - before[key] for key in after}
    return call


def run_funds(*, database: Database, collectives: int) -> FundsReport:
    from mutualist.ledger.check import ledger_check
    from mutualist.mutual.models import SickPayRun

    world = build_world(collectives=collectives)
    print(
        f"funds: setup done in {world.setup_seconds:.1f} s ({len(world.funds)} funds, "
        f"{world.participants:,} participants, {world.claims} ongoing claims)",
        file=sys.stderr,
    )
    calls: list[Call] = []
    for day, mode in TICKS:
        for job in ("deposits", "sick pay"):
            calls.append(_call(day, job, mode))
            print(f"funds: {day:%d %B}, {job}, {mode}: {calls[-1].seconds:.1f} s", file=sys.stderr)
    last = TICKS[-1][0]
    for mode in ("idle, timed", "idle, counted"):
        for job in ("deposits", "sick pay"):
            calls.append(_call(last, job, mode))
    started = time.perf_counter()
    violations = len(ledger_check())
    check = time.perf_counter() - started
    short = sum(1 for run in SickPayRun.objects.all() if run.paid_minor < run.required_minor)
    return FundsReport(
        database=database,
        world=world,
        calls=calls,
        check_seconds=check,
        violations=violations,
        short_runs=short,
    )


# --- The report ------------------------------------------------------------------------------


def _per(value: int | None, units: int) -> str:
    return "" if value is None or not units else f"{value / units:.1f}"


def _what(call: Call) -> str:
    done = call.done
    if call.job == "deposits":
        return (
            f"{done['recorded']:,} recorded ({done['in arrears']} in arrears), "
            f"{done['retried']:,} arrears retried, {done['settled']} settled"
        )
    return f"{done['runs']} runs, {done['gifts']} gifts, {done['postings']:,} postings"


def _timed(report: FundsReport, job: str, mode: str = "timed") -> Call:
    return next(c for c in report.calls if c.job == job and c.mode == mode)


def funds_text(report: FundsReport) -> str:
    world = report.world
    lines = [
        f"Database: {report.database.description}",
        "",
        f"{len(world.funds)} sick-pay funds, {world.participants:,} participants "
        f"({PARTICIPANTS} a fund, the 8 default tiers), {world.claims} ongoing claims "
        f"({len(PERCENTS)} a fund), {ARREARS} members a fund with an empty payable.",
        "",
    ]
    rows = []
    for call in report.calls:
        rows.append(
            (
                f"{call.day:%d %b}",
                f"{call.job}, {call.mode}",
                _what(call),
                f"{call.seconds:.2f}",
                f"{call.seconds * 1000 / call.units:.2f}" if call.units else "",
                "" if call.queries is None else f"{call.queries:,}",
                _per(call.queries, call.units),
                "" if call.commits is None else f"{call.commits:,}",
                "" if call.peak_mib is None else f"{call.peak_mib:.1f}",
            )
        )
    lines.append(
        table(
            (
                "tick",
                "job, instrument",
                "what it did",
                "s",
                "ms a unit",
                "queries",
                "a unit",
                "commits",
                "peak MiB",
            ),
            rows,
        )
    )
    lines.append(
        "(A unit: a deposit recorded or retried, or a gift paid. Counted and memory calls "
        "run slower than timed ones: their seconds are not the figures.)"
    )
    runs = _timed(report, "sick pay")
    if runs.fund_ms:
        ordered = sorted(runs.fund_ms)
        lines += [
            "",
            f"Each fund's run on {runs.day:%d %B} (one transaction under the fund's row lock, "
            f"{len(ordered)} runs): median {statistics.median(ordered):.1f} ms, "
            f"p90 {ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]:.1f} ms, "
            f"max {ordered[-1]:.1f} ms.",
        ]
    counted = [c for c in report.calls if c.tags and c.units]
    lines += [
        "",
        "Counted calls, instrumented (a cursor wrapper times each statement, the COMMITs "
        "are timed; the rest is Python), ms a unit:",
        table(
            ("tick", "job, instrument", "units", "statements", "COMMIT", "Python", "total"),
            [
                (
                    f"{c.day:%d %b}",
                    f"{c.job}, {c.mode}",
                    f"{c.units:,}",
                    f"{c.statement_s * 1000 / c.units:.2f}",
                    f"{c.commit_s * 1000 / c.units:.2f}",
                    f"{(c.seconds - c.statement_s - c.commit_s) * 1000 / c.units:.2f}",
                    f"{c.seconds * 1000 / c.units:.2f}",
                )
                for c in counted
            ],
        ),
    ]
    for call in counted:
        lines += [
            "",
            f"{call.day:%d %b}, {call.job}, {call.mode}: statements a unit, and their ms a "
            f"unit ({call.units:,} units): "
            + ", ".join(
                f"{tag} {n / call.units:.2f} ({call.tag_s[tag] * 1000 / call.units:.2f} ms)"
                for tag, n in call.tags.most_common()
            ),
        ]
    lines += [
        "",
        f"Setup (not measured): {world.setup_seconds:.1f} s. `ledger check` afterwards: "
        f"{report.violations} violations, {report.check_seconds:.1f} s. "
        f"Runs paid short: {report.short_runs}.",
    ]
    return "\n".join(lines)


def _steady(call: Call) -> int:
    """The statements of a counted call less the process's first-use
    lookups (Django caches content types once per process)."""
    return sum(n for tag, n in call.tags.items() if tag != "SELECT django_content_type")


def check_funds(report: FundsReport) -> list[str]:
    missed = []
    deposits = _timed(report, "deposits")
    runs = _timed(report, "sick pay")
    if deposits.seconds > TARGET_DEPOSITS_S:
        missed.append(
            f"funds: the month's deposits took {deposits.seconds:.1f} s "
            f"(target {TARGET_DEPOSITS_S:.0f} s)"
        )
    if runs.seconds > TARGET_RUNS_S:
        missed.append(
            f"funds: the month's sick pay took {runs.seconds:.1f} s (target {TARGET_RUNS_S:.0f} s)"
        )
    if runs.fund_ms and max(runs.fund_ms) > TARGET_FUND_RUN_MS:
        missed.append(
            f"funds: a fund's run took {max(runs.fund_ms):.0f} ms "
            f"(target {TARGET_FUND_RUN_MS:.0f} ms)"
        )
    idle = sum(c.seconds for c in report.calls if c.mode == "idle, timed")
    if idle > TARGET_IDLE_S:
        missed.append(f"funds: an idle tick took {idle:.1f} s (target {TARGET_IDLE_S:.0f} s)")
    peaks = [c.peak_mib for c in report.calls if c.peak_mib is not None]
    if peaks and max(peaks) > TARGET_PEAK_MIB:
        missed.append(f"funds: peak memory {max(peaks):.1f} MiB (target {TARGET_PEAK_MIB:.0f} MiB)")
    counted_runs = [
        c for c in report.calls if c.job == "sick pay" and c.mode == "counted" and c.units
    ]
    if len({(_steady(c), c.units) for c in counted_runs}) > 1:
        missed.append(
            "funds: the sick-pay run's queries changed from month to month: "
            + ", ".join(f"{c.day:%d %b}: {_steady(c)} for {c.units} gifts" for c in counted_runs)
        )
    if report.violations:
        missed.append(f"funds: ledger check found {report.violations} violations")
    if report.short_runs:
        missed.append(
            f"funds: {report.short_runs} runs were paid short: the fixture's buffers are "
            "too small, and the figures include the shortfall emails"
        )
    return missed


def targets_text() -> str:
    return (
        f"Targets met: the month's deposits under {TARGET_DEPOSITS_S:.0f} s, its sick pay under "
        f"{TARGET_RUNS_S:.0f} s, each fund's run under {TARGET_FUND_RUN_MS:.0f} ms, an idle "
        f"tick under {TARGET_IDLE_S:.0f} s, peak memory under {TARGET_PEAK_MIB:.0f} MiB, "
        "the run's queries the same each month."
    )
