"""Bill the demo's work (``mutualist.demo.billing_world``) through the billing services.

Every collective gets its billing settings and its members their payout
settings; Manila, whose engagements have weeks of approved time, gets a
history of invoices, a credit note, payments and payouts. As in
``mutualist.demo.work``, the history is made the way it would have happened:
the loader travels back in time (``time_machine``) to each moment, in the
order the moments came, and calls the same services a coordinator's clicks
call. So numbers follow the issue dates, nothing is paid before it was
issued, every payment is split by the collective's bylaws exactly, and
``mutualist ledger check`` passes.

Dates are counted from the day Manila's engagements started (see the data
module), not from today: a demo whose work was loaded weeks ago gets its
billing fitted to the weeks it has.

Loading is all or nothing and runs once: the billing is there when the
sentinel payment is (``billing_is_loaded``), and is never added to a demo
whose coordinator has invoiced by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import partial
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from mutualist.billing.accounts import default_deposit_account, find_member_account
from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import (
    FixedItem,
    billing_settings_update,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    payment_record,
    payout_record,
    payout_setting_set,
)
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.demo.billing_world import (
    COORDINATOR,
    INVOICES,
    MANILA,
    PAYOUT_SETTINGS,
    PAYOUTS,
    RATES_TODAY,
    SENTINEL_PAYMENT,
    SETTINGS,
    DemoInvoice,
    DemoPayment,
    DemoPayout,
)
from mutualist.demo.work_world import JOBS
from mutualist.demo.world import COLLECTIVES
from mutualist.ledger.services import exchange_rate_set
from mutualist.members.models import User
from mutualist.work.models import Engagement

__all__ = ["BillingLoaded", "billing_is_loaded", "billing_load", "demo_key"]

MANILA_ZONE = ZoneInfo("Asia/Manila")
# The hour of the day (Manila) at which the coordinator does each thing.
AT_HOUR = dt.time(10, 0)
SIX_PLACES = Decimal("0.000001")


@dataclass
class BillingLoaded:
    """What one load did."""

    invoices: int = 0  # issued, credit notes not counted
    credit_notes: int = 0
    drafts: int = 0
    payments: int = 0
    payouts: int = 0
    payout_settings: int = 0


def demo_key(key: str) -> str:
    """The idempotency key the demo gives a payment, credit note or payout."""
    return f"demo:{key}"


def billing_is_loaded() -> bool:
    """The demo's billing is there, or Manila already bills by hand (a demo
    loaded before billing existed, then explored): the demo's history would
    collide with those invoices (time billed twice, numbers taken), so it is
    left out, as an edited profile is left as it is."""
    if Payment.objects.filter(idempotency_key=demo_key(SENTINEL_PAYMENT)).exists():
        return True
    return Invoice.objects.filter(collective__slug=MANILA).exists()


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Services see ``moment`` as now (never later than the real now)."""
    if moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def billing_load(
    *, users: Mapping[str, User], collectives: Mapping[str, Collective]
) -> BillingLoaded:
    """Load the demo's billing; call inside the demo's transaction, after its
    work (``mutualist.demo.work``). ``users`` maps demo logins to accounts."""
    loaded = BillingLoaded()
    for spec in SETTINGS:
        collective = collectives[spec.slug]
        billing_settings_update(
            collective=collective,
            actor=_coordinator_of(collective, users),
            number_prefix=spec.prefix,
            payment_instructions=spec.payment_instructions,
            late_payment_terms=spec.late_payment_terms,
        )
    for choice in PAYOUT_SETTINGS:
        member = users[choice.login]
        payout_setting_set(
            collective=collectives[choice.slug],
            member=member,
            actor=member,
            currency=choice.currency,
            details=choice.details,
        )
        loaded.payout_settings += 1
    _History(collective=collectives[MANILA], coordinator=users[COORDINATOR], users=users).run(
        loaded
    )
    manila, ana = collectives[MANILA], users[COORDINATOR]
    today = timezone.localdate()
    for rate in RATES_TODAY:
        exchange_rate_set(
            collective=manila, actor=ana, base=rate.base, quote=rate.quote, rate=rate.rate, on=today
        )
    return loaded


def _coordinator_of(collective: Collective, users: Mapping[str, User]) -> User:
    spec = next(c for c in COLLECTIVES if c.slug == collective.slug)
    return users[spec.coordinator]


