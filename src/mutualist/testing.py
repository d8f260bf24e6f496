"""The test base: a small cast of named people, built once per test.

It lives at the top of the package, not in ``core``: it builds collectives and
members through their services, and core must know nothing of the apps
(DESIGN.md's arrows). Only tests import it.

- Ana coordinates collective A (Manila Virtual Assistants).
- Ben is a member of collective A.
- Carla is a member of collective B (Remote Crew); she is not in A.
- Olga is an outsider: logged in, in no collective.

Everyone's password is ``PASSWORD`` and everyone's email address is verified.
Use the ``cast`` fixture; ``client_for`` logs a Django test client in as one
of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import DomainError
from mutualist.members.models import User

PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105


@dataclass(frozen=True)
class Cast:
    ana: User
    ben: User
    carla: User
    olga: User
    collective_a: Collective
    collective_b: Collective


def make_member(email: str, display_name: str, *, timezone: str = "UTC", **profile: Any) -> User:
    """A member who signed up and confirmed their address, as most members have."""
    from mutualist.members.services.accounts import email_mark_verified, user_signup

    user = user_signup(email=email, password=PASSWORD, display_name=display_name, timezone=timezone)
    email_mark_verified(user=user)
    if profile:
        for key, value in profile.items():
            setattr(user.profile, key, value)
        user.profile.save()
    return user


def build_cast() -> Cast:
    from mutualist.collectives.services import collective_create

    ana = make_member(
        "ana@example.org", "Ana Reyes", timezone="Asia/Manila", country="PH", city="Manila"
    )
    ben = make_member(
        "ben@example.org", "Ben Okafor", timezone="Africa/Lagos", country="NG", city="Lagos"
    )
    carla = make_member(
        "carla@example.org", "Carla Mwangi", timezone="Africa/Nairobi", country="KE", city="Nairobi"
    )
    olga = make_member(
        "olga@example.org", "Olga Petrova", timezone="Europe/Berlin", country="DE", city="Berlin"
    )
    collective_a = collective_create(
        creator=ana,
        name="Manila Virtual Assistants",
        slug="manila-va",
        base_currency="PHP",
        city="Manila",
        country="PH",
        description="Virtual assistants in Manila.",
    )
    Membership.objects.create(
        collective=collective_a,
        user=ben,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=collective_a.created_at,
    )
    collective_b = collective_create(
        creator=carla,
        name="Remote Crew",
        slug="remote-crew",
        base_currency="USD",
        is_remote=True,
        description="A remote crew.",
    )
    return Cast(ana, ben, carla, olga, collective_a, collective_b)


@pytest.fixture
def cast(db: None) -> Cast:
    return build_cast()


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    def login(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest, settings: Any) -> None:
    """Argon2 is deliberately slow, and the cast signs up four people per test.

    Tests about password storage itself are marked ``@pytest.mark.argon2`` and
    keep the production hashers.
    """
    if request.node.get_closest_marker("argon2") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def invitation_token_payload(invitation: Any) -> str:
    """The part every link token for ``invitation`` starts with.

    A token is ``payload:timestamp:signature`` and the timestamp moves with the
    clock, so two tokens for one invitation minted a second apart differ. To
    assert that no token for an invitation appears in a response, look for
    this stable part instead of one particular token.
    """
    from mutualist.collectives.services import invitation_token

    return invitation_token(invitation).split(":", 1)[0]


@dataclass(frozen=True)
class Books:
    """Collective A's books, opened through the ledger's services.

    ``bank`` (PHP) holds 100,000.00 PHP from ``opening``; ``fund`` is a
    must-not-go-negative cash account holding 1,000.00 PHP; ``ana_payable``
    and ``ben_payable`` are owned by Ana and Ben and must not go negative
    (into debit); ``usd_bank`` is empty. Collective B has ``b_bank`` (USD)
    holding 500.00 USD against ``b_opening``.
    """

    cast: Cast
    bank: Any
    opening: Any
    fund: Any
    ana_payable: Any
    ben_payable: Any
    usd_bank: Any
    b_bank: Any
    b_opening: Any


def build_books(cast: Cast) -> Books:
    import datetime as dt

    from mutualist.core.money import Money
    from mutualist.ledger.models import Account
    from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post

    a, b = cast.collective_a, cast.collective_b

    def opened(collective: Collective, type: str, *parts: str, **kwargs: Any) -> Account:
        currency = kwargs.pop("currency", collective.base_currency)
        return account_open(
            collective=collective,
            name=account_name_for(collective, type, *parts),
            type=type,
            currency=currency,
            **kwargs,
        )

    bank = opened(a, "assets", "Bank", "PHP")
    opening = opened(a, "equity", "Opening", "PHP")
    fund = opened(a, "assets", "Funds", "SickPay", "Cash", must_not_go_negative=True)
    ana_payable = opened(
        a, "liabilities", "Members", "Ana", "Payable",
        owner_kind="member", owner=cast.ana, must_not_go_negative=True,
    )  # fmt: skip
    ben_payable = opened(
        a, "liabilities", "Members", "Ben", "Payable",
        owner_kind="member", owner=cast.ben, must_not_go_negative=True,
    )  # fmt: skip
    usd_bank = opened(a, "assets", "Bank", "USD", currency="USD")
    b_bank = opened(b, "assets", "Bank", "USD")
    b_opening = opened(b, "equity", "Opening", "USD")
    day = dt.date(2026, 1, 1)
    transaction_post(
        lines=[Line(bank, Money("100000", "PHP")), Line(opening, Money("-100000", "PHP"))],
        memo="Opening balance",
        occurred_at=day,
        idempotency_key="test:opening:a",
        kind="opening",
    )
    transaction_post(
        lines=[Line(fund, Money("1000", "PHP")), Line(opening, Money("-1000", "PHP"))],
        memo="Opening balance of the sick-pay fund",
        occurred_at=day,
        idempotency_key="test:opening:fund",
        kind="opening",
    )
    transaction_post(
        lines=[Line(b_bank, Money("500", "USD")), Line(b_opening, Money("-500", "USD"))],
        memo="Opening balance",
        occurred_at=day,
        idempotency_key="test:opening:b",
        kind="opening",
    )
    for account in (bank, opening, fund, ana_payable, ben_payable, usd_bank, b_bank, b_opening):
        account.refresh_from_db()
    return Books(cast, bank, opening, fund, ana_payable, ben_payable, usd_bank, b_bank, b_opening)


@pytest.fixture
def books(cast: Cast) -> Books:
    return build_books(cast)


@dataclass
class Outcome:
    results: list[Any] = field(default_factory=list)
    refusals: list[DomainError] = field(default_factory=list)
    crashes: list[BaseException] = field(default_factory=list)


def race(*calls: Callable[[], Any]) -> Outcome:
    """Run the calls at the same moment, one thread and database connection
    each, released together by a barrier (for PostgreSQL race tests marked
    ``django_db(transaction=True)``). A crash (anything but a ``DomainError``)
    fails the test."""
    barrier = threading.Barrier(len(calls))
    outcome = Outcome()
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            result = call()
        except DomainError as refusal:
            with lock:
                outcome.refusals.append(refusal)
        except BaseException as crash:  # an IntegrityError leaking out is a failure
            with lock:
                outcome.crashes.append(crash)
        else:
            with lock:
                outcome.results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if any(thread.is_alive() for thread in threads):
        pytest.fail("a thread is stuck (deadlock?)")
    if outcome.crashes:
        pytest.fail(f"a thread crashed: {outcome.crashes!r}")
    return outcome


@dataclass(frozen=True)
class Work:
    """Clients and engagements around the cast, written straight to the
    tables (the work services are tested on their own).

    - Dana is the contact of ``harbour`` (Sydney, AUD); Evan of ``thames``
      (London, GBP). Neither is in a collective.
    - ``job`` is Harbour's public job: a coverage role (``support_role``,
      Mon-Fri 09:00-17:00 Australia/Sydney) and a flexible role
      (``books_role``, 6 hours a week).
    - ``engagement`` is collective A's active engagement for Harbour (from
      an accepted pitch, ``pitch``): Ana on support at 25.00 AUD billed /
      20.00 AUD paid, 40 hours a week, shifts Mon-Fri 09-17 Sydney time; Ben
      on bookkeeping at 30.00 / 24.00, 10 hours a week, no shifts.
    - ``b_engagement`` is collective B's active engagement for Thames,
      Carla alone on it.
    """

    cast: Cast
    dana: User
    evan: User
    harbour: Any
    thames: Any
    job: Any
    support_role: Any
    books_role: Any
    pitch: Any
    engagement: Any
    ana_seat: Any
    ben_seat: Any
    b_engagement: Any
    carla_seat: Any


def build_work(cast: Cast) -> Work:
    import datetime as dt

    from django.utils import timezone

    from mutualist.members.models import Skill
    from mutualist.work.models import (
        Client,
        ClientContact,
        CoverageWindow,
        Engagement,
        EngagementMember,
        EngagementShift,
        Job,
        JobRole,
        Pitch,
        PitchMember,
        PitchRole,
        PitchShift,
    )

    dana = make_member("dana@harbour.example", "Dana Whitlock", timezone="Australia/Sydney")
    evan = make_member("evan@thames.example", "Evan Price", timezone="Europe/London")
    harbour = Client.objects.create(
        name="Harbour Bridge Logistics",
        country="AU",
        timezone="Australia/Sydney",
        currency="AUD",
        billing_address="1 Harbour St\nSydney NSW 2000\nAustralia",
        tax_id="ABN 51 824 753 556",
        created_by=dana,
    )
    ClientContact.objects.create(client=harbour, user=dana)
    thames = Client.objects.create(
        name="Thames Tea Ltd",
        country="GB",
        timezone="Europe/London",
        currency="GBP",
        billing_address="2 River Rd\nLondon SE1\nUnited Kingdom",
        created_by=evan,
    )
    ClientContact.objects.create(client=thames, user=evan)
    support = Skill.objects.get(slug="customer_support")
    bookkeeping = Skill.objects.get(slug="bookkeeping")
    job = Job.objects.create(
        client=harbour,
        posted_by=dana,
        title="Customer support, Sydney business hours",
        description="Answer customers by chat and email; keep the books tidy.",
        start_date=dt.date(2026, 11, 30),
        duration_weeks=26,
        timezone="Australia/Sydney",
        budget_kind=Job.BudgetKind.HOURLY,
        budget_minor=3500,
        currency="AUD",
        state=Job.State.FILLED,
    )
    support_role = JobRole.objects.create(
        job=job, position=0, skill=support, title="Support", kind=JobRole.Kind.COVERAGE
    )
    for day in range(5):
        CoverageWindow.objects.create(role=support_role, weekday=day, start_hour=9, end_hour=17)
    books_role = JobRole.objects.create(
        job=job, position=1, skill=bookkeeping, title="Books", kind=JobRole.Kind.FLEXIBLE,
        flexible_hours=6,
    )  # fmt: skip
    now = timezone.now()
    pitch = Pitch.objects.create(
        job=job, collective=cast.collective_a, created_by=cast.ana, state=Pitch.State.ACCEPTED,
        message="We cover your hours from Manila.", currency="AUD", sent_at=now,
        decided_at=now, decided_by=dana,
    )  # fmt: skip
    PitchRole.objects.create(pitch=pitch, job_role=support_role, bill_rate_minor=2500)
    PitchRole.objects.create(pitch=pitch, job_role=books_role, bill_rate_minor=3000)
    ana_line = PitchMember.objects.create(
        pitch=pitch, job_role=support_role, user=cast.ana, pay_rate_minor=2000
    )
    for day in range(5):
        PitchShift.objects.create(member=ana_line, weekday=day, start_hour=9, end_hour=17)
    PitchMember.objects.create(
        pitch=pitch, job_role=books_role, user=cast.ben, pay_rate_minor=2400, flexible_hours=6
    )
    engagement = Engagement.objects.create(
        collective=cast.collective_a, client=harbour, job=job, pitch=pitch,
        title=job.title, currency="AUD", timezone="Australia/Sydney",
        status=Engagement.Status.ACTIVE, starts_on=dt.date(2026, 11, 30),
    )  # fmt: skip
    ana_seat = EngagementMember.objects.create(
        engagement=engagement, user=cast.ana, role_title="Support", skill=support,
        bill_rate_minor=2500, pay_rate_minor=2000, weekly_cap_hours=40,
    )  # fmt: skip
    for day in range(5):
        EngagementShift.objects.create(member=ana_seat, weekday=day, start_hour=9, end_hour=17)
    ben_seat = EngagementMember.objects.create(
        engagement=engagement, user=cast.ben, role_title="Books", skill=bookkeeping,
        bill_rate_minor=3000, pay_rate_minor=2400, weekly_cap_hours=10,
    )  # fmt: skip
    b_engagement = Engagement.objects.create(
        collective=cast.collective_b, client=thames, title="Tea shop inbox", currency="GBP",
        timezone="Europe/London", status=Engagement.Status.ACTIVE,
        starts_on=dt.date(2026, 11, 2),
    )  # fmt: skip
    carla_seat = EngagementMember.objects.create(
        engagement=b_engagement, user=cast.carla, role_title="Inbox", skill=support,
        bill_rate_minor=2200, pay_rate_minor=1800, weekly_cap_hours=20,
    )  # fmt: skip
    return Work(
        cast, dana, evan, harbour, thames, job, support_role, books_role, pitch,
        engagement, ana_seat, ben_seat, b_engagement, carla_seat,
    )  # fmt: skip


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def approved_time(
    engagement: Any,
    member: User,
    *,
    minutes: int,
    day: Any,
    approver: User,
    kind: str = "manual",
    at: Any = None,
    approved: bool = True,
    billable: bool = True,
) -> Any:
    """An approved entry of ``minutes`` on ``day`` at 01:00 UTC (or ``at``,
    a UTC time of day), written straight to the tables (the time services
    are tested on their own). ``minutes`` below zero makes an adjustment;
    ``approved=False`` an entry still waiting in a submitted week,
    ``billable=False`` one the client is not billed for."""
    import datetime as dt

    from mutualist.work.models import TimeEntry, Timesheet

    start = dt.datetime.combine(day, at or dt.time(1), tzinfo=dt.UTC)
    week = day - dt.timedelta(days=day.weekday())
    sheet, _ = Timesheet.objects.get_or_create(
        engagement=engagement,
        member=member,
        week_start=week,
        defaults={"state": Timesheet.State.APPROVED, "decided_at": start, "decided_by": approver},
    )
    adjustment = minutes < 0
    return TimeEntry.objects.create(
        engagement=engagement,
        member=member,
        timesheet=sheet,
        kind="adjustment" if adjustment else kind,
        started_at=start,
        ended_at=None if adjustment else start + dt.timedelta(minutes=minutes),
        minutes=minutes,
        billable=billable,
        approved_at=start + dt.timedelta(days=7) if approved else None,
        approved_by=approver if approved else None,
        created_by=member,
    )


@dataclass(frozen=True)
class Billed:
    """``work`` plus approved time to invoice on collective A's Harbour
    engagement (AUD): Ana 10 h of support at 25.00 (250.00 AUD), Ben 3 h 20
    min of books at 30.00 (100.00 AUD), in the week of 30 November 2026.
    Carla has 5 h on collective B's Thames engagement (GBP)."""

    work: Work
    ana_entries: list[Any]
    ben_entries: list[Any]
    carla_entries: list[Any]


