"""The payment guarantee: the fund pays the members' shares of an overdue
invoice and takes the receivable's place until the client pays.

The path of the money:

1. A coordinator records that a client signed the collective's payment
   agreement (``client_agreement_record``): the first condition.
2. When an invoice of that client is overdue by more than the rules'
   ``overdue_days``, a member with a share in it claims
   (``guarantee_claim_submit``). The claim covers the members' unpaid
   shares of the invoice, up to ``cap_percent`` of them and within what is
   left of the client's credit limit (``guarantee_eligibility``).
3. Once approved (by peers or a vote), the claim is paid out of the fund's
   pool in the invoice's currency (``claims.claim_pay`` with this module's
   payout plan): each member's payable is credited their part, spread over
   the members by what each is still owed, and a ``GuaranteeAdvance`` row
   per member records it. A partial payout (the fund is short) is spread the
   same way; the rest waits for the fund.
4. When the client pays later, billing asks the share diverters about each
   member's part of the payment (``billing.recipients``): this module's
   refill diverter sends as much of it as the fund advanced that member and
   has not yet recovered back to the pool (``guarantee_refill``); the member
   gets the rest. So the members end with exactly their share, and the fund
   exactly what it advanced.
5. If the client never pays, a ``write_off`` vote after ``write_off_days``
   credits what is still owed (``write_off_validate``/``write_off_apply``,
   the governance handler's functions): the fund bears the loss.

Locks: a payout takes the fund's row, the claim's, then the invoice's (in
the plan); a payment takes the invoice's and never the fund's or a claim's,
so the two are served one after the other on one invoice and never deadlock.
"""

from __future__ import annotations

import calendar
import contextvars
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.billing.models import Invoice, Payment
from mutualist.billing.recipients import (
    Diversion,
    credit_guard_register,
    share_diverter_register,
)
from mutualist.billing.services import credit_note_issue, invoice_targets, shares_so_far
from mutualist.billing.split import MEMBER_PREFIX
from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money, allocate
from mutualist.governance.kinds import ProposalDraft
from mutualist.governance.models import Proposal
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import Line
from mutualist.members.models import User
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Claim, ClientAgreement, Fund, GuaranteeAdvance
from mutualist.mutual.rules import GuaranteeRules, rules_for
from mutualist.mutual.services.claims import (
    PayoutPlan,
    claim_create,
    payout_kind_register,
    text_clean,
)
from mutualist.mutual.services.funds import require_coordinator, require_member, rules_in_force
from mutualist.work.models import Client
from mutualist.work.selectors.clients import client_visible_to_collective

CODE = Fund.Kind.GUARANTEE.value
REFILL = "guarantee_refill"
# Diverters run in order: the guarantee takes back its advance before the
# member's savings take their percent of what is left.
REFILL_ORDER = 10
REFERENCE_MAX = 200
# Claims still counted against a client's credit limit (see ``_credit_used``).
COUNTED_STATES = ("submitted", "approved", "paid", "written_off")
LIVE_CLAIM_STATES = ("submitted", "approved", "paid", "written_off")


# --- Client agreements ---------------------------------------------------------------------


def client_agreement_record(
    *,
    collective: Collective,
    actor: User,
    client: Client,
    signed_on: dt.date,
    reference: str = "",
) -> ClientAgreement:
    """Record that ``client`` signed the collective's payment agreement on
    ``signed_on`` (coordinators). Once per client (``agreement_exists``);
    refuses a client the collective has never dealt with (``unknown_client``)
    and a date ahead of today (``date_in_future``)."""
    require_coordinator(collective=collective, user=actor)
    ref = text_clean(reference, field="reference", max_length=REFERENCE_MAX)
    if not client_visible_to_collective(client=client, collective=collective):
        raise ValidationFailed(
            "That is not one of the collective's clients.", code="unknown_client", field="client"
        )
    if signed_on > timezone.localdate():
        raise ValidationFailed(
            "An agreement is recorded once it is signed, not ahead of time.",
            code="date_in_future",
            field="signed_on",
        )
    if ClientAgreement.objects.filter(collective=collective, client=client).exists():
        raise Conflict(
            f"{client.name}'s agreement is recorded already.",
            code="agreement_exists",
            field="client",
        )
    try:
        with transaction.atomic():
            return ClientAgreement.objects.create(
                collective=collective,
                client=client,
                signed_on=signed_on,
                reference=ref,
                recorded_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            f"{client.name}'s agreement was recorded a moment ago.",
            code="agreement_exists",
            field="client",
        ) from None


