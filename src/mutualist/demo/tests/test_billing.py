"""The demo's billing: invoices in every state, a payment in another currency,
exact shares, payouts, and books that `ledger check` and `bean-check` pass.

The demo is loaded once for the class (``setUpTestData``): it takes seconds,
and each test only reads it or changes it inside its own rolled-back
transaction.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from mutualist.billing.accounts import find_member_account
from mutualist.billing.models import (
    BillingSettings,
    Invoice,
    InvoicedTime,
    InvoiceLine,
    Payment,
    PaymentShare,
    Payout,
    PayoutSetting,
)
from mutualist.billing.selectors import member_shares
from mutualist.billing.services import (
    invoice_draft_create,
    invoice_issue,
    invoice_targets,
    invoiceable_entries,
    payment_record,
)
from mutualist.collectives.models import Collective, Membership
from mutualist.core.money import Money
from mutualist.demo import data as demo
from mutualist.demo.billing import billing_is_loaded, demo_key
from mutualist.demo.billing_world import INVOICES, PAYOUT_SETTINGS
from mutualist.ledger.check import ledger_check
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.members.models import User
from mutualist.mutual.models import Deposit
from mutualist.work.models import Engagement

EMAIL = "{}@demo.mutualist.coop"
BEAN_CHECK = Path(sys.executable).parent / "bean-check"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROWS = (Invoice, InvoiceLine, InvoicedTime, Payment, PaymentShare, Payout, PayoutSetting)


def user(login: str) -> User:
    return User.objects.get(email=EMAIL.format(login))


def invoice_of(key: str) -> Invoice:
    """The demo invoice made from ``billing_world.INVOICES`` entry ``key``."""
    spec = next(spec for spec in INVOICES if spec.key == key)
    if spec.payments:
        payment = Payment.objects.get(idempotency_key=demo_key(spec.payments[0].key))
        return Invoice.objects.get(pk=payment.invoice_id)
    found = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, notes=spec.notes, collective__slug="manila-va"
    )
    return found.get()


def deposits_from(payable: Account) -> int:
    """What the sick-pay fund's deposits took from a member's payable."""
    taken = Posting.objects.filter(account=payable, transaction__kind="fund_deposit").aggregate(
        total=Sum("amount_minor")
    )["total"]
    return int(taken or 0)


def row_counts() -> dict[str, int]:
    counted = {model.__name__: model.objects.count() for model in ROWS}
    counted["Transaction"] = Transaction.objects.count()
    return counted


class DemoBillingTests(TestCase):
    loaded: demo.DemoResult
    today: dt.date

    @classmethod
    def setUpTestData(cls) -> None:
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            cls.loaded = demo.demo_load()
        cls.today = timezone.localdate()

    def test_it_issues_invoices_in_every_state_and_leaves_a_draft(self):
        # when
        invoices = Invoice.objects.filter(collective__slug="manila-va", kind="invoice")
        states = sorted(
            (invoice.status, invoice.paid_minor > 0, invoice.credited_minor > 0)
            for invoice in invoices
        )
        # then: three paid (one of them after a credit note), one partly paid,
        # one paid only in part after it fell overdue, one draft; and the funds'
        # invoice to Casa Verde, paid (``mutualist.demo.mutual``)
        assert states == [
            ("draft", False, False),
            ("issued", True, False),
            ("issued", True, False),
            ("paid", True, False),
            ("paid", True, False),
            ("paid", True, False),
            ("paid", True, True),
        ]
        partly = invoice_of("camden-week-3")
        assert 0 < partly.paid_minor < partly.total_minor
        # Lone Star's onboarding: $192 of $240 on account, after the guarantee's claim
        overdue = invoice_of("lonestar-onboarding")
        assert (overdue.paid_minor, overdue.total_minor) == (19_200, 24_000)
        assert invoices.get(client__name="Casa Verde Restaurant").status == "paid"
        note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
        assert note.credits == invoice_of("camden-weeks-1-2")
        assert (note.status, note.total_minor, note.currency) == ("issued", 6000, "GBP")
        assert note.issue_date is not None
        assert note.number == f"MNL-CN-{note.issue_date.year}-0001"
        assert (self.loaded.invoices, self.loaded.payments, self.loaded.payouts) == (6, 4, 2)

    def test_the_unpaid_invoice_is_past_its_due_date_so_tick_marks_it_overdue(self):
        # given
        overdue = invoice_of("lonestar-onboarding")
        assert overdue.status == Invoice.Status.ISSUED
        assert overdue.due_date is not None and overdue.due_date < self.today
        assert overdue.overdue_at is None
        # when
        call_command("tick", stdout=StringIO(), stderr=StringIO())
        # then: it alone is overdue; the partly paid one is not due yet
        marked = Invoice.objects.filter(overdue_at__isnull=False)
        assert list(marked) == [overdue]
        not_due = invoice_of("camden-week-3").due_date
        assert not_due is not None and not_due >= self.today

    def test_the_aud_invoice_paid_in_us_dollars_records_the_rate_and_converts(self):
        # given
        invoice = invoice_of("bondi-weeks-1-2")
        # when
        (payment,) = invoice.payments.all()
        posted = payment.transaction
        # then: the dollars that arrived are worth exactly what was owed, at the
        # rate recorded on the payment and on its ledger transaction
        assert (invoice.currency, payment.currency, invoice.status) == ("AUD", "USD", "paid")
        assert payment.fx_rate is not None
        assert payment.fx_rate.normalize() == Decimal("1.532598")
        assert posted.fx_rate == payment.fx_rate
        assert payment.fx_rate_source == "Wise: what Bondi's US-dollar transfer was worth in AUD"
        received = Money.from_minor(payment.amount_minor, "USD")
        assert received.convert(payment.fx_rate, "AUD").minor_units == payment.applied_minor
        assert payment.applied_minor == invoice.total_minor
        trading = {
            p.account.name: p.amount_minor
            for p in posted.postings.select_related("account")
            if ":Trading:" in p.account.name
        }
        assert trading == {
            "Equity:Collectives:ManilaVa:Trading:USD": -payment.amount_minor,
            "Equity:Collectives:ManilaVa:Trading:AUD": payment.applied_minor,
        }
        bank = posted.postings.get(account__name="Assets:Collectives:ManilaVa:Bank:USD")
        assert bank.amount_minor == payment.amount_minor

    def test_every_recipient_of_a_settled_invoice_gets_exactly_its_share(self):
        for invoice in Invoice.objects.filter(status=Invoice.Status.PAID):
            # when
            given = dict(
                PaymentShare.objects.filter(invoice=invoice)
                .values("key")
                .annotate(total=Sum("amount_minor"))
                .values_list("key", "total")
            )
            # then: to the minor unit, what the split rule gives each of them
            # out of what the invoice asks for once its credit notes are off
            owed = {t.key: t.amount.minor_units for t in invoice_targets(invoice)}
            assert given == owed, invoice.number
            assert sum(given.values()) == invoice.total_minor - invoice.credited_minor

    def test_each_payment_is_shared_out_to_the_last_unit(self):
        for payment in Payment.objects.all():
            # when
            shares = list(payment.shares.all())
            # then
            assert sum(s.amount_minor for s in shares) == payment.applied_minor
            assert all(s.amount_minor > 0 for s in shares)
            treasury = sum(s.amount_minor for s in shares if s.recipient == "treasury")
            applied = Decimal(payment.applied_minor)
            # The treasury's percent of the bylaws the invoice was issued under,
            # within a unit of rounding.
            percent = Decimal(payment.invoice.split_rule["treasury"])
            assert abs(treasury - applied * percent / 100) < 1, payment.invoice.number
        # 10 % for the billing demo's invoices, 12 % for the funds' one, issued
        # once the decisions raised it
        percents = {p.invoice.split_rule["treasury"] for p in Payment.objects.all()}
        assert percents == {"10.00", "12.00"}

    def test_every_member_sees_their_own_shares_and_their_payable_holds_them(self):
        manila = Collective.objects.get(slug="manila-va")
        paid_out: dict[tuple[int, str], int] = defaultdict(int)
        for payout in Payout.objects.all():
            paid_out[(payout.member_id, payout.currency)] += payout.amount_minor
        for login in ("ana", "liza", "rico", "bea"):
            member = user(login)
            # when: the member reads their shares
            mine = list(member_shares(user=member, collective=manila))
            # then: only theirs, and what the collective owes them in each
            # currency is those shares less what was paid out, and less the
            # sick-pay deposits taken from it (``mutualist.demo.mutual``)
            assert mine and all(share.member_id == member.pk for share in mine)
            totals: dict[str, int] = defaultdict(int)
            for share in mine:
                totals[share.currency] += share.amount_minor
            for currency, total in totals.items():
                account = find_member_account(manila, member, currency)
                assert account is not None
                owed = -account.balance_minor
                deposited = deposits_from(account)
                assert owed == total - paid_out[(member.pk, currency)] - deposited, (
                    login,
                    currency,
                )
                assert owed >= 0
        # Bea's pesos could not cover her deposit this month: ₱675 came out of her
        # pounds at the day's rate, 74.66, rounded up to the penny
        bea_pounds = find_member_account(manila, user("bea"), "GBP")
        assert bea_pounds is not None and deposits_from(bea_pounds) == 905
        # and Ana's shares of the Bondi invoice are 90% of what her lines billed
        bondi = invoice_of("bondi-weeks-1-2")
        ana_billed = bondi.lines.filter(member=user("ana")).aggregate(t=Sum("amount_minor"))["t"]
        ana_share = PaymentShare.objects.get(invoice=bondi, member=user("ana")).amount_minor
        assert ana_share == ana_billed * 9 // 10

    def test_liza_is_paid_in_pesos_from_the_peso_account_and_rico_in_dollars(self):
        # when
        liza = Payout.objects.get(member=user("liza"))
        rico = Payout.objects.get(
            member=user("rico"), idempotency_key=demo_key("rico-lonestar-usd")
        )
        # then: Liza's AUD share went out in pesos, her payout currency
        assert PayoutSetting.objects.get(member=user("liza")).currency == "PHP"
        assert (liza.currency, liza.sent_currency) == ("AUD", "PHP")
        assert liza.source_account.name == "Assets:Collectives:ManilaVa:Bank:PHP"
        assert liza.fx_rate is not None
        assert liza.sent_minor == (
            Money.from_minor(liza.amount_minor, "AUD").convert(liza.fx_rate, "PHP").minor_units
        )
        assert liza.transaction.fx_rate == liza.fx_rate
        # and Rico's USD share in dollars, as he asked
        assert PayoutSetting.objects.get(member=user("rico")).currency == "USD"
        assert (rico.currency, rico.sent_currency, rico.fx_rate) == ("USD", "USD", None)
        # (his other payout is the guarantee fund's advance, ``mutualist.demo.mutual``)
        assert sorted(Payout.objects.filter(member=user("rico")).values_list("reference")) == [
            (rico.reference,),
            ("Wise USD to Rico's account: the guarantee's advance on the onboarding",),
        ]
        # and both were paid all they were owed in that currency
        manila = Collective.objects.get(slug="manila-va")
        for payout in (liza, rico):
            account = find_member_account(manila, payout.member, payout.currency)
            assert account is not None and account.balance_minor == 0

    def test_invoices_are_numbered_in_issue_order_and_bill_only_time_approved_before(self):
        # when
        issued = list(
            Invoice.objects.filter(kind="invoice")
            .exclude(status="draft")
            .order_by("issued_at", "pk")
        )
        # then: gapless, in the order they were issued, from 1 each year (a demo
        # loaded in January has invoices of both years)
        by_year: dict[int, list[Invoice]] = defaultdict(list)
        for invoice in issued:
            assert invoice.issue_date is not None and invoice.issued_at is not None
            assert invoice.issue_date == invoice.issued_at.date()
            by_year[invoice.issue_date.year].append(invoice)
        assert len(issued) == 5 + 1  # the billing's, and the funds' to Casa Verde
        for year, invoices in by_year.items():
            assert [i.number for i in invoices] == [
                f"MNL-{year}-{seq:04}" for seq in range(1, len(invoices) + 1)
            ]
        # and no invoice bills an hour its client had not approved when it was made
        for billed in InvoicedTime.objects.select_related("invoice", "time_entry"):
            entry = billed.time_entry
            assert entry.approved_at is not None
            assert entry.approved_at < billed.invoice.created_at, billed.invoice

    def test_nothing_is_dated_after_the_day_the_demo_was_loaded(self):
        now = timezone.now()
        assert not Invoice.objects.filter(issue_date__gt=self.today).exists()
        assert not Invoice.objects.filter(created_at__gt=now).exists()
        assert not Payment.objects.filter(received_on__gt=self.today).exists()
        assert not Payout.objects.filter(paid_on__gt=self.today).exists()
        for payment in Payment.objects.select_related("invoice"):
            issued_on = payment.invoice.issue_date
            assert issued_on is not None and issued_on <= payment.received_on

    def test_every_collective_bills_under_its_own_prefix_and_every_member_chose_a_currency(self):
        # when
        prefixes = dict(BillingSettings.objects.values_list("collective__slug", "number_prefix"))
        # then
        assert prefixes == {"manila-va": "MNL", "remote-crew": "RC", "nairobi-vo": "NVO"}
        for settings in BillingSettings.objects.all():
            assert settings.payment_instructions and settings.late_payment_terms
        # and the terms are on each issued invoice, as they were when it was issued
        for invoice in Invoice.objects.exclude(status="draft").filter(kind="invoice"):
            assert "3081-0442-17" in invoice.payment_instructions
            assert "1% a month" in invoice.late_payment_terms
        active = set(
            Membership.objects.filter(state=Membership.State.ACTIVE).values_list(
                "collective__slug", "user__email"
            )
        )
        chosen = set(PayoutSetting.objects.values_list("collective__slug", "member__email"))
        assert chosen == active
        assert len(PAYOUT_SETTINGS) == len(active)

    def test_ledger_check_and_bean_check_pass(self):
        # when
        violations = ledger_check()
        out = StringIO()
        call_command("ledger", "check", stdout=out)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "demo.beancount"
            call_command(
                "ledger", "export", "--format", "beancount", "-o", str(path), stdout=StringIO()
            )
            checked = subprocess.run(  # noqa: S603 (our own venv's bean-check on our own file)
                [str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False
            )
        # then
        assert violations == []
        assert out.getvalue().startswith("ledger ok: ")
        assert (checked.returncode, checked.stderr) == (0, "")
        unbalanced = (
            Posting.objects.values("transaction", "currency")
            .annotate(total=Sum("amount_minor"))
            .exclude(total=0)
        )
        assert list(unbalanced) == []
        guarded = Account.objects.filter(must_not_go_negative=True)
        assert not [a.name for a in guarded if a.would_go_negative(a.balance_minor)]

    def test_ana_invoices_bondis_approved_week_and_is_paid_in_another_currency(self):
        # given: the demo left Bondi's third week approved and unbilled
        ana = user("ana")
        manila = Collective.objects.get(slug="manila-va")
        bondi = Engagement.objects.get(collective=manila, client__name__startswith="Bondi")
        unbilled = invoiceable_entries(engagement=bondi).count()
        assert unbilled > 0
        # when: she invoices it and Bondi pays in US dollars today, at the rate on record
        draft = invoice_draft_create(collective=manila, actor=ana, engagement=bondi)
        invoice = invoice_issue(invoice=draft, actor=ana)
        pdf = self.client_for(ana).get(reverse("billing:invoice_pdf", args=[invoice.pk]))
        # Enough dollars at 1.5330 (rounded up to the cent): at most a cent or
        # two over, kept as Bondi's credit.
        dollars = Money.from_minor(-(-invoice.total_minor * 10_000 // 15_330), "USD")
        payment = payment_record(
            invoice=invoice,
            actor=ana,
            amount=dollars,
            received_on=self.today,
            method="bank_transfer",
            idempotency_key="test-bondi-week-3",
            excess="credit",
        )
        # then
        assert invoiceable_entries(engagement=bondi).count() == 0
        assert invoice.billed_time.count() == unbilled
        assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
        assert pdf.content.startswith(b"%PDF")
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID
        assert payment.fx_rate == Decimal("1.5330")
        assert payment.fx_rate_source == f"{self.today} rate entered by Ana Reyes"
        worth = dollars.convert(Decimal("1.5330"), "AUD").minor_units
        assert (payment.applied_minor, payment.credit_minor) == (
            invoice.total_minor,
            worth - invoice.total_minor,
        )
        assert 0 <= payment.credit_minor <= 2
        targets = {t.key: t.amount.minor_units for t in invoice_targets(invoice)}
        given = dict(payment.shares.values_list("key", "amount_minor"))
        assert given == targets
        assert ledger_check() == []

    def test_loading_again_creates_nothing(self):
        # given
        before = row_counts()
        # when
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            again = demo.demo_load()
        # then
        assert demo.demo_is_loaded() and billing_is_loaded()
        assert not again.anything
        assert row_counts() == before

    def client_for(self, member: User):
        self.client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
        return self.client


@pytest.mark.django_db
def test_once_adds_the_billing_to_a_demo_loaded_before_it_had_any(capsys):
    # given: a demo with its books and work, from before billing
    demo.demo_load(with_billing=False)
    before = Counter(Transaction.objects.values_list("kind", flat=True))
    assert not demo.demo_is_loaded()
    # when
    call_command("demo", "--once")
    # then
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded: 0 people, 0 collectives, 0 memberships")
    assert "6 invoices and credit notes issued, 4 payments and 2 payouts recorded;" in out
    # and the decisions and funds, which build on the billing
    assert "6 proposals made" in out
    assert "3 mutual funds set up, with 3 claims on them." in out
    assert demo.demo_is_loaded()
    # the billing's five invoices and credit note, and the funds' invoice to Casa Verde
    assert Invoice.objects.exclude(status="draft").count() == 6 + 1
    added = Counter(Transaction.objects.values_list("kind", flat=True)) - before
    assert added == {
        # the billing's, then the funds' (Casa Verde's invoice and payment, Lone
        # Star's payment on account, the guarantee's advance paid out to Rico)
        "invoice": 5 + 1,
        "credit_note": 1,
        "payment": 4 + 2,
        "payout": 2 + 1,
        # the funds' own: the treasury's seeds, one posting per paid deposit, and
        # Carlo's sick pay, Paolo's top-up and the guarantee's advance
        "fund_seed": 2,
        "fund_deposit": Deposit.objects.filter(state=Deposit.State.PAID).count(),
        "fund_payout": 3,
    }
    assert ledger_check() == []


def test_the_demo_data_dates_fit_the_weeks_the_work_demo_approves():
    # The work demo approves its first three weeks on the Tuesday after each
    # (days 8, 15 and 22 from its start) and waits on the fourth; billing
    # must come after the weeks it bills, and before the day it is loaded (28).
    for spec in INVOICES:
        if spec.time_until is not None:
            last_week_approved_on = 8 + 7 * (spec.time_until // 7)
            assert spec.day > last_week_approved_on, spec.key
        for payment in spec.payments:
            assert spec.day <= payment.day < 28, spec.key
        if spec.credit is not None:
            assert spec.day <= spec.credit.day < 28, spec.key


@pytest.mark.django_db
def test_once_leaves_out_the_billing_of_a_demo_whose_coordinator_already_invoices(capsys):
    # given: a demo from before billing, where Ana has since drafted an invoice by hand
    demo.demo_load(with_billing=False)
    ana = user("ana")
    manila = Collective.objects.get(slug="manila-va")
    bondi = Engagement.objects.get(collective=manila, client__name__startswith="Bondi")
    invoice_draft_create(collective=manila, actor=ana, engagement=bondi)
    before = row_counts()
    # when
    call_command("demo", "--once")
    # then: hers stays the only invoice (the decisions, which need no
    # invoice of the demo's, are added), and the demo counts as loaded
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded: 0 people, 0 collectives, 0 memberships")
    assert "0 invoices and credit notes issued, 0 payments and 0 payouts recorded;" in out
    assert row_counts() == before
    assert demo.demo_is_loaded()