def build_billed(work: Work) -> Billed:
    import datetime as dt

    cast = work.cast
    monday = dt.date(2026, 11, 30)
    ana = [
        approved_time(work.engagement, cast.ana, minutes=300, day=monday + dt.timedelta(days=n),
                      approver=work.dana)
        for n in range(2)
    ]  # fmt: skip
    ben = [approved_time(work.engagement, cast.ben, minutes=200, day=monday, approver=work.dana)]
    carla = [
        approved_time(work.b_engagement, cast.carla, minutes=300, day=monday, approver=work.evan)
    ]
    return Billed(work, ana, ben, carla)


@pytest.fixture
def billed(work: Work) -> Billed:
    return build_billed(work)


# The day billing tests run on: after the ``billed`` entries (late November,
# early December 2026), since nothing is issued, paid or paid out ahead of time.
BILLING_NOW = "2026-12-08T12:00:00+00:00"


@pytest.fixture
def billing_time(time_machine: Any) -> None:
    """Freezes the clock at ``BILLING_NOW`` (8 December 2026, noon UTC)."""
    import datetime as dt

    time_machine.move_to(dt.datetime.fromisoformat(BILLING_NOW), tick=False)


def billing_draft(billed: Billed, *, tax_rate: str | None = "10", **kwargs: Any) -> Any:
    """A draft of collective A's Harbour time in ``billed`` (350.00 AUD net),
    with ``tax_rate`` percent tax, drafted by Ana."""
    from mutualist.billing.services import invoice_draft_create

    work = billed.work
    return invoice_draft_create(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        engagement=work.engagement,
        tax_rate=tax_rate,
        **kwargs,
    )