def client_agreement_remove(*, collective: Collective, actor: User, client: Client) -> None:
    """Forget ``client``'s agreement (coordinators): its invoices are no
    longer covered by new claims; claims already made stand."""
    require_coordinator(collective=collective, user=actor)
    deleted, _ = ClientAgreement.objects.filter(collective=collective, client=client).delete()
    if not deleted:
        raise NotFound(
            f"No agreement with {client.name} is recorded.",
            code="agreement_not_found",
            field="client",
        )


# --- Credit limit and eligibility ------------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day when it
    has no such day: 31 May less three months is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def client_credit_limits(
    *, fund: Fund, client: Client, rules: GuaranteeRules, on: dt.date
) -> dict[str, Money]:
    """The client's credit limit in each currency it paid in.

    Defined as: what the client's payments settled on its invoices of the
    fund's collective (``Payment.applied_minor``, in each invoice currency)
    received in the ``history_months`` months up to ``on`` (after the same
    day ``history_months`` months earlier, up to and including ``on``),
    divided by ``history_months`` (the average month), times
    ``credit_limit_months``; rounded down to whole minor units. A currency
    the client paid nothing in has no entry: its limit is zero, so a client
    with no payment history is not covered."""
    start = months_before(on, rules.history_months)
    rows = (
        Payment.objects.filter(
            collective_id=fund.collective_id,
            invoice__client=client,
            received_on__gt=start,
            received_on__lte=on,
        )
        .values("invoice__currency")
        .annotate(total=Sum("applied_minor"))
        .values_list("invoice__currency", "total")
    )
    limits: dict[str, Money] = {}
    for currency, total in rows:
        minor = (
            Decimal(int(total or 0)) * rules.credit_limit_months / rules.history_months
        ).to_integral_value(rounding=ROUND_DOWN)
        if minor > 0:
            limits[currency] = Money.from_minor(int(minor), currency)
    return limits


def client_credit_limit(
    *, fund: Fund, client: Client, rules: GuaranteeRules, on: dt.date, currency: str
) -> Money:
    """The client's credit limit in ``currency`` (an invoice's): see
    ``client_credit_limits``; zero when it paid nothing in that currency."""
    limits = client_credit_limits(fund=fund, client=client, rules=rules, on=on)
    return limits.get(currency, Money.zero(currency))


def _credit_used(*, fund: Fund, client: Client, currency: str, exclude: Invoice | None) -> int:
    """What the fund has at stake for ``client`` in ``currency`` on its
    other invoices: each claim not yet decided or waiting for money counts
    what it asks for and has not been paid yet, and every claim counts what
    it advanced and the client has not repaid (a written-off claim's loss
    counts forever)."""
    claims = Claim.objects.filter(
        fund=fund, invoice__client=client, currency=currency, state__in=COUNTED_STATES
    )
    if exclude is not None:
        claims = claims.exclude(invoice=exclude)
    waiting = claims.filter(state__in=("submitted", "approved")).aggregate(
        total=Sum(F("amount_minor") - F("paid_minor"))
    )["total"]
    outstanding = GuaranteeAdvance.objects.filter(claim__in=claims).aggregate(
        total=Sum(F("advanced_minor") - F("recovered_minor"))
    )["total"]
    return int(waiting or 0) + int(outstanding or 0)


def _advances_outstanding(invoice: Invoice) -> dict[int, int]:
    """What the fund advanced each member on ``invoice`` and has not recovered."""
    rows = (
        GuaranteeAdvance.objects.filter(claim__invoice=invoice)
        .values("member_id")
        .annotate(total=Sum(F("advanced_minor") - F("recovered_minor")))
        .values_list("member_id", "total")
    )
    return {int(member): int(total or 0) for member, total in rows}


