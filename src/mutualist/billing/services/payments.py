"""Payments: settle an invoice and share the money out, in one transaction.

``payment_record`` takes the invoice's row lock, so payments to one invoice
are served one after the other: each sees what the last one paid. It then
posts one balanced ledger transaction that

1. puts the money where it arrived (``Dr`` the deposit account, in the
   currency it came in; through the trading accounts at the recorded rate
   when that is not the invoice's currency), or takes it from the client's
   credit;
2. settles that much of the receivable (``Cr Receivable``), and holds any
   excess the coordinator chose to keep as the client's credit
   (``Cr ClientCredit``), never losing it;
3. shares the settled amount out by the split rule the invoice was issued
   under (``Dr Invoiced`` for the net part; ``Cr`` the treasury, each fund,
   each member), in proportion to what each is still owed
   (``split.payment_parts``), so that partial payments add up to each
   recipient's exact share of the whole;
4. of each member's part, credits what the registered share diverters take
   (``recipients.divert_member_part``) to their accounts instead of the
   member's payable, recording each as a ``PaymentDiversion``; the
   member's ``PaymentShare`` stays their whole share.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from mutualist.billing.accounts import (
    client_credit_account,
    default_deposit_account,
    invoiced_account,
    receivable_account,
)
from mutualist.billing.models import Invoice, Payment, PaymentDiversion, PaymentShare
from mutualist.billing.recipients import Diversion, divert_member_part, recipient_account
from mutualist.billing.services._common import rate_text, require_coordinator, text_clean
from mutualist.billing.services.issue import invoice_member_weights
from mutualist.billing.split import (
    MEMBER_PREFIX,
    TAX,
    Credit,
    Target,
    payment_parts,
    recipient_of,
    split_targets,
    targets_after,
)
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import validate_currency
from mutualist.ledger.models import Account
from mutualist.ledger.services import (
    Line,
    WouldGoNegative,
    exchange_rate_find,
    ledger_date_validate,
    rate_parse,
    trading_account,
    transaction_post,
)
from mutualist.members.models import User

EXCESS_CHOICES = ("refuse", "credit")
MAX_KEY = 150


def invoice_targets(invoice: Invoice) -> list[Target]:
    """What each recipient is owed out of what the invoice asks for now, by
    the split rule it was issued under.

    Without credit notes: the whole invoice's split (``split_targets``).
    Each credit note then took its tax off the tax and its net off the other
    recipients in proportion to what each was still owed when it was
    issued (``split.credit_parts``), so the targets are replayed from the
    invoice's history, payments and credit notes in the order they were
    booked. Nobody's target is ever below what they were already given, and
    the payment that settles the invoice brings each recipient exactly to
    theirs. (Credit notes are not split by the invoice's proportions again:
    a recipient favoured by a rounding unit in earlier payments would then
    end above their target and another below theirs.)
    """
    currency = invoice.currency
    targets = split_targets(
        net=Money.from_minor(invoice.subtotal_minor, currency),
        tax=Money.from_minor(invoice.tax_minor, currency),
        percentages={code: Decimal(pct) for code, pct in invoice.split_rule.items()},
        member_weights=invoice_member_weights(invoice),
    )
    credits = list(
        Invoice.objects.filter(credits=invoice, status=Invoice.Status.ISSUED).values_list(
            "transaction_id", "subtotal_minor", "tax_minor"
        )
    )
    if not credits:
        return targets
    events: dict[int, Mapping[str, int] | Credit] = {
        int(txn): Credit(net=Money.from_minor(net, currency), tax=Money.from_minor(tax, currency))
        for txn, net, tax in credits
    }
    paid: dict[int, dict[str, int]] = defaultdict(dict)
    for txn, key, minor in PaymentShare.objects.filter(invoice=invoice).values_list(
        "payment__transaction_id", "key", "amount_minor"
    ):
        paid[txn][key] = minor
    events.update(paid)
    # Ledger transactions are numbered in the order they were booked, and
    # every payment and credit note of one invoice is booked under its row
    # lock, so their ids give the history's order.
    return targets_after(targets=targets, history=[events[txn] for txn in sorted(events)])


def shares_so_far(invoice: Invoice) -> dict[str, int]:
    """Minor units each recipient has been given out of earlier payments."""
    rows = (
        PaymentShare.objects.filter(invoice=invoice)
        .values("key")
        .annotate(total=Sum("amount_minor"))
        .values_list("key", "total")
    )
    return {key: int(total) for key, total in rows}


def _same_request(payment: Payment, **given: object) -> bool:
    return all(getattr(payment, name) == value for name, value in given.items())


def _same_choices(
    payment: Payment,
    *,
    deposit: Account | None,
    rate: Decimal | None,
    rate_given: Decimal | str | None,
) -> bool:
    """A retry names the same account and rate as the first request, when
    it names one at all (left out, the first request's default stands)."""
    if deposit is not None and payment.deposit_account_id != deposit.pk:
        return False
    return rate_given in (None, "") or payment.fx_rate == rate


def _deposit(collective_id: int, account: Account | None, currency: str) -> Account | None:
    if account is None:
        return None
    if (
        account.collective_id != collective_id
        or account.type != Account.Type.ASSETS
        or account.owner_kind != Account.OwnerKind.COLLECTIVE
    ):
        raise ValidationFailed(
            "Money arrives in one of the collective's own asset accounts.",
            code="unknown_account",
            field="deposit_account",
        )
    if account.currency != currency:
        raise ValidationFailed(
            f"{account.name} holds {account.currency}; this payment is in {currency}.",
            code="currency_mismatch",
            field="deposit_account",
        )
    return account


def _rate_for(
    *, amount: Money, invoice: Invoice, on: dt.date, fx_rate: Decimal | str | None, source: str
) -> tuple[Decimal | None, str]:
    if isinstance(fx_rate, bool | float):
        raise TypeError("A rate is a Decimal or a string, never a float.")
    if amount.currency == invoice.currency:
        if fx_rate not in (None, ""):
            raise ValidationFailed(
                "The payment is in the invoice's currency; it takes no rate.",
                code="rate_not_needed",
                field="fx_rate",
            )
        return None, ""
    if fx_rate not in (None, ""):
        rate = rate_parse(str(fx_rate), field="fx_rate")
        return rate, (source.strip() or "given with the payment")[:200]
    try:
        quote = exchange_rate_find(
            base=amount.currency, quote=invoice.currency, on=on, collective=invoice.collective
        )
    except ValidationFailed as refusal:
        # The caller's field is the payment's rate, not the ledger's.
        raise ValidationFailed(refusal.message, code=refusal.code, field="fx_rate") from None
    return quote.rate, quote.source[:200]


def payment_record(
    *,
    invoice: Invoice,
    actor: User,
    amount: Money,
    received_on: dt.date,
    method: str,
    idempotency_key: str,
    reference: str = "",
    deposit_account: Account | None = None,
    fx_rate: Decimal | str | None = None,
    fx_rate_source: str = "",
    excess: str = "refuse",
) -> Payment:
    """Record ``amount`` received for ``invoice`` on ``received_on`` and
    share it out (see the module's docstring). ``fx_rate`` is units of the
    invoice's currency per unit of the payment's, when they differ (found
    from the rates on record when not given). ``excess="credit"`` keeps
    what is beyond the unpaid amount as the client's credit; by default it
    is refused (``overpayment``). ``method="client_credit"`` pays from that
    credit. A retry with the same ``idempotency_key`` and request returns
    the first payment; with another request it is ``idempotency_key_reused``.

    Refuses, changing nothing: a draft, void, paid or credit-note invoice, an
    amount of zero or less, an unknown currency, a deposit account that is
    not the collective's in the payment's currency, no rate for a foreign
    payment, and more than the client's credit holds."""
    collective = invoice.collective
    require_coordinator(collective=collective, actor=actor)
    if not isinstance(amount, Money):
        raise TypeError("A payment is Money.")
    if amount.amount <= 0:
        raise ValidationFailed("A payment is above zero.", code="invalid_amount", field="amount")
    if amount.currency != invoice.currency:
        # Money knows retired codes (DEM) and non-money ones (XXX, XAU) so
        # that old amounts stay readable; no one pays in them today.
        validate_currency(amount.currency, field="amount")
    # The future first: the books' own range reaches a year ahead, and its
    # message would suggest such a date could do.
    if received_on > timezone.localdate():
        raise ValidationFailed(
            "A payment is recorded once it has arrived, not ahead of time.",
            code="date_in_future",
            field="received_on",
        )
    ledger_date_validate(received_on, field="received_on")
    if method not in Payment.Method.values:
        raise ValidationFailed(
            f"Unknown payment method {method!r}; use one of {', '.join(Payment.Method.values)}.",
            code="invalid_method",
            field="method",
        )
    if excess not in EXCESS_CHOICES:
        raise ValidationFailed(
            "An excess is refused or kept as the client's credit.",
            code="invalid_excess",
            field="excess",
        )
    key = text_clean(idempotency_key, field="idempotency_key", max_length=MAX_KEY, required=True)
    ref = text_clean(reference, field="reference", max_length=120)
    from_credit = method == Payment.Method.CLIENT_CREDIT
    if from_credit and (deposit_account is not None or amount.currency != invoice.currency):
        raise ValidationFailed(
            "Paying from the client's credit takes the invoice's currency and no account.",
            code="invalid_credit_payment",
            field="method",
        )
    deposit = _deposit(collective.pk, deposit_account, amount.currency)
    rate, rate_source = _rate_for(
        amount=amount, invoice=invoice, on=received_on, fx_rate=fx_rate, source=fx_rate_source
    )
    converted = amount if rate is None else amount.convert(rate, invoice.currency)
    if converted.is_zero():
        raise ValidationFailed(
            f"{amount} is worth nothing in {invoice.currency} at {rate_text(rate)}.",
            code="invalid_amount",
            field="amount",
        )
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        first = Payment.objects.filter(collective=collective, idempotency_key=key).first()
        if first is not None:
            if _same_request(
                first,
                invoice_id=locked.pk,
                amount_minor=amount.minor_units,
                currency=amount.currency,
                received_on=received_on,
                method=method,
                reference=ref,
            ) and _same_choices(first, deposit=deposit, rate=rate, rate_given=fx_rate):
                return first
            raise Conflict(
                f"The idempotency key {idempotency_key!r} was already used for another payment.",
                code="idempotency_key_reused",
                field="idempotency_key",
            )
        _require_payable(locked)
        if locked.issue_date is not None and received_on < locked.issue_date:
            raise ValidationFailed(
                f"{locked.number} was issued on {locked.issue_date.isoformat()}; a payment "
                "for it is received on or after that day.",
                code="date_before_issue",
                field="received_on",
            )
        unpaid = locked.outstanding_minor
        applied, credit = converted.minor_units, 0
        if applied > unpaid:
            if excess != "credit" or from_credit:
                shown = Money.from_minor(unpaid, locked.currency)
                given = (
                    str(amount) if rate is None else f"{amount} ({converted} at {rate_text(rate)})"
                )
                raise ValidationFailed(
                    f"{given} is more than the {shown} unpaid on {locked.number}. Record "
                    f"{shown}, or keep the rest as the client's credit.",
                    code="overpayment",
                    field="amount",
                )
            applied, credit = unpaid, applied - unpaid
        payment = _post(
            invoice=locked,
            actor=actor,
            amount=amount,
            converted=converted,
            applied=applied,
            credit=credit,
            rate=rate,
            rate_source=rate_source,
            deposit=deposit,
            received_on=received_on,
            method=method,
            reference=ref,
            key=key,
        )
        settled = locked.paid_minor + applied + locked.credited_minor == locked.total_minor
        changes: dict[str, object] = {"paid_minor": F("paid_minor") + applied}
        if settled:
            changes.update(status=Invoice.Status.PAID, paid_at=timezone.now())
        Invoice.objects.filter(pk=locked.pk).update(**changes)
    return payment


def _require_payable(invoice: Invoice) -> None:
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ValidationFailed(
            "A credit note is not paid; it is what the client no longer owes.",
            code="not_an_invoice",
            field="invoice",
        )
    refusals = {
        Invoice.Status.DRAFT: ("invoice_draft", "This invoice is a draft: issue it before "
                               "recording payments."),
        Invoice.Status.VOID: ("invoice_void", f"{invoice.number} was credited in full: nothing "
                              "is owed on it."),
        Invoice.Status.PAID: ("invoice_paid", f"{invoice.number} is paid in full already."),
    }  # fmt: skip
    if invoice.status in refusals:
        code, why = refusals[Invoice.Status(invoice.status)]
        raise Conflict(why, code=code)


def _post(
    *,
    invoice: Invoice,
    actor: User,
    amount: Money,
    converted: Money,
    applied: int,
    credit: int,
    rate: Decimal | None,
    rate_source: str,
    deposit: Account | None,
    received_on: dt.date,
    method: str,
    reference: str,
    key: str,
) -> Payment:
    collective, client, currency = invoice.collective, invoice.client, invoice.currency
    lines: list[Line] = []
    if method == Payment.Method.CLIENT_CREDIT:
        lines.append(Line(client_credit_account(collective, client, currency), amount))
    else:
        deposit = deposit or default_deposit_account(collective, amount.currency)
        lines.append(Line(deposit, amount))
        if amount.currency != currency:
            lines += [
                Line(trading_account(collective, amount.currency), -amount),
                Line(trading_account(collective, currency), converted),
            ]
    if applied:
        lines.append(
            Line(
                receivable_account(collective, client, currency),
                -Money.from_minor(applied, currency),
            )
        )
    if credit:
        lines.append(
            Line(
                client_credit_account(collective, client, currency),
                -Money.from_minor(credit, currency),
            )
        )
    parts: list[Target] = []
    if applied:
        parts = payment_parts(
            targets=invoice_targets(invoice),
            already=shares_so_far(invoice),
            amount=Money.from_minor(applied, currency),
        )
    members = {
        line.member.pk: line.member
        for line in invoice.lines.select_related("member__profile")
        if line.member is not None
    }
    accounts: dict[str, Account | None] = {}
    diverted: dict[str, list[Diversion]] = {}
    net = 0
    for part in parts:
        if part.key == TAX:
            continue
        account = recipient_account(collective, part.key, currency, members=members)
        accounts[part.key] = account
        assert account is not None  # noqa: S101 -- only tax has none
        net += part.amount.minor_units
        rest = part.amount
        if part.key.startswith(MEMBER_PREFIX):
            # Some of a member's part may go elsewhere first (a guarantee
            # fund taking back its advance, savings): under this invoice's
            # row lock, in this transaction, so it is booked once or not at all.
            member = members[int(part.key.removeprefix(MEMBER_PREFIX))]
            taken = divert_member_part(
                invoice=invoice, member=member, amount=part.amount, on=received_on
            )
            if taken:
                diverted[part.key] = taken
            for diversion in taken:
                lines.append(Line(diversion.account, -diversion.amount))
                rest = rest - diversion.amount
        if not rest.is_zero():
            lines.append(Line(account, -rest))
    if net:
        lines.append(Line(invoiced_account(collective, currency), Money.from_minor(net, currency)))
    memo = f"Payment from {client.name} for {invoice.number}"
    if reference:
        memo += f" (ref. {reference})"
    try:
        with transaction.atomic():
            posted = transaction_post(
                lines=lines,
                memo=memo[:500],
                occurred_at=received_on,
                idempotency_key=f"billing:payment:{collective.pk}:{key}",
                kind="payment",
                cause=invoice,
                posted_by=actor,
                fx_rate=rate,
                fx_rate_source=rate_source,
            )
            payment = Payment.objects.create(
                collective=collective,
                invoice=invoice,
                amount_minor=amount.minor_units,
                currency=amount.currency,
                applied_minor=applied,
                credit_minor=credit,
                fx_rate=rate,
                fx_rate_source=rate_source,
                received_on=received_on,
                method=method,
                reference=reference,
                deposit_account=deposit if method != Payment.Method.CLIENT_CREDIT else None,
                transaction=posted,
                idempotency_key=key,
                recorded_by=actor,
            )
    except WouldGoNegative:
        # Only the client's credit can run short here: everything else is credited.
        raise Conflict(
            f"{client.name} does not hold {amount} of credit with the collective.",
            code="beyond_client_credit",
            field="amount",
        ) from None
    except IntegrityError:
        # The same key, taken at the same moment for another invoice.
        raise Conflict(
            "That idempotency key was used for another payment a moment ago.",
            code="idempotency_key_reused",
            field="idempotency_key",
        ) from None
    shares = PaymentShare.objects.bulk_create(
        [
            PaymentShare(
                payment=payment,
                invoice=invoice,
                recipient=recipient_of(part.key),
                key=part.key,
                member_id=(
                    int(part.key.removeprefix(MEMBER_PREFIX))
                    if part.key.startswith(MEMBER_PREFIX)
                    else None
                ),
                amount_minor=part.amount.minor_units,
                currency=currency,
                account=accounts.get(part.key),
            )
            for part in parts
        ]
    )
    if diverted:
        # The share stays the member's whole share of the invoice; each
        # diversion says where part of it went instead of their payable.
        share_ids = {share.key: share.pk for share in shares}
        if None in share_ids.values():  # a database that returns no ids from a bulk insert
            share_ids = dict(PaymentShare.objects.filter(payment=payment).values_list("key", "pk"))
        PaymentDiversion.objects.bulk_create(
            [
                PaymentDiversion(
                    share_id=share_ids[key],
                    account=diversion.account,
                    amount_minor=diversion.amount.minor_units,
                    currency=diversion.amount.currency,
                    reason=diversion.reason,
                )
                for key, taken in diverted.items()
                for diversion in taken
            ]
        )
    return payment


__all__ = [
    "EXCESS_CHOICES",
    "invoice_targets",
    "payment_record",
    "shares_so_far",
]
