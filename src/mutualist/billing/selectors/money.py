"""Reads behind the money pages: what the collective owes its members, where
each unit of a payment went, and the number the next invoice will get.

Nothing here opens an account or takes a number: a page that only shows
what is owed must not add empty accounts to the books, and a preview must
not use up the invoice counter (``services.settings.number_next`` does).
Who may read what is decided by the callers, through the permission-scoped
getters (``payment_get_for_member`` here, ``collective_get_for_member``).
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404

from mutualist.billing.models import BillingSettings, Invoice, InvoiceCounter, Payment
from mutualist.billing.recipients import fund_label
from mutualist.billing.selectors import payment_shares
from mutualist.billing.services.issue import invoice_member_weights
from mutualist.billing.services.payments import invoice_targets, shares_so_far
from mutualist.billing.services.settings import default_prefix, number_format
from mutualist.billing.split import TAX, TREASURY, member_key
from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for
from mutualist.members.models import User
from mutualist.members.web import Viewer

# --- What the collective owes its members ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payable:
    """What ``collective`` owes ``member`` in one currency, as a positive amount."""

    collective: Collective
    member: User
    account: Account
    owed: Money


def _payable_accounts(collective: Collective | None = None) -> QuerySet[Account]:
    """Members' payables, found as ``accounts.find_member_account`` finds
    one: owned by the member, under the collective's ``Members`` group."""
    rows = Account.objects.filter(
        owner_kind=Account.OwnerKind.MEMBER,
        owner_type=ContentType.objects.get_for_model(User),
    ).select_related("collective")
    if collective is not None:
        rows = rows.filter(collective=collective)
    return rows.order_by("pk")


def _in_members_group(account: Account) -> bool:
    prefix = account_name_for(account.collective, Account.Type.LIABILITIES, "Members") + ":"
    return account.name.startswith(prefix)


def _payables(accounts: QuerySet[Account], *, owing_only: bool) -> list[Payable]:
    # ``find_member_account`` takes the first such account by pk for a member
    # and currency; payouts draw on that one, so that is the one shown.
    first: dict[tuple[int, int, str], Account] = {}
    for account in accounts:
        if not _in_members_group(account):
            continue
        assert account.owner_id is not None  # noqa: S101 -- a member's account names its owner
        first.setdefault((account.collective_id, account.owner_id, account.currency), account)
    users = {
        user.pk: user
        for user in User.objects.filter(pk__in={key[1] for key in first}).select_related("profile")
    }
    rows = [
        Payable(
            collective=account.collective,
            member=users[owner],
            account=account,
            # A payable is credit-normal: what is owed is the negative balance.
            owed=Money.from_minor(-account.balance_minor, account.currency),
        )
        for (_, owner, _), account in first.items()
        if owner in users
    ]
    if owing_only:
        rows = [row for row in rows if not row.owed.is_zero()]
    return sorted(
        rows,
        key=lambda row: (
            row.collective.name,
            row.member.display_name.casefold(),
            row.member.pk,
            row.owed.currency,
        ),
    )


def payables_of_member(*, user: User, owing_only: bool = True) -> list[Payable]:
    """What each collective owes ``user`` now, per currency, in every
    collective that ever opened a payable for them (one they left may still
    owe them)."""
    return _payables(_payable_accounts().filter(owner_id=user.pk), owing_only=owing_only)


def payables_of_collective(
    *, collective: Collective, member: User | None = None, owing_only: bool = True
) -> list[Payable]:
    """What ``collective`` owes each of its members (or one of them) now, per currency."""
    accounts = _payable_accounts(collective)
    if member is not None:
        accounts = accounts.filter(owner_id=member.pk)
    return _payables(accounts, owing_only=owing_only)


def payable_currencies(*, collective: Collective) -> list[str]:
    """The currencies in which the collective owes, or ever owed, a member."""
    rows = payables_of_collective(collective=collective, owing_only=False)
    return sorted({row.owed.currency for row in rows})


def payable_members(*, collective: Collective) -> QuerySet[User]:
    """The members (and former members) the collective has a payable for."""
    ids = {row.member.pk for row in payables_of_collective(collective=collective, owing_only=False)}
    return (
        User.objects.filter(pk__in=ids)
        .select_related("profile")
        .order_by("profile__display_name", "pk")
    )


# --- Where a payment went -------------------------------------------------------------------