def billing_issued(billed: Billed, *, tax_rate: str | None = "10", **kwargs: Any) -> Any:
    """``billing_draft`` issued by Ana today: 350.00 + 35.00 tax = 385.00 AUD."""
    from mutualist.billing.services import invoice_issue

    draft = billing_draft(billed, tax_rate=tax_rate, **kwargs)
    return invoice_issue(invoice=draft, actor=billed.work.cast.ana)


def billing_pay(invoice: Any, amount: str, key: str, **kwargs: Any) -> Any:
    """Record ``amount`` (``"100 AUD"``) received today for ``invoice``,
    by a coordinator of its collective, by bank transfer."""
    from django.utils import timezone

    from mutualist.billing.services import payment_record
    from mutualist.collectives.models import Membership
    from mutualist.core.money import Money

    value, currency = amount.split()
    coordinator = (
        Membership.objects.filter(
            collective_id=invoice.collective_id, role=Membership.Role.COORDINATOR
        )
        .select_related("user")
        .first()
    )
    if coordinator is None:
        raise LookupError("The invoice's collective has no coordinator.")
    kwargs.setdefault("received_on", timezone.localdate())
    kwargs.setdefault("method", "bank_transfer")
    return payment_record(
        invoice=invoice,
        actor=coordinator.user,
        amount=Money(value, currency),
        idempotency_key=key,
        **kwargs,
    )


