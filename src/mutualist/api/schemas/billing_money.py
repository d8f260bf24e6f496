"""Payments and where each unit went, payouts to members, payout settings,
members' payables, and a collective's billing settings.

Money is ``{"amount": "12.50", "currency": "AUD"}`` with a decimal string;
rates are decimal strings (units of the invoice's currency per unit of the
payment's). A client's contacts see the payments on their invoices but not
the collective's books: for them ``deposit_account``, ``transaction_id`` and
``recorded_by`` are null, and where the money went is not shown at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from ninja import Field, Schema
from pydantic import StrictInt

from mutualist.api.schemas.billing_invoices import DocumentRefOut, money_of, share_words
from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, MoneyIn, MoneyOut, PersonOut
from mutualist.api.schemas.ledger import AccountRefOut, rate_text
from mutualist.api.schemas.work_clients import ClientRefOut
from mutualist.billing.models import BillingSettings, Payment, PaymentShare, Payout, PayoutSetting
from mutualist.billing.services import reminder_days_of
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.members.models import User

# --- Output -----------------------------------------------------------------------


def _account_ref(account: Account | None) -> AccountRefOut | None:
    return AccountRefOut(id=account.pk, name=account.name) if account is not None else None


def _person(user: User | None) -> PersonOut | None:
    if user is None or getattr(user, "profile", None) is None:
        return None
    return PersonOut.from_user(user)


class ShareOut(Schema):
    """One part of a payment: a member's share, the treasury's, a fund's levy, or tax."""

    recipient: str = Field(description="member, treasury, fund or tax")
    key: str = Field(description="treasury, tax, a fund's code, or member:<user id>")
    member: PersonOut | None
    amount: MoneyOut = Field(description="In the invoice's currency")
    account: AccountRefOut | None = Field(
        description="The ledger account credited; null for tax, which stays where the "
        "invoice booked it"
    )
    words: str = Field(
        description="Where it went, in plain words",
        examples=["225.00 AUD to Ana Reyes, for their share of the work"],
    )

    @classmethod
    def from_model(cls, share: PaymentShare, members: Mapping[int, User]) -> ShareOut:
        amount = Money.from_minor(share.amount_minor, share.currency)
        return cls(
            recipient=share.recipient,
            key=share.key,
            member=_person(share.member),
            amount=money_of(share.amount_minor, share.currency),
            account=_account_ref(share.account),
            words=share_words(share.key, amount, members),
        )


class PaymentOut(Schema):
    id: int
    invoice: DocumentRefOut
    amount: MoneyOut = Field(description="What arrived, in the currency it came in")
    applied: MoneyOut = Field(description="What it settled of the invoice, in its currency")
    credit: MoneyOut = Field(description="What was beyond the unpaid amount, kept as credit")
    fx_rate: str | None = Field(
        description="Units of the invoice's currency per unit of the payment's; null when "
        "they are the same",
        examples=["1.5"],
    )
    fx_rate_source: str
    received_on: dt.date
    method: str = Field(
        description="bank_transfer, card, wallet, cash, cheque, client_credit or other"
    )
    reference: str
    deposit_account: AccountRefOut | None = Field(
        description="Where it arrived (members); null for the client's contacts and for a "
        "payment from the client's credit"
    )
    transaction_id: int | None = Field(description="Its ledger transaction (members)")
    recorded_by: PersonOut | None = Field(description="The coordinator who recorded it (members)")
    created_at: dt.datetime

    @classmethod
    def fields_of(cls, payment: Payment, *, member_view: bool) -> dict[str, object]:
        invoice = payment.invoice
        return {
            "id": payment.pk,
            "invoice": DocumentRefOut(id=invoice.pk, number=invoice.number or None),
            "amount": money_of(payment.amount_minor, payment.currency),
            "applied": money_of(payment.applied_minor, invoice.currency),
            "credit": money_of(payment.credit_minor, invoice.currency),
            "fx_rate": rate_text(payment.fx_rate) if payment.fx_rate is not None else None,
            "fx_rate_source": payment.fx_rate_source,
            "received_on": payment.received_on,
            "method": payment.method,
            "reference": payment.reference,
            "deposit_account": _account_ref(payment.deposit_account) if member_view else None,
            "transaction_id": payment.transaction_id if member_view else None,
            "recorded_by": _person(payment.recorded_by) if member_view else None,
            "created_at": payment.created_at,
        }

    @classmethod
    def build(cls, payment: Payment, *, member_view: bool) -> PaymentOut:
        return cls.model_validate(cls.fields_of(payment, member_view=member_view))