def payment_get_for_member(*, user: Viewer, slug: str, pk: int) -> tuple[Payment, Membership]:
    """A payment of a collective the viewer is an active member of; 404 for
    anyone else, a client's contact included (the split is the collective's)."""
    collective, membership = collective_get_for_member(user=user, slug=slug)
    payment = (
        Payment.objects.filter(collective=collective, pk=pk)
        .select_related("collective", "invoice__client", "deposit_account", "recorded_by__profile")
        .first()
    )
    if payment is None:
        raise Http404("No such payment.")
    return payment, membership


def percent_text(value: Decimal) -> str:
    """``Decimal("10.00")`` as ``10%``, ``Decimal("2.50")`` as ``2.5%``."""
    return f"{value.normalize():f}%"


BASIS_WORDS = {
    "bill": "in proportion to what each member's hours billed",
    "pay": "in proportion to what each member's hours pay them",
}


@dataclass(frozen=True, slots=True)
class SplitRow:
    """One recipient's part of a payment."""

    kind: str  # member, treasury, fund, tax
    key: str
    label: str
    amount: Money
    # The split rule's percentage of the net, for the treasury and the funds.
    percent: Decimal | None
    # Which rule gave it, in words: "10% of the net".
    rule: str
    member: User | None
    is_viewer: bool


@dataclass(frozen=True, slots=True)
class ViewerShare:
    """The viewer's share of the whole invoice, and how much of it has come in."""

    whole: Money
    received: Money

    @property
    def to_come(self) -> Money:
        return self.whole - self.received


@dataclass(frozen=True, slots=True)
class Split:
    payment: Payment
    invoice: Invoice
    rows: list[SplitRow]
    total: Money
    applied: Money
    received: Money
    credit: Money
    tax_rate: Decimal
    basis: str  # "bill" or "pay"
    # No member's work is on the invoice: the members' part went to the treasury.
    members_part_to_treasury: bool
    viewer_share: ViewerShare | None

    @property
    def members_percent(self) -> Decimal:
        """What the rule leaves to the members, as a percentage of the net."""
        return _members_percent(self.invoice)

    @property
    def members_percent_text(self) -> str:
        return percent_text(self.members_percent)

    @property
    def tax_rate_text(self) -> str:
        return percent_text(self.tax_rate)

    @property
    def basis_words(self) -> str:
        return BASIS_WORDS.get(self.basis, BASIS_WORDS["bill"])

    @property
    def rate_text(self) -> str:
        """``1 USD = 1.5 AUD``; empty when the payment came in the invoice's currency."""
        rate = self.payment.fx_rate
        if rate is None:
            return ""
        return f"1 {self.payment.currency} = {rate.normalize():f} {self.invoice.currency}"

    @property
    def rule_shares(self) -> list[tuple[str, str]]:
        """The split rule in force: each named share of the net, as
        ``("the treasury", "10%")``."""
        rule = self.invoice.split_rule
        named = [("the treasury", percent_text(Decimal(rule.get(TREASURY, "0"))))]
        for code, pct in sorted(rule.items()):
            if code != TREASURY:
                label = fund_label(code)
                named.append((f"the {label[:1].lower()}{label[1:]}", percent_text(Decimal(pct))))
        return named


def _members_percent(invoice: Invoice) -> Decimal:
    shares = [Decimal(pct) for pct in invoice.split_rule.values()]
    return Decimal(100) - sum(shares, Decimal(0))


_KIND_ORDER = {"member": 0, TREASURY: 1, "fund": 2, TAX: 3}