INVOICE_FIGURES = (
    "pk", "status", "number", "seq", "paid_minor", "credited_minor", "subtotal_minor",
    "tax_minor", "total_minor", "tax_rate", "notes", "period_start", "period_end",
)  # fmt: skip


def billing_state() -> dict[str, Any]:
    """Everything a refused billing call must leave as it was: the row count
    of every billing table and of the ledger's, each account's balance, and
    each invoice's running figures."""
    from mutualist.billing.models import (
        BillingSettings,
        Invoice,
        InvoiceCounter,
        InvoicedTime,
        InvoiceLine,
        Payment,
        PaymentShare,
        Payout,
        PayoutSetting,
    )
    from mutualist.ledger.models import Account, Posting, Transaction

    tables = (
        BillingSettings, Invoice, InvoiceCounter, InvoiceLine, InvoicedTime, Payment,
        PaymentShare, Payout, PayoutSetting, Account, Transaction, Posting,
    )  # fmt: skip
    return {
        "rows": {model.__name__: model.objects.count() for model in tables},
        "balances": dict(Account.objects.values_list("name", "balance_minor")),
        "invoices": {row[0]: row[1:] for row in Invoice.objects.values_list(*INVOICE_FIGURES)},
        "counters": dict(InvoiceCounter.objects.values_list("series", "last_seq")),
    }


@pytest.fixture
def ledger_checked_after(db: None) -> Any:
    """Runs ``mutualist ledger check`` when the test is done: whatever it did,
    refused or not, the books still add up."""
    yield
    ledger_checked()


def ledger_checked() -> str:
    """Runs ``mutualist ledger check`` and returns what it printed; fails the
    test when it finds anything wrong."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("ledger", "check", stdout=out)
    return out.getvalue()
