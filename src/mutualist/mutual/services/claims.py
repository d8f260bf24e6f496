"""Claims on a fund: submitted, approved by peers or by a vote, reserved,
paid; or rejected, expired, withdrawn.

The money contract (DESIGN.md, ledger rule 4): a claim is paid only out of
what its source account holds less what other approved claims have
reserved on it, under the fund's row lock, so any number of approvals and
payments at once never pay out more than the fund holds. What cannot be paid
yet waits (``approved``, nothing or part reserved) and ``mutualist tick``
pays it, oldest approval first, as money comes in.

Locks are always taken in the same order: the fund row, then the claim
row(s), then (inside ``transaction_post``) the accounts in key order, so two
callers can wait for each other but never deadlock.

Each fund kind says where its claims are paid from and how
(``payout_kind_register``); sick pay is paid month by month by its own run
(``services.sick_pay``) and never through ``claim_pay``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from mutualist.collectives.models import Membership
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_create
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import Line, WouldGoNegative, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor
from mutualist.mutual.models import Claim, ClaimApproval, ClaimPayment, Fund
from mutualist.mutual.rules import rules_for
from mutualist.mutual.services.funds import fund_name, require_member, rules_in_force_or_refuse

logger = logging.getLogger(__name__)

REASON_MAX = 2_000
NOTE_MAX = 300
# How long members have to vote on a claim decided by a vote.
CLAIM_VOTE_DAYS = 7


@dataclass(frozen=True)
class PayoutPlan:
    """How one payment of a claim is booked: balanced ``lines`` (the fund's
    side debited, the member's credited), a memo, and what to record once
    the transaction is posted (in the same database transaction)."""

    lines: list[Line]
    memo: str
    after: Callable[[Transaction], None] | None = None
    # What the plan pays when it is less than was asked (the client paid
    # part of a guaranteed invoice meanwhile); None pays what was asked, and
    # zero posts nothing.
    amount: Money | None = None
    # Nothing is owed on the claim beyond what this plan pays: the claim is
    # settled, its amount lowered to what it was paid in all.
    settles: bool = False


@dataclass(frozen=True)
class PayoutKind:
    source: Callable[[Claim], Account]
    plan: Callable[[Claim, Money], PayoutPlan]
    # Whether the source is the claimant's own (savings): other members'
    # reservations on the fund do not touch it.
    own_account: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_payout_kinds: dict[str, PayoutKind] = {}


def payout_kind_register(
    kind: str,
    *,
    source: Callable[[Claim], Account],
    plan: Callable[[Claim, Money], PayoutPlan],
    own_account: bool = False,
) -> None:
    """Say how claims on funds of ``kind`` are paid. Registering again
    replaces the entry (tests register their own)."""
    _payout_kinds[kind] = PayoutKind(source=source, plan=plan, own_account=own_account)


def payout_kind(kind: str) -> PayoutKind:
    found = _payout_kinds.get(kind)
    if found is None:
        raise Conflict(
            f"Claims on the {fund_name(kind)} are not paid this way.",
            code="not_payable",
        )
    return found


# --- Submitting ------------------------------------------------------------------------


def _disclosure(value: str) -> str:
    if value not in Claim.Disclosure.values:
        raise ValidationFailed(
            f"Choose what the group is told: {', '.join(Claim.Disclosure.values)}.",
            code="invalid_disclosure",
            field="disclosure",
        )
    return value


def text_clean(text: str, *, field: str, max_length: int) -> str:
    cleaned = (text or "").strip()
    if "\x00" in cleaned:
        raise ValidationFailed("The text holds a NUL character.", code="invalid_text", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed(
            f"This is {len(cleaned)} characters; at most {max_length}.",
            code="too_long",
            field=field,
        )
    return cleaned


def claim_create(
    *,
    fund: Fund,
    claimant: User,
    claim_date: dt.date,
    reason: str,
    disclosure: str,
    currency: str,
    amount_minor: int | None,
    **fields: Any,
) -> Claim:
    """Create a claim once the fund kind's own checks passed (call inside
    ``transaction.atomic()``; the kind module holds whatever lock its checks
    need). Checks the claimant is an active member (``not_a_member``), the
    fund is active (``fund_not_active``) and has rules in force on
    ``claim_date`` (``no_rules``); the claim is judged by those rules from
    then on. Automatic approval approves (and pays) at once; approval by a
    vote opens a ``claim_approval`` proposal; approval by peers waits."""
    require_member(collective=fund.collective, user=claimant)
    if fund.state != Fund.State.ACTIVE:
        raise Conflict(
            f"The {fund_name(fund.kind)} takes no claims until its members vote its rules in.",
            code="fund_not_active",
        )
    if amount_minor is not None and amount_minor <= 0:
        raise ValidationFailed(
            "A claim is for an amount above zero.", code="invalid_amount", field="amount"
        )
    version = rules_in_force_or_refuse(fund=fund, on=claim_date)
    rules = rules_for(fund.kind, version.rules)
    claim = Claim.objects.create(
        fund=fund,
        collective=fund.collective,
        claimant=claimant,
        rules=version,
        approval=rules.approval,
        approvals_needed=rules.approvals_needed if rules.approval == "peers" else 0,
        disclosure=_disclosure(disclosure),
        reason=text_clean(reason, field="reason", max_length=REASON_MAX),
        claim_date=claim_date,
        amount_minor=amount_minor,
        currency=currency,
        **fields,
    )
    if rules.approval == Claim.Approval.AUTOMATIC:
        _approved(claim, note="Approved by the fund's rules.")
    elif rules.approval == Claim.Approval.VOTE:
        proposal = proposal_create(
            collective=fund.collective,
            author=_vote_opener(claim),
            kind=Proposal.Kind.CLAIM_APPROVAL,
            title=f"Claim #{claim.pk} on the {fund_name(fund.kind)}",
            payload={"claim_id": claim.pk},
            closes_at=timezone.now() + dt.timedelta(days=CLAIM_VOTE_DAYS),
            system=True,
        )
        Claim.objects.filter(pk=claim.pk).update(proposal=proposal)
        claim.proposal = proposal
    else:
        claim_id = claim.pk
        transaction.on_commit(lambda: _emails().claim_submitted(claim_id))
    return claim


def _vote_opener(claim: Claim) -> User:
    """Who a claim's approval vote is opened in the name of. A vote's author
    is shown to every member, so a claimant who chose not to be named is not
    it: a coordinator (another member if they are the coordinator) opens it
    on the fund's behalf."""
    if claim.disclosure != Claim.Disclosure.ANONYMOUS:
        return claim.claimant
    others = (
        Membership.objects.filter(
            collective_id=claim.collective_id, state=Membership.State.ACTIVE, user__is_active=True
        )
        .exclude(user_id=claim.claimant_id)
        .select_related("user")
        .order_by("joined_at", "pk")
    )
    coordinator = others.filter(role=Membership.Role.COORDINATOR).first() or others.first()
    return coordinator.user if coordinator is not None else claim.claimant