def unpaid_member_shares(invoice: Invoice) -> dict[int, int]:
    """Each member's share of ``invoice`` that has reached them neither from
    the client nor from the fund: their target (``invoice_targets``) less
    what payments gave them (``shares_so_far``, diverted parts included:
    they repaid an advance, which had reached them) less what the fund
    advanced them and has not recovered. Members with nothing unpaid are
    left out. What a payout may give each member without paying anyone
    twice."""
    given = shares_so_far(invoice)
    advanced = _advances_outstanding(invoice)
    unpaid: dict[int, int] = {}
    for target in invoice_targets(invoice):
        if not target.key.startswith(MEMBER_PREFIX):
            continue
        member_id = int(target.key.removeprefix(MEMBER_PREFIX))
        rest = target.amount.minor_units - given.get(target.key, 0) - advanced.get(member_id, 0)
        if rest > 0:
            unpaid[member_id] = rest
    return unpaid


@dataclass(frozen=True)
class Eligibility:
    """Whether a claim on ``invoice`` can be made now, and for how much.

    ``reasons`` say in words why not (empty when eligible), ``codes`` the
    same as stable codes; ``covered`` is what a claim would ask for (zero
    when not eligible); ``unpaid_member_shares`` each member's unpaid share
    (user id -> minor units of the invoice currency)."""

    eligible: bool
    reasons: list[str]
    covered: Money
    unpaid_member_shares: dict[int, int]
    codes: list[str]
    credit_limit: Money
    credit_used: Money


def guarantee_eligibility(*, fund: Fund, invoice: Invoice, on: dt.date) -> Eligibility:
    """Whether the guarantee covers ``invoice`` on ``on`` under the rules in
    force that day, and for how much.

    It does when the invoice is issued and not fully paid, its due date is
    more than ``overdue_days`` before ``on``, its client has a signed
    agreement, some member's share is unpaid, and the client's credit limit
    (``client_credit_limits``) less what the fund has at stake for it on its
    other invoices leaves room. It then covers ``cap_percent`` of the
    members' unpaid shares (rounded down), or the room left if smaller."""
    currency = invoice.currency
    zero = Money.zero(currency)
    reasons: list[tuple[str, str]] = []
    version = rules_in_force(fund=fund, on=on)
    if version is None:
        return Eligibility(
            eligible=False,
            reasons=["The fund has no rules in force yet."],
            covered=zero,
            unpaid_member_shares={},
            codes=["no_rules"],
            credit_limit=zero,
            credit_used=zero,
        )
    rules = rules_for(fund.kind, version.rules)
    assert isinstance(rules, GuaranteeRules)  # noqa: S101 -- a guarantee fund's rules
    if invoice.kind != Invoice.Kind.INVOICE:
        reasons.append(("not_an_invoice", "A credit note is not a debt the fund can cover."))
    elif invoice.status == Invoice.Status.DRAFT:
        reasons.append(("not_issued", "The invoice is a draft: nothing is owed on it yet."))
    elif invoice.status != Invoice.Status.ISSUED or invoice.outstanding_minor <= 0:
        reasons.append(("not_unpaid", f"Nothing is left unpaid on {invoice.number}."))
    elif invoice.due_date is None or invoice.due_date + dt.timedelta(days=rules.overdue_days) >= on:
        claimable = (
            invoice.due_date + dt.timedelta(days=rules.overdue_days + 1)
            if invoice.due_date
            else None
        )
        reasons.append(
            (
                "not_overdue",
                f"{invoice.number} is not overdue by more than {rules.overdue_days} days"
                + (f"; it can be claimed from {claimable.isoformat()}." if claimable else "."),
            )
        )
    agreement = ClientAgreement.objects.filter(
        collective_id=fund.collective_id, client_id=invoice.client_id, signed_on__lte=on
    ).exists()
    if not agreement:
        reasons.append(
            ("no_agreement", "The client has not signed the collective's payment agreement.")
        )
    unpaid = unpaid_member_shares(invoice) if invoice.kind == Invoice.Kind.INVOICE else {}
    if not reasons and not unpaid:
        reasons.append(("no_member_shares", "No member's share of the invoice is unpaid."))
    limit = client_credit_limit(
        fund=fund, client=invoice.client, rules=rules, on=on, currency=currency
    )
    used = _credit_used(fund=fund, client=invoice.client, currency=currency, exclude=invoice)
    room = limit.minor_units - used
    if limit.is_zero():
        reasons.append(
            (
                "no_credit_history",
                f"The client paid nothing in {currency} in the last {rules.history_months} "
                "months, so it has no credit limit.",
            )
        )
    elif room <= 0:
        reasons.append(
            (
                "beyond_credit_limit",
                f"The client's credit limit of {limit} is taken by the fund's other claims.",
            )
        )
    covered = zero
    if not reasons:
        capped = (Decimal(sum(unpaid.values())) * rules.cap_percent / 100).to_integral_value(
            rounding=ROUND_DOWN
        )
        covered = Money.from_minor(min(int(capped), room), currency)
        if covered.is_zero():
            reasons.append(("nothing_covered", "The cap leaves nothing to cover."))
    return Eligibility(
        eligible=not reasons,
        reasons=[text for _, text in reasons],
        covered=covered if not reasons else zero,
        unpaid_member_shares=unpaid,
        codes=[code for code, _ in reasons],
        credit_limit=limit,
        credit_used=Money.from_minor(used, currency),
    )