class _History:
    """Manila's invoices, payments and payouts, replayed in the order they happened."""

    def __init__(
        self, *, collective: Collective, coordinator: User, users: Mapping[str, User]
    ) -> None:
        self.collective = collective
        self.ana = coordinator
        self.users = users
        self.engagements = self._engagements()
        self.start = min(e.starts_on for e in self.engagements.values())
        self.invoices: dict[str, Invoice] = {}

    def _engagements(self) -> dict[str, Engagement]:
        found = {}
        for job in JOBS:
            engagement = (
                Engagement.objects.filter(
                    collective=self.collective,
                    job__title=job.title,
                    status=Engagement.Status.ACTIVE,
                )
                .select_related("client", "collective")
                .first()
            )
            if engagement is not None:
                found[job.key] = engagement
        return found

    def day(self, offset: int) -> dt.date:
        return self.start + dt.timedelta(days=offset)

    def moment(self, offset: int) -> dt.datetime:
        return dt.datetime.combine(self.day(offset), AT_HOUR, tzinfo=MANILA_ZONE)

    def run(self, loaded: BillingLoaded) -> None:
        steps: list[tuple[int, int, Callable[[], None]]] = []

        def add(day: int, step: Callable[[], None]) -> None:
            # Ordered by day, then as listed in the data.
            steps.append((day, len(steps), step))

        for spec in INVOICES:
            add(spec.day, partial(self.invoice, spec, loaded))
            if spec.credit is not None:
                add(spec.credit.day, partial(self.credit, spec, loaded))
            for payment in spec.payments:
                add(payment.day, partial(self.pay, spec, payment, loaded))
        for payout in PAYOUTS:
            add(payout.day, partial(self.payout, payout, loaded))
        for day, _, step in sorted(steps, key=lambda item: (item[0], item[1])):
            with _at(self.moment(day)):
                step()

    def invoice(self, spec: DemoInvoice, loaded: BillingLoaded) -> None:
        engagement = self.engagements[spec.job]
        # A day in the client's zone (the service reads it so).
        until = self.day(spec.time_until) if spec.time_until is not None else None
        draft = invoice_draft_create(
            collective=self.collective,
            actor=self.ana,
            engagement=engagement,
            include_time=spec.time_until is not None,
            until=until,
            items=[
                FixedItem(
                    description=item.description,
                    quantity=item.quantity,
                    unit_price=Money(item.unit_price, engagement.currency),
                    member=self.users[item.login] if item.login else None,
                )
                for item in spec.items
            ],
            notes=spec.notes,
        )
        if spec.draft:
            self.invoices[spec.key] = draft
            loaded.drafts += 1
            return
        self.invoices[spec.key] = invoice_issue(invoice=draft, actor=self.ana)
        loaded.invoices += 1

    def credit(self, spec: DemoInvoice, loaded: BillingLoaded) -> None:
        assert spec.credit is not None  # noqa: S101 - scheduled only when there is one
        invoice = self.invoices[spec.key]
        credit_note_issue(
            invoice=invoice,
            actor=self.ana,
            reason=spec.credit.reason,
            idempotency_key=demo_key(spec.credit.key),
            amount=Money(spec.credit.amount, invoice.currency),
        )
        loaded.credit_notes += 1

    def pay(self, spec: DemoInvoice, payment: DemoPayment, loaded: BillingLoaded) -> None:
        invoice = Invoice.objects.get(pk=self.invoices[spec.key].pk)
        unpaid = Money.from_minor(invoice.outstanding_minor, invoice.currency)
        wanted = unpaid
        if payment.part != "1":
            # A round amount "on account": the part, to whole units, down.
            whole = (unpaid.amount * Decimal(payment.part)).quantize(
                Decimal(1), rounding=ROUND_DOWN
            )
            wanted = Money(whole, invoice.currency)
        amount, rate = wanted, None
        if payment.currency is not None and payment.currency != invoice.currency:
            assert payment.rate is not None  # noqa: S101 - a foreign payment names its rate
            amount, rate = _sent_for(wanted, payment.currency, Decimal(payment.rate))
        payment_record(
            invoice=invoice,
            actor=self.ana,
            amount=amount,
            received_on=timezone.localdate(),
            method=payment.method,
            reference=payment.reference,
            idempotency_key=demo_key(payment.key),
            fx_rate=rate,
            fx_rate_source=payment.rate_source,
        )
        loaded.payments += 1

    def payout(self, spec: DemoPayout, loaded: BillingLoaded) -> None:
        member = self.users[spec.login]
        payable = find_member_account(self.collective, member, spec.currency)
        assert payable is not None and payable.balance_minor < 0  # noqa: S101 - data error
        payout_record(
            collective=self.collective,
            member=member,
            actor=self.ana,
            amount=Money.from_minor(-payable.balance_minor, spec.currency),
            source_account=default_deposit_account(self.collective, spec.source),
            paid_on=timezone.localdate(),
            idempotency_key=demo_key(spec.key),
            reference=spec.reference,
            fx_rate=spec.rate,
            fx_rate_source=spec.rate_source,
        )
        loaded.payouts += 1


def _sent_for(wanted: Money, currency: str, about: Decimal) -> tuple[Money, Decimal]:
    """What a client sends in ``currency`` to settle ``wanted`` at about
    ``about`` (units of ``wanted``'s currency per unit of ``currency``), and
    the rate the bank applied: to six places, chosen so that the amount
    sent is worth exactly ``wanted``."""
    sent = wanted.convert(Decimal(1) / about, currency)
    step = Money.from_minor(1, currency)
    for nudge in (0, 1, -1, 2, -2):
        candidate = sent + step * nudge
        rate = (wanted.amount / candidate.amount).quantize(SIX_PLACES)
        if candidate.convert(rate, wanted.currency) == wanted:
            return candidate, rate
    raise ValueError(f"No six-place rate turns {currency} into exactly {wanted}.")