def _tell_decided(claim_id: int) -> Callable[[], object]:
    return lambda: _emails().claim_decided(claim_id)


def _emails() -> Any:
    from mutualist.mutual import emails

    return emails


# --- Deciding ----------------------------------------------------------------------------


def _lock(claim: Claim) -> tuple[Fund, Claim]:
    """The fund's row lock, then the claim's (the order every money path takes)."""
    fund = Fund.objects.select_for_update(no_key=True).get(pk=claim.fund_id)
    # ``of=("self",)``: the joined rows (the collective's) are read, not
    # locked. Locking them would hold back every payment in the collective
    # (its foreign-key checks at commit) and deadlock one that holds an
    # invoice a payout waits for.
    locked = (
        Claim.objects.select_for_update(no_key=True, of=("self",))
        .select_related("fund__collective", "rules")
        .get(pk=claim.pk)
    )
    return fund, locked


def _require_peer(claim: Claim, actor: User) -> None:
    require_member(collective=claim.collective, user=actor)
    if actor.pk == claim.claimant_id:
        raise PermissionDenied(
            "You cannot approve or reject your own claim; other members decide it.",
            code="own_claim",
        )
    if claim.approval == Claim.Approval.VOTE:
        raise Conflict(
            "This claim is decided by a vote of the members, not by peers one by one.",
            code="decided_by_vote",
        )
    if claim.approval != Claim.Approval.PEERS:
        raise Conflict(
            "This claim is approved by the fund's rules; no one decides it.",
            code="decided_by_rules",
        )
    if claim.state != Claim.State.SUBMITTED:
        raise Conflict(
            f"This claim is no longer waiting for a decision ({claim.get_state_display().lower()}).",
            code="claim_not_open",
        )
    if ClaimApproval.objects.filter(claim=claim, approver=actor).exists():
        raise Conflict("You have already decided on this claim.", code="already_decided")