class PaymentDetailOut(PaymentOut):
    shares: list[ShareOut] = Field(
        description="Where every unit of `applied` went; they add up to it exactly"
    )

    @classmethod
    def build_detail(
        cls, payment: Payment, shares: Sequence[PaymentShare], members: Mapping[int, User]
    ) -> PaymentDetailOut:
        return cls.model_validate(
            {
                **cls.fields_of(payment, member_view=True),
                "shares": [ShareOut.from_model(share, members) for share in shares],
            }
        )


class MyShareOut(Schema):
    """One of your shares of a payment."""

    payment_id: int
    collective: CollectiveRefOut
    invoice: DocumentRefOut
    client: ClientRefOut
    received_on: dt.date
    amount: MoneyOut

    @classmethod
    def from_model(cls, share: PaymentShare) -> MyShareOut:
        payment = share.payment
        invoice = payment.invoice
        return cls(
            payment_id=payment.pk,
            collective=CollectiveRefOut(slug=payment.collective.slug, name=payment.collective.name),
            invoice=DocumentRefOut(id=invoice.pk, number=invoice.number or None),
            client=ClientRefOut(id=invoice.client.pk, name=invoice.client.name),
            received_on=payment.received_on,
            amount=money_of(share.amount_minor, share.currency),
        )


class PayoutOut(Schema):
    id: int
    member: PersonOut | None
    amount: MoneyOut = Field(description="What it took off the member's payable")
    sent: MoneyOut = Field(description="What left the source account, in its currency")
    fx_rate: str | None = Field(description="Units sent per unit owed; null in one currency")
    fx_rate_source: str
    source_account: AccountRefOut
    paid_on: dt.date
    reference: str
    transaction_id: int
    recorded_by: PersonOut | None
    created_at: dt.datetime

    @classmethod
    def from_model(cls, payout: Payout) -> PayoutOut:
        return cls(
            id=payout.pk,
            member=_person(payout.member),
            amount=money_of(payout.amount_minor, payout.currency),
            sent=money_of(payout.sent_minor, payout.sent_currency),
            fx_rate=rate_text(payout.fx_rate) if payout.fx_rate is not None else None,
            fx_rate_source=payout.fx_rate_source,
            source_account=AccountRefOut(
                id=payout.source_account.pk, name=payout.source_account.name
            ),
            paid_on=payout.paid_on,
            reference=payout.reference,
            transaction_id=payout.transaction_id,
            recorded_by=_person(payout.recorded_by),
            created_at=payout.created_at,
        )


class PayoutSettingOut(Schema):
    currency: str | None = Field(
        description="The currency you are paid in; null until you choose one"
    )
    details: str = Field(description="Where to send it, for the coordinators")
    updated_at: dt.datetime | None

    @classmethod
    def from_model(cls, setting: PayoutSetting | None) -> PayoutSettingOut:
        if setting is None:
            return cls(currency=None, details="", updated_at=None)
        return cls(
            currency=setting.currency, details=setting.details, updated_at=setting.updated_at
        )


class PayableOut(Schema):
    """What the collective owes one member in one currency."""

    member: PersonOut | None
    account: AccountRefOut
    owed: MoneyOut = Field(description="Their shares less their payouts; never below zero")
    payout_currency: str | None = Field(description="The currency they chose to be paid in")
    payout_details: str = Field(description="Where they asked to be paid")


class MyPayableOut(Schema):
    """What one collective owes you in one currency."""

    collective: CollectiveRefOut
    account: AccountRefOut
    owed: MoneyOut = Field(description="Your shares less your payouts; never below zero")