def payment_split(*, payment: Payment, viewer: User) -> Split:
    """Every part of ``payment`` with whom it went to, in the order a member
    reads it: the members (the viewer first), the treasury, each fund, the
    tax. The parts add up to what the payment settled (``applied``)."""
    invoice = payment.invoice
    rule = {code: Decimal(pct) for code, pct in invoice.split_rule.items()}
    basis = invoice.member_share_basis or "bill"
    no_members = not invoice_member_weights(invoice)
    rows: list[SplitRow] = []
    for share in payment_shares(payment=payment):
        amount = Money.from_minor(share.amount_minor, share.currency)
        percent: Decimal | None = None
        if share.recipient == "member":
            assert share.member is not None  # noqa: S101 -- the database requires it
            label = share.member.display_name
            words = "hours billed" if basis == "bill" else "pay for the hours"
            text = f"Members' {percent_text(_members_percent(invoice))} of the net, by {words}"
        elif share.recipient == TREASURY:
            label, percent = "The treasury", rule.get(TREASURY, Decimal(0))
            text = f"{percent_text(percent)} of the net"
            if no_members:
                text += ", and the members' part (no member's work is on the invoice)"
        elif share.recipient == TAX:
            label = "Tax"
            text = f"The invoice's {percent_text(invoice.tax_rate)} tax, owed to the tax office"
        else:
            label, percent = fund_label(share.key), rule.get(share.key, Decimal(0))
            text = f"{percent_text(percent)} of the net"
        rows.append(
            SplitRow(
                kind=share.recipient,
                key=share.key,
                label=label,
                amount=amount,
                percent=percent,
                rule=text,
                member=share.member,
                is_viewer=share.member_id == viewer.pk,
            )
        )
    rows.sort(
        key=lambda row: (
            _KIND_ORDER.get(row.kind, 2),
            not row.is_viewer,
            row.label.casefold(),
            row.key,
        )
    )
    currency = invoice.currency
    applied = Money.from_minor(payment.applied_minor, currency)
    total = Money.from_minor(sum(row.amount.minor_units for row in rows), currency)
    return Split(
        payment=payment,
        invoice=invoice,
        rows=rows,
        total=total,
        applied=applied,
        received=Money.from_minor(payment.amount_minor, payment.currency),
        credit=Money.from_minor(payment.credit_minor, currency),
        tax_rate=invoice.tax_rate,
        basis=basis,
        members_part_to_treasury=no_members,
        viewer_share=_viewer_share(invoice, viewer),
    )


def _viewer_share(invoice: Invoice, viewer: User) -> ViewerShare | None:
    """The viewer's target out of the whole invoice (as it stands after any
    credit notes) and what payments gave them so far; none if they have no
    part in it."""
    key = member_key(viewer.pk)
    whole = next((t.amount for t in invoice_targets(invoice) if t.key == key), None)
    if whole is None:
        return None
    received = shares_so_far(invoice).get(key, 0)
    return ViewerShare(whole=whole, received=Money.from_minor(received, invoice.currency))


# --- Billing settings and the next number ------------------------------------------------------------------------


def billing_settings_read(collective: Collective) -> BillingSettings:
    """The collective's settings, or (unsaved) the defaults it would get on
    first use: reading a page writes nothing."""
    found = BillingSettings.objects.filter(collective=collective).first()
    return found or BillingSettings(collective=collective, number_prefix=default_prefix(collective))


@dataclass(frozen=True, slots=True)
class NumberPreview:
    number: str
    # An earlier invoice already has it: issuing would be refused until the
    # pattern or prefix changes (``invoice_number_taken``).
    taken: bool


def number_preview(
    *,
    collective: Collective,
    prefix: str,
    pattern: str,
    kind: str = Invoice.Kind.INVOICE,
    on: dt.date,
) -> NumberPreview:
    """The number an invoice (or credit note) issued on ``on`` would get with
    ``prefix`` and ``pattern`` (already valid), read from the counter that
    ``number_next`` would take, without taking it."""
    yearly = any(name == "year" for _, name, _, _ in string.Formatter().parse(pattern))
    series = f"{kind}:{on.year if yearly else 'all'}"
    last = (
        InvoiceCounter.objects.filter(collective=collective, series=series)
        .values_list("last_seq", flat=True)
        .first()
    )
    number = number_format(pattern, prefix=prefix, year=on.year, seq=(last or 0) + 1)
    taken = Invoice.objects.filter(collective=collective, number=number).exists()
    return NumberPreview(number=number, taken=taken)


def number_previews(
    *, collective: Collective, settings: BillingSettings, on: dt.date
) -> tuple[NumberPreview, NumberPreview]:
    """The next invoice's and the next credit note's numbers under ``settings``."""
    return (
        number_preview(
            collective=collective,
            prefix=settings.number_prefix,
            pattern=settings.number_pattern,
            on=on,
        ),
        number_preview(
            collective=collective,
            prefix=settings.number_prefix,
            pattern=settings.credit_note_pattern,
            kind=Invoice.Kind.CREDIT_NOTE,
            on=on,
        ),
    )


__all__ = [
    "NumberPreview",
    "Payable",
    "Split",
    "SplitRow",
    "ViewerShare",
    "billing_settings_read",
    "number_preview",
    "percent_text",
    "number_previews",
    "payable_currencies",
    "payable_members",
    "payables_of_collective",
    "payables_of_member",
    "payment_get_for_member",
    "payment_split",
]