def _members(count: int) -> str:
    return "one member" if count == 1 else f"{count} members"


def _decisions(claim: Claim) -> dict[str, int]:
    counts = ClaimApproval.objects.filter(claim=claim).aggregate(
        approve=Count("pk", filter=Q(decision=ClaimApproval.Decision.APPROVE)),
        reject=Count("pk", filter=Q(decision=ClaimApproval.Decision.REJECT)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def claim_approve(*, claim: Claim, approver: User, note: str = "") -> Claim:
    """A peer approves ``claim``. Once ``approvals_needed`` peers have, the
    claim is approved: its amount is reserved as far as the fund allows and
    paid. Refuses the claimant (``own_claim``), a second decision by the same
    peer (``already_decided``), a claim decided by a vote or already decided."""
    note = text_clean(note, field="note", max_length=NOTE_MAX)
    with transaction.atomic():
        _fund, locked = _lock(claim)
        _require_peer(locked, approver)
        ClaimApproval.objects.create(
            claim=locked, approver=approver, decision=ClaimApproval.Decision.APPROVE, note=note
        )
        if _decisions(locked)["approve"] >= locked.approvals_needed:
            _approved(locked, note=f"Approved by {_members(locked.approvals_needed)}.")
    locked.refresh_from_db()
    return locked


def claim_reject(*, claim: Claim, approver: User, note: str) -> Claim:
    """A peer rejects ``claim``, saying why (``note_required``). Once as many
    peers rejected it as an approval needs, the claim is rejected."""
    note = text_clean(note, field="note", max_length=NOTE_MAX)
    if not note:
        raise ValidationFailed(
            "Say why you reject the claim; the member is told.",
            code="note_required",
            field="note",
        )
    with transaction.atomic():
        _fund, locked = _lock(claim)
        _require_peer(locked, approver)
        ClaimApproval.objects.create(
            claim=locked, approver=approver, decision=ClaimApproval.Decision.REJECT, note=note
        )
        if _decisions(locked)["reject"] >= locked.approvals_needed:
            _ended(
                locked,
                Claim.State.REJECTED,
                note=f"Rejected by {_members(locked.approvals_needed)}.",
            )
    locked.refresh_from_db()
    return locked


def claim_withdraw(*, claim: Claim, actor: User) -> Claim:
    """The claimant takes back a claim not yet paid in full; what was reserved is released."""
    with transaction.atomic():
        if claim.proposal_id is not None:
            # The vote's row first, the order its closing takes (proposal,
            # then fund and claim), so a withdrawal and the close never
            # wait for each other.
            Proposal.objects.select_for_update(no_key=True).filter(pk=claim.proposal_id).first()
        _fund, locked = _lock(claim)
        if actor.pk != locked.claimant_id:
            raise PermissionDenied(
                "Only the member who made a claim can withdraw it.", code="not_claimant"
            )
        if locked.state not in (Claim.State.SUBMITTED, Claim.State.APPROVED):
            raise Conflict(
                f"This claim cannot be withdrawn ({locked.get_state_display().lower()}).",
                code="claim_not_open",
            )
        if locked.paid_minor:
            raise Conflict(
                "Part of this claim is paid already; it can no longer be withdrawn.",
                code="claim_partly_paid",
            )
        _ended(locked, Claim.State.WITHDRAWN, note="Withdrawn by the member.")
        if locked.proposal_id is not None:
            _withdraw_vote(locked)
    locked.refresh_from_db()
    return locked


def _withdraw_vote(claim: Claim) -> None:
    from mutualist.governance.services import proposal_withdraw

    proposal = claim.proposal
    if proposal is not None and proposal.state == Proposal.State.OPEN:
        # Withdrawn in the name of whoever opened it (the claimant, or the
        # coordinator an anonymous claim's vote was opened by).
        proposal_withdraw(proposal=proposal, actor=proposal.author)


def claim_decided_by_vote(*, claim_id: int, passed: bool) -> str:
    """Apply a ``claim_approval`` vote's outcome (the governance handler calls
    this inside the closing transaction). Returns the note for the record."""
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None:
        raise Conflict("The claim this vote was about no longer exists.", code="claim_not_found")
    _fund, locked = _lock(claim)
    if locked.state != Claim.State.SUBMITTED:
        return f"The claim was already {locked.get_state_display().lower()}."
    if not passed:
        _ended(locked, Claim.State.REJECTED, note="Rejected by the members' vote.")
        return f"Claim #{locked.pk} is rejected."
    _approved(locked, note="Approved by the members' vote.")
    locked.refresh_from_db()
    if locked.state == Claim.State.PAID:
        return f"Claim #{locked.pk} is approved and paid."
    return f"Claim #{locked.pk} is approved."


def _ended(claim: Claim, state: str, *, note: str) -> None:
    """Close a claim that will not be paid (more): its reservation is released."""
    Claim.objects.filter(pk=claim.pk).update(
        state=state, reserved_minor=0, decided_at=timezone.now(), decision_note=note[:300]
    )
    claim_id = claim.pk
    transaction.on_commit(lambda: _emails().claim_decided(claim_id))


def _approved(claim: Claim, *, note: str) -> None:
    """Approve ``claim`` (caller holds the fund and claim locks, or created
    the claim in this transaction after taking the locks its kind needs).
    Sick pay goes on to be paid monthly; any other claim reserves what the
    fund can give and is paid at once."""
    now = timezone.now()
    if claim.fund.kind == Fund.Kind.SICK_PAY:
        Claim.objects.filter(pk=claim.pk).update(
            state=Claim.State.ONGOING, decided_at=now, decision_note=note
        )
        claim_id = claim.pk
        transaction.on_commit(lambda: _emails().claim_decided(claim_id))
        return
    Claim.objects.filter(pk=claim.pk).update(
        state=Claim.State.APPROVED, decided_at=now, decision_note=note
    )
    claim.state = Claim.State.APPROVED
    Fund.objects.select_for_update(no_key=True).get(pk=claim.fund_id)
    _pay_locked(claim)
    claim_id = claim.pk
    transaction.on_commit(lambda: _emails().claim_decided(claim_id))


# --- Paying ------------------------------------------------------------------------------


def _reserved_ahead(claim: Claim, kind: PayoutKind) -> int:
    """What approved claims on the same source, approved before ``claim``,
    still have reserved: the money ``claim`` waits behind (first approved,
    first paid; a later claim never overtakes one waiting for money)."""
    ahead = (
        Claim.objects.filter(
            fund_id=claim.fund_id, currency=claim.currency, state=Claim.State.APPROVED
        )
        .filter(
            Q(decided_at__lt=claim.decided_at) | Q(decided_at=claim.decided_at, pk__lt=claim.pk)
            if claim.decided_at is not None
            else Q(pk__lt=claim.pk)
        )
        .exclude(pk=claim.pk)
    )
    if kind.own_account:
        ahead = ahead.filter(claimant_id=claim.claimant_id)
    return int(ahead.aggregate(total=Sum("reserved_minor"))["total"] or 0)


def fund_available_minor(*, claim: Claim) -> int:
    """What ``claim`` could be paid now: its source account's money less what
    the claims approved before it still have reserved (never below zero)."""
    kind = payout_kind(claim.fund.kind)
    source = kind.source(claim)
    source.refresh_from_db(fields=["balance_minor"])
    return max(0, balance_minor(source) - _reserved_ahead(claim, kind))


def _partial_allowed(claim: Claim) -> bool:
    rules = rules_for(claim.fund.kind, claim.rules.rules)
    return bool(getattr(rules, "partial_payouts", False))


def _pay_locked(claim: Claim) -> int:
    """Pay ``claim`` what it can have now (caller holds the fund lock and the
    claim's). An approved claim keeps its unpaid rest reserved until it is
    paid, rejected, withdrawn or ended; claims approved before it are paid
    first. Returns the minor units paid."""
    claim.refresh_from_db()
    if claim.state != Claim.State.APPROVED or claim.amount_minor is None:
        return 0
    rest = claim.amount_minor - claim.paid_minor
    available = fund_available_minor(claim=claim)
    if available >= rest:
        amount = rest
    elif _partial_allowed(claim):
        amount = available
    else:
        amount = 0
    Claim.objects.filter(pk=claim.pk).update(reserved_minor=rest)
    if amount == 0:
        return 0
    kind = payout_kind(claim.fund.kind)
    money = Money.from_minor(amount, claim.currency)
    today = timezone.localdate()
    posted: Transaction | None = None
    try:
        with transaction.atomic():
            plan = kind.plan(claim, money)
            actual = plan.amount if plan.amount is not None else money
            if actual.currency != money.currency or not 0 <= actual.minor_units <= amount:
                raise ValueError(f"a plan pays between nothing and {money}; got {actual}")
            if not actual.is_zero():
                posted = transaction_post(
                    lines=plan.lines,
                    memo=plan.memo[:500],
                    occurred_at=today,
                    idempotency_key=f"mutual:claim:{claim.pk}:{claim.paid_minor}",
                    kind="fund_payout",
                    cause=claim,
                )
                if plan.after is not None:
                    plan.after(posted)
    except WouldGoNegative:
        # The reservation said the money was there; a source that moved
        # outside the claims' reservations (a refund, an exit) leaves it
        # waiting rather than paying what is not held.
        logger.warning("claim %s could not be paid: its source fell short", claim.pk)
        return 0
    paid = claim.paid_minor + actual.minor_units
    if posted is not None:
        ClaimPayment.objects.create(
            claim=claim,
            amount_minor=actual.minor_units,
            requested_minor=actual.minor_units,
            currency=claim.currency,
            transaction=posted,
            paid_on=today,
        )
    if plan.settles and paid == 0:
        _ended(claim, Claim.State.ENDED, note="Nothing was left to pay: it was paid meanwhile.")
        return 0
    owed = paid if plan.settles else claim.amount_minor
    changes: dict[str, Any] = {
        "paid_minor": paid,
        "amount_minor": owed,
        "reserved_minor": owed - paid,
        "state": Claim.State.PAID if paid == owed else Claim.State.APPROVED,
    }
    if plan.settles:
        changes["decision_note"] = "Paid what was still owed; the rest was paid meanwhile."
    Claim.objects.filter(pk=claim.pk).update(**changes)
    return actual.minor_units


def claim_pay(*, claim: Claim) -> Claim:
    """Pay an approved claim what the fund can give now, under the fund's
    row lock: all of it, or (where the rules allow) part of it; the rest
    waits. Never beyond what the source holds less others' reservations."""
    with transaction.atomic():
        _fund, locked = _lock(claim)
        if locked.fund.kind == Fund.Kind.SICK_PAY:
            raise Conflict(
                "Sick pay is paid month by month by the fund's monthly run.", code="not_payable"
            )
        _pay_locked(locked)
    locked.refresh_from_db()
    return locked


def claims_pay_waiting() -> int:
    """Pay approved claims still waiting for money, oldest approval first (tick)."""
    paid = 0
    waiting = (
        Claim.objects.filter(state=Claim.State.APPROVED)
        .exclude(fund__kind=Fund.Kind.SICK_PAY)
        .order_by("decided_at", "pk")
        .values_list("pk", "fund_id")
    )
    for claim_id, fund_id in list(waiting):
        with transaction.atomic():
            Fund.objects.select_for_update(no_key=True).get(pk=fund_id)
            claim = (
                Claim.objects.select_for_update(no_key=True, of=("self",))
                .select_related("fund__collective", "rules")
                .get(pk=claim_id)
            )
            if _pay_locked(claim):
                paid += 1
    return paid


def claims_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire claims left undecided past their rules' ``claim_expiry_days``,
    and withdraw those whose vote was withdrawn (tick)."""
    now = now or timezone.now()
    expired = 0
    # A claim whose vote was withdrawn (by its opener or a coordinator) has
    # no one left to decide it: it is withdrawn too.
    orphaned = Claim.objects.filter(
        state=Claim.State.SUBMITTED, proposal__state=Proposal.State.WITHDRAWN
    ).values_list("pk", flat=True)
    for claim_id in list(orphaned):
        if Claim.objects.filter(pk=claim_id, state=Claim.State.SUBMITTED).update(
            state=Claim.State.WITHDRAWN,
            reserved_minor=0,
            decided_at=now,
            decision_note="Its vote was withdrawn.",
        ):
            expired += 1
            transaction.on_commit(_tell_decided(claim_id))
    for claim in Claim.objects.filter(state=Claim.State.SUBMITTED).select_related("rules", "fund"):
        days = rules_for(claim.fund.kind, claim.rules.rules).claim_expiry_days
        if claim.proposal_id is not None or claim.created_at + dt.timedelta(days=days) > now:
            continue
        # A conditional update claims it: a second scheduler finds nothing to do.
        if Claim.objects.filter(pk=claim.pk, state=Claim.State.SUBMITTED).update(
            state=Claim.State.EXPIRED,
            reserved_minor=0,
            decided_at=now,
            decision_note=f"Not decided within {days} days.",
        ):
            expired += 1
            transaction.on_commit(_tell_decided(claim.pk))
    return expired