# --- Claiming -------------------------------------------------------------------------------


def guarantee_claim_submit(
    *,
    fund: Fund,
    claimant: User,
    invoice: Invoice,
    reason: str = "",
    disclosure: str = "everything",
) -> Claim:
    """A member with a share in ``invoice`` claims the members' unpaid
    shares of it from the guarantee fund (``guarantee_eligibility`` on
    today). The claim is for what the guarantee covers, in the invoice's
    currency, approved as the rules say.

    Refuses, changing nothing: a claimant who is not an active member
    (``not_a_member``), an invoice of another collective (``unknown_invoice``),
    a claimant with no share in it (``no_share``), a second claim on the
    invoice (``claim_exists``: one is live, paid or written off), and an
    invoice the guarantee does not cover (``not_eligible``, saying why)."""
    if fund.kind != Fund.Kind.GUARANTEE:
        raise ValidationFailed(
            "Overdue invoices are claimed from the payment guarantee fund.",
            code="not_a_guarantee_fund",
            field="fund",
        )
    require_member(collective=fund.collective, user=claimant)
    if invoice.collective_id != fund.collective_id:
        raise ValidationFailed(
            "That is not one of the collective's invoices.",
            code="unknown_invoice",
            field="invoice",
        )
    today = timezone.localdate()
    with transaction.atomic():
        # The fund's row first (the order a payout takes: fund, claim,
        # invoice): two claims on invoices of the same client at once would
        # otherwise each see the client's credit limit unused.
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        # A payment, a payout or a second claim on this invoice waits: the
        # shares read below stay as they are until the claim is made.
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=invoice.pk)
        )
        key = f"{MEMBER_PREFIX}{claimant.pk}"
        if locked.kind != Invoice.Kind.INVOICE or not any(
            t.key == key and t.amount.minor_units > 0 for t in invoice_targets(locked)
        ):
            raise PermissionDenied(
                f"You have no share in {locked.number or 'this invoice'}; a member whose "
                "work is on it claims.",
                code="no_share",
                field="invoice",
            )
        if Claim.objects.filter(invoice=locked, state__in=LIVE_CLAIM_STATES).exists():
            raise Conflict(
                f"A claim on {locked.number} is already made; the guarantee covers an "
                "invoice once, so claiming twice is refused.",
                code="claim_exists",
                field="invoice",
            )
        eligibility = guarantee_eligibility(fund=fund, invoice=locked, on=today)
        if not eligibility.eligible:
            raise Conflict(
                f"The guarantee does not cover {locked.number}: " + " ".join(eligibility.reasons),
                code="not_eligible",
                field="invoice",
            )
        try:
            with transaction.atomic():
                return claim_create(
                    fund=fund,
                    claimant=claimant,
                    claim_date=today,
                    reason=reason,
                    disclosure=disclosure,
                    currency=locked.currency,
                    amount_minor=eligibility.covered.minor_units,
                    invoice=locked,
                )
        except IntegrityError:
            raise Conflict(
                f"A claim on {locked.number} was made a moment ago.",
                code="claim_exists",
                field="invoice",
            ) from None


# --- Paying out -----------------------------------------------------------------------------


def _source(claim: Claim) -> Account:
    return pool_account(claim.collective, CODE, claim.currency)