class BillingSettingsOut(Schema):
    number_prefix: str = Field(examples=["MANILA"])
    number_pattern: str = Field(examples=["{prefix}-{year}-{seq:04}"])
    credit_note_pattern: str = Field(examples=["{prefix}-CN-{year}-{seq:04}"])
    payment_instructions: str
    late_payment_terms: str
    reminder_days: list[int] = Field(
        description="Days from the due date on which an unpaid invoice's client is reminded",
        examples=[[-3, 1, 7, 14, 30]],
    )
    next_invoice_number: str = Field(
        description="The number the next invoice issued today would get",
        examples=["MANILA-2026-0008"],
    )
    next_credit_note_number: str = Field(examples=["MANILA-CN-2026-0002"])
    updated_at: dt.datetime

    @classmethod
    def from_model(
        cls, settings: BillingSettings, *, next_numbers: tuple[str, str]
    ) -> BillingSettingsOut:
        return cls(
            next_invoice_number=next_numbers[0],
            next_credit_note_number=next_numbers[1],
            number_prefix=settings.number_prefix,
            number_pattern=settings.number_pattern,
            credit_note_pattern=settings.credit_note_pattern,
            payment_instructions=settings.payment_instructions,
            late_payment_terms=settings.late_payment_terms,
            reminder_days=reminder_days_of(settings),
            updated_at=settings.updated_at,
        )


# --- Input ------------------------------------------------------------------------


class PaymentIn(InputSchema):
    amount: MoneyIn = Field(description="What arrived, in the currency it came in; above zero")
    received_on: dt.date | None = Field(None, description="Today or a past day; today if absent")
    method: str = Field(
        description="bank_transfer, card, wallet, cash, cheque, client_credit (from the "
        "client's credit with the collective) or other",
        examples=["bank_transfer"],
    )
    reference: str = Field("", max_length=120, examples=["Wire 20261208-77"])
    deposit_account: StrictInt | None = Field(
        None,
        description="One of the collective's asset accounts in the payment's currency; "
        "its Bank account in that currency if absent",
    )
    fx_rate: str | None = Field(
        None,
        description="In another currency than the invoice's: units of the invoice's currency "
        "per unit of the payment's; the rate on record if absent",
        examples=["1.5"],
    )
    fx_rate_source: str = Field("", max_length=200)
    excess: str = Field(
        "refuse",
        description="More than is unpaid: refuse (the default) or credit (kept as the "
        "client's credit)",
    )


class PayoutIn(InputSchema):
    member: StrictInt | str = Field(description="A user id or a handle")
    amount: MoneyIn = Field(description="Taken off what the collective owes them in that currency")
    source_account: StrictInt = Field(description="One of the collective's asset accounts")
    paid_on: dt.date | None = Field(None, description="Today or a past day; today if absent")
    reference: str = Field("", max_length=120)
    sent_amount: MoneyIn | None = Field(
        None, description="From an account in another currency: what was sent, in its currency"
    )
    fx_rate: str | None = Field(
        None, description="Or the rate: units of the account's currency per unit owed"
    )
    fx_rate_source: str = Field("", max_length=200)


class PayoutSettingIn(InputSchema):
    currency: str = Field(description="ISO 4217", examples=["PHP"])
    details: str = Field("", max_length=2000, examples=["BPI account 1234-5678-90"])


class PayoutFiltersIn(Schema):
    # Bounded like a database id: SQLite cannot bind a larger int (a 500).
    member: int | None = Field(
        None, ge=1, le=2**63 - 1, description="A member's user id (coordinators)"
    )


class BillingSettingsPatchIn(InputSchema):
    """Only the fields sent change; numbers already given keep theirs."""

    number_prefix: str | None = Field(None, description="1 to 12 capitals, digits and hyphens")
    number_pattern: str | None = Field(
        None, description="Placeholders {prefix}, {year}, {seq} (required; {seq:04} pads it)"
    )
    credit_note_pattern: str | None = None
    payment_instructions: str | None = None
    late_payment_terms: str | None = None
    reminder_days: list[StrictInt] | None = Field(
        None, description="Days from the due date, -60 to 365; an empty list sends no reminders"
    )