def _plan(claim: Claim, amount: Money) -> PayoutPlan:
    """Pay ``amount`` of ``claim``: ``Dr`` the pool in the claim's currency,
    ``Cr`` each member's payable their part, spread over the members by
    their unpaid shares as they stand now (``allocate``: exact, and no
    member above their unpaid share). Called by ``claims`` holding the
    fund's and the claim's row locks; takes the invoice's, so a payment on
    the invoice waits for the payout (and then repays the advances) or the
    payout sees what the payment gave.

    If the client paid part of the invoice since the claim was approved,
    the claim pays only what the cap still covers of the members' unpaid
    shares now, and is settled at that (``PayoutPlan.settles``): nobody is
    paid twice for the same work."""
    assert claim.invoice_id is not None  # noqa: S101 -- a guarantee claim names its invoice
    invoice = Invoice.objects.select_for_update().get(pk=claim.invoice_id)
    unpaid = unpaid_member_shares(invoice)
    rules = rules_for(claim.fund.kind, claim.rules.rules)
    assert isinstance(rules, GuaranteeRules)  # noqa: S101 -- a guarantee claim's rules
    still_covered = int(
        (Decimal(sum(unpaid.values())) * rules.cap_percent / 100).to_integral_value(
            rounding=ROUND_DOWN
        )
    )
    pay = Money.from_minor(min(amount.minor_units, still_covered), amount.currency)
    settles = pay.minor_units < amount.minor_units
    ids = sorted(unpaid)
    parts = (
        dict(zip(ids, allocate(pay, [unpaid[i] for i in ids]), strict=True))
        if not pay.is_zero()
        else {}
    )
    members = {
        user.pk: user
        for user in User.objects.filter(pk__in=ids).select_related("profile").order_by("pk")
    }
    collective = claim.collective
    lines = [Line(pool_account(collective, CODE, claim.currency), pay)] if parts else []
    for member_id, part in parts.items():
        if not part.is_zero():
            lines.append(
                Line(member_account(collective, members[member_id], claim.currency), -part)
            )

    def after(posted: Transaction) -> None:
        for member_id, part in parts.items():
            if part.is_zero():
                continue
            grown = GuaranteeAdvance.objects.filter(claim=claim, member_id=member_id).update(
                advanced_minor=F("advanced_minor") + part.minor_units
            )
            if not grown:
                GuaranteeAdvance.objects.create(
                    claim=claim,
                    member_id=member_id,
                    advanced_minor=part.minor_units,
                    currency=claim.currency,
                )

    return PayoutPlan(
        lines=lines,
        memo=f"Payment guarantee: the members' unpaid shares of {invoice.number} (claim #{claim.pk})",
        after=after,
        amount=pay,
        settles=settles,
    )


# --- Refilling ------------------------------------------------------------------------------


def refill_diverter(
    *, invoice: Invoice, member: User, amount: Money, on: dt.date
) -> list[Diversion]:
    """Billing's share diverter: of ``member``'s part ``amount`` of a payment
    on ``invoice``, what the guarantee fund advanced them on it and has not
    recovered goes back to the fund's pool (in the part's currency, the
    invoice's), oldest advance first; the member gets the rest. Runs under
    the invoice's row lock (``payment_record``), the lock a payout takes
    too, so an advance and its recovery never interleave."""
    advances = list(
        GuaranteeAdvance.objects.filter(
            claim__invoice=invoice,
            member=member,
            currency=amount.currency,
            recovered_minor__lt=F("advanced_minor"),
        )
        .select_related("claim__collective")
        .order_by("pk")
    )
    left = amount.minor_units
    taken: list[Diversion] = []
    for advance in advances:
        take = min(left, advance.advanced_minor - advance.recovered_minor)
        if take <= 0:
            break
        GuaranteeAdvance.objects.filter(pk=advance.pk).update(
            recovered_minor=F("recovered_minor") + take
        )
        taken.append(
            Diversion(
                account=pool_account(advance.claim.collective, CODE, amount.currency),
                amount=Money.from_minor(take, amount.currency),
                reason=REFILL,
            )
        )
        left -= take
    return taken


def register() -> None:
    """Plug the guarantee into claims (how its claims are paid) and billing
    (the refill). Idempotent; called once at start-up."""
    payout_kind_register(CODE, source=_source, plan=_plan)
    share_diverter_register(REFILL, refill_diverter, order=REFILL_ORDER)
    credit_guard_register(CODE, credit_guard)


# --- Writing off ----------------------------------------------------------------------------


def _write_off_claim(payload: dict[str, Any], collective_id: int) -> Claim:
    raw = payload.get("claim_id")
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
        raise ValidationFailed(
            "Name the guarantee claim whose invoice is written off.",
            code="claim_required",
            field="claim_id",
        )
    claim = (
        Claim.objects.filter(pk=raw, collective_id=collective_id)
        .select_related("fund", "rules", "invoice")
        .first()
    )
    if claim is None:
        raise ValidationFailed(
            "There is no such claim in this collective.", code="claim_not_found", field="claim_id"
        )
    return claim


def _write_off_checked(claim: Claim, *, today: dt.date) -> Invoice:
    if claim.fund.kind != Fund.Kind.GUARANTEE or claim.invoice is None:
        raise ValidationFailed(
            "Only a payment guarantee claim's invoice can be written off.",
            code="not_a_guarantee_claim",
            field="claim_id",
        )
    if claim.state != Claim.State.PAID:
        raise Conflict(
            "Only an invoice the fund has paid the members for can be written off "
            f"(the claim is {claim.get_state_display().lower()}).",
            code="claim_not_paid",
            field="claim_id",
        )
    invoice = claim.invoice
    if invoice.status != Invoice.Status.ISSUED or invoice.outstanding_minor <= 0:
        raise Conflict(f"Nothing is left unpaid on {invoice.number}.", code="invoice_not_unpaid")
    rules = rules_for(claim.fund.kind, claim.rules.rules)
    assert isinstance(rules, GuaranteeRules)  # noqa: S101 -- a guarantee claim's rules
    assert invoice.due_date is not None  # noqa: S101 -- an issued invoice has one
    if invoice.due_date + dt.timedelta(days=rules.write_off_days) >= today:
        possible = invoice.due_date + dt.timedelta(days=rules.write_off_days + 1)
        raise Conflict(
            f"{invoice.number} can be written off once it is overdue by more than "
            f"{rules.write_off_days} days, from {possible.isoformat()}.",
            code="write_off_too_early",
            field="claim_id",
        )
    return invoice


def write_off_validate(draft: ProposalDraft) -> dict[str, Any]:
    """The ``write_off`` proposal's payload (``{"claim_id": N}``): a paid
    guarantee claim of this collective whose invoice is still unpaid and
    overdue by more than the claim's rules' ``write_off_days``, with no
    other write-off vote open on it."""
    unknown = sorted(set(draft.payload) - {"claim_id"})
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}; a write-off names claim_id.",
            code="invalid_payload",
            field=unknown[0],
        )
    claim = _write_off_claim(draft.payload, draft.collective.pk)
    _write_off_checked(claim, today=timezone.localdate())
    if Proposal.objects.filter(
        collective=draft.collective,
        kind=Proposal.Kind.WRITE_OFF,
        state=Proposal.State.OPEN,
        payload__claim_id=claim.pk,
    ).exists():
        raise Conflict(
            "A vote on writing this invoice off is already open.",
            code="write_off_open",
            field="claim_id",
        )
    return {"claim_id": claim.pk}


def _coordinator_for(proposal: Proposal) -> User:
    """Who issues the credit note: the proposal's author if a coordinator,
    else the collective's longest-serving active coordinator."""
    coordinators = Membership.objects.filter(
        collective_id=proposal.collective_id,
        role=Membership.Role.COORDINATOR,
        state=Membership.State.ACTIVE,
        user__is_active=True,
    ).select_related("user")
    own = coordinators.filter(user_id=proposal.author_id).first()
    if own is not None:
        return own.user
    first = coordinators.order_by("joined_at", "pk").first()
    if first is None:
        raise Conflict(
            "The collective has no active coordinator to issue the credit note.",
            code="no_coordinator",
        )
    return first.user


def write_off_apply(proposal: Proposal) -> str:
    """The members voted to write the invoice off: credit what is still owed
    on it (``billing.services.credit_note_issue``, issued in the name of a
    coordinator) and mark the claim ``written_off``; the fund keeps what it
    could not recover as its loss. Billing's refusal (a DomainError) is
    raised for governance to record; nothing is written then."""
    today = timezone.localdate()
    claim = Claim.objects.filter(pk=int(proposal.payload["claim_id"])).first()
    if claim is None:
        raise Conflict("The claim this vote was about no longer exists.", code="claim_not_found")
    with transaction.atomic():
        # The fund's row, then the claim's, then (in billing) the invoice's:
        # the order a payout takes them.
        Fund.objects.select_for_update(no_key=True).get(pk=claim.fund_id)
        locked = (
            Claim.objects.select_for_update(no_key=True, of=("self",))
            .select_related("fund", "rules", "invoice")
            .get(pk=claim.pk)
        )
        if locked.state == Claim.State.WRITTEN_OFF:
            return f"The invoice of claim #{locked.pk} was already written off."
        invoice = _write_off_checked(locked, today=today)
        actor = _coordinator_for(proposal)
        token = _writing_off.set(invoice.pk)
        try:
            note = credit_note_issue(
                invoice=invoice,
                actor=actor,
                reason=f"Written off by the members' vote (proposal #{proposal.pk}); the "
                f"payment guarantee fund bears the loss (claim #{locked.pk}).",
                idempotency_key=f"mutual:write_off:{locked.pk}",
            )
        finally:
            _writing_off.reset(token)
        Claim.objects.filter(pk=locked.pk).update(
            state=Claim.State.WRITTEN_OFF,
            decision_note=f"Written off by the members' vote: credit note {note.number}."[:300],
        )
    credited = Money.from_minor(note.total_minor, note.currency)
    return f"{invoice.number} is written off: credit note {note.number} for {credited}."


# The invoice a passed write-off vote is crediting right now: the credit
# guard lets that one credit note through.
_writing_off: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "mutual_writing_off", default=None
)


def credit_guard(invoice: Invoice) -> None:
    """Billing's credit guard: an invoice the guarantee fund has paid the
    members for (or is paying them for) is written off only by the members'
    vote, never by a coordinator's credit note: crediting it would shrink the
    members' shares the fund's advances are repaid from."""
    if _writing_off.get() == invoice.pk:
        return
    staked = Claim.objects.filter(
        invoice=invoice, state__in=(Claim.State.SUBMITTED, Claim.State.APPROVED, Claim.State.PAID)
    ).first()
    if staked is not None:
        raise Conflict(
            f"The payment guarantee fund has claim #{staked.pk} on {invoice.number}: it is "
            "written off only by the members' vote (a write-off proposal on the claim).",
            code="guaranteed_invoice",
            field="invoice",
        )


def write_off_describe(proposal: Proposal) -> list[tuple[str, str]]:
    """Label/value rows for a write-off proposal's page."""
    claim = (
        Claim.objects.filter(pk=proposal.payload.get("claim_id"))
        .select_related("invoice__client")
        .first()
    )
    if claim is None or claim.invoice is None:
        return []
    invoice = claim.invoice
    advanced = GuaranteeAdvance.objects.filter(claim=claim).aggregate(
        advanced=Sum("advanced_minor"), recovered=Sum("recovered_minor")
    )
    return [
        ("Claim", f"#{claim.pk}, {claim.get_state_display().lower()}"),
        ("Invoice", invoice.number),
        ("Client", invoice.client.name),
        ("Due", invoice.due_date.isoformat() if invoice.due_date else ""),
        ("Still owed", str(Money.from_minor(invoice.outstanding_minor, invoice.currency))),
        (
            "Paid by the fund",
            str(Money.from_minor(int(advanced["advanced"] or 0), claim.currency)),
        ),
        (
            "Recovered so far",
            str(Money.from_minor(int(advanced["recovered"] or 0), claim.currency)),
        ),
    ]


__all__ = [
    "REFILL",
    "Eligibility",
    "client_agreement_record",
    "client_agreement_remove",
    "client_credit_limit",
    "client_credit_limits",
    "guarantee_claim_submit",
    "guarantee_eligibility",
    "months_before",
    "refill_diverter",
    "register",
    "unpaid_member_shares",
    "write_off_apply",
    "write_off_describe",
    "write_off_validate",
]
