"""Reads of the funds, scoped to who may see them.

Every page and endpoint gets a fund or a claim through ``fund_get_for_user``
or ``claim_get_for_user``: an active member of the collective sees its funds
and claims; anyone else gets a 404, as if nothing were there. Within a claim,
what a member sees of someone else's follows the claimant's disclosure
choice (``claim_view``); the peers who decide and the coordinators see all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from mutualist.billing.models import Invoice, PaymentShare
from mutualist.billing.services import invoice_targets
from mutualist.billing.split import MEMBER_PREFIX
from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.governance.models import Proposal
from mutualist.ledger.models import Account, Posting
from mutualist.ledger.services import exchange_rate_find
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, pool_accounts
from mutualist.mutual.models import (
    Claim,
    ClaimApproval,
    ClaimPayment,
    ClientAgreement,
    Deposit,
    Fund,
    FundRules,
    GuaranteeAdvance,
    Participation,
    ParticipationChange,
)
from mutualist.mutual.rules import AnyRules, SickPayRules, rules_for
from mutualist.mutual.services.funds import newest_rules, rules_in_force
from mutualist.work.models import Client

ID_MAX = 2**63 - 1
# The funds a collective's page lists, in this order.
KIND_ORDER = [Fund.Kind.SICK_PAY, Fund.Kind.GUARANTEE, Fund.Kind.INCOME_GAP, Fund.Kind.SAVINGS]
# Funds that keep an account per member rather than one pool.
PER_MEMBER = {Fund.Kind.SICK_PAY, Fund.Kind.SAVINGS}


# --- Getting a fund or a claim ------------------------------------------------------------


def fund_list_for_user(*, user: User, slug: str) -> tuple[Collective, Membership, list[Fund]]:
    """The collective, the viewer's membership and its funds (404 for outsiders)."""
    collective, membership = collective_get_for_member(user=user, slug=slug)
    funds = sorted(
        Fund.objects.filter(collective=collective),
        key=lambda fund: KIND_ORDER.index(Fund.Kind(fund.kind)),
    )
    return collective, membership, funds


def fund_get_for_user(*, user: User, slug: str, kind: str) -> Fund:
    """The collective's fund of ``kind``; 404 for outsiders and unknown kinds."""
    collective, _membership = collective_get_for_member(user=user, slug=slug)
    fund = (
        Fund.objects.filter(collective=collective, kind=kind).select_related("collective").first()
    )
    if fund is None:
        raise Http404("No such fund.")
    return fund


def fund_find(*, collective: Collective, kind: str) -> Fund | None:
    """The collective's fund of ``kind`` if it was ever set up (a fund whose
    first vote failed included), else None. The caller got ``collective``
    through a permission-scoped getter (the setup page:
    ``collective_get_for_coordinator``)."""
    return Fund.objects.filter(collective=collective, kind=kind).first()


def fund_find_for_operator(*, slug: str, kind: str) -> Fund | None:
    """The fund of ``kind`` of the collective ``slug``, whoever asks: for
    the operator's commands (``mutualist simulate --fund``), which run with
    no user and check no permission. Pages and endpoints use
    ``fund_get_for_user``."""
    return (
        Fund.objects.filter(collective__slug=slug, kind=kind).select_related("collective").first()
    )


def claim_get_for_user(*, user: User, slug: str, claim_id: int) -> Claim:
    """A claim in the collective; 404 for outsiders and unknown ids."""
    collective, _membership = collective_get_for_member(user=user, slug=slug)
    if not 0 < claim_id <= ID_MAX:
        raise Http404("No such claim.")
    claim = (
        Claim.objects.filter(pk=claim_id, collective=collective)
        .select_related("fund", "collective", "claimant", "rules", "invoice", "proposal")
        .first()
    )
    if claim is None or not _claim_visible(claim, user):
        raise Http404("No such claim.")
    return claim


def _claim_visible(claim: Claim, user: User) -> bool:
    """Savings are a member's own money: their withdrawals are theirs and the
    coordinators' to see, not the group's. Every other claim is the group's."""
    if claim.fund.kind != Fund.Kind.SAVINGS or claim.claimant_id == user.pk:
        return True
    return is_coordinator(collective_id=claim.collective_id, user=user)


def is_coordinator(*, collective_id: int, user: User) -> bool:
    return Membership.objects.filter(
        collective_id=collective_id,
        user=user,
        state=Membership.State.ACTIVE,
        role=Membership.Role.COORDINATOR,
    ).exists()


# --- Money held ---------------------------------------------------------------------------


def fund_accounts(fund: Fund) -> list[Account]:
    """Every ledger account holding the fund's money: its pool accounts and
    its members' own accounts."""
    own = Account.objects.filter(
        owner_type=ContentType.objects.get_for_model(Participation),
        owner_id__in=Participation.objects.filter(fund=fund).values("pk"),
    )
    return pool_accounts(fund) + list(own.order_by("currency", "name"))


def _by_currency(pairs: Iterable[tuple[str, int]]) -> list[Money]:
    totals: dict[str, int] = defaultdict(int)
    for currency, minor in pairs:
        totals[currency] += minor
    return [Money.from_minor(totals[c], c) for c in sorted(totals)]


def _in(amounts: list[Money], currency: str) -> Money:
    for money in amounts:
        if money.currency == currency:
            return money
    return Money.from_minor(0, currency)


@dataclass(frozen=True)
class FundOverview:
    fund: Fund
    rules: FundRules | None
    typed_rules: AnyRules | None
    # The newest version when it is not in force yet (a change effective later).
    upcoming_rules: FundRules | None
    rules_vote: Proposal | None
    balances: list[Money]
    reserved: list[Money]
    available: list[Money]
    # What the fund has promised and not paid, in the fund's currency: the
    # rest of approved claims, and a month of every ongoing sick claim.
    obligations: Money
    money_in: list[Money]
    paid_out: list[Money]
    monthly_claim_rate: Money
    runway_months: Decimal | None
    # Currencies the fund holds or paid in with no rate on record to the
    # fund's: left out of the runway.
    runway_left_out: list[str]
    participants: int
    claims_waiting: int
    claims_ongoing: int
    warnings: list[str] = field(default_factory=list)


def _in_fund_currency(amounts: list[Money], fund: Fund, today: dt.date) -> tuple[int, list[str]]:
    """``amounts`` added up in the fund's currency (minor units), each other
    currency at the rate on record for ``today``; those with none are left
    out and named."""
    total, missing = 0, []
    for money in amounts:
        if money.currency == fund.currency:
            total += money.minor_units
            continue
        if money.is_zero():
            continue
        try:
            quote = exchange_rate_find(
                base=money.currency, quote=fund.currency, on=today, collective=fund.collective
            )
        except ValidationFailed:
            missing.append(money.currency)
            continue
        total += money.convert(quote.rate, fund.currency).minor_units
    return total, missing


def _window(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=365)


def _sick_monthly_gift(
    claim: Claim, typed: SickPayRules, participation: Participation | None
) -> int:
    if (
        participation is None
        or participation.tier is None
        or participation.tier >= len(typed.tiers)
    ):
        return 0
    gift = typed.tiers[participation.tier].payout * Decimal(claim.percent or 100) / 100
    return Money(
        gift.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), claim.currency
    ).minor_units


def fund_overview(*, fund: Fund, today: dt.date | None = None) -> FundOverview:
    """What the fund page shows: money held, reserved and free per currency,
    what is promised, money in and paid out over the last twelve months,
    and how many months the free money lasts at the current claim rate."""
    today = today or timezone.localdate()
    version = rules_in_force(fund=fund, on=today)
    newest = newest_rules(fund=fund)
    typed = rules_for(fund.kind, version.rules) if version else None
    accounts = fund_accounts(fund)
    balances = _by_currency((a.currency, balance_minor(a)) for a in accounts)
    live = Claim.objects.filter(fund=fund, state__in=Claim.LIVE_STATES)
    reserved = _by_currency(
        live.filter(state=Claim.State.APPROVED)
        .values("currency")
        .annotate(total=Sum("reserved_minor"))
        .values_list("currency", "total")
    )
    # Approved claims waiting for money have first call on it: what is free
    # is what the fund holds beyond them (never below zero; the shortfall is
    # in the obligations).
    available = [
        Money.from_minor(max(0, b.minor_units - _in(reserved, b.currency).minor_units), b.currency)
        for b in balances
    ]
    obligations = 0
    for claim in live.filter(state=Claim.State.APPROVED, currency=fund.currency):
        obligations += (claim.amount_minor or 0) - claim.paid_minor
    ongoing = list(live.filter(state=Claim.State.ONGOING).select_related("rules"))
    monthly_sick = 0
    if ongoing:
        tiers = {p.member_id: p for p in Participation.objects.filter(fund=fund)}
        for claim in ongoing:
            rules = rules_for(fund.kind, claim.rules.rules)
            if isinstance(rules, SickPayRules):
                monthly_sick += _sick_monthly_gift(claim, rules, tiers.get(claim.claimant_id))
    obligations += monthly_sick
    since = _window(today)
    postings = Posting.objects.filter(account__in=accounts, occurred_at__gt=since)
    money_in = _by_currency(
        (currency, -int(total))
        for currency, total in postings.filter(amount_minor__lt=0)
        .exclude(transaction__kind__in=["fund_payout", "fund_exit", "fund_refund"])
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    paid = ClaimPayment.objects.filter(claim__fund=fund, paid_on__gt=since)
    paid_out = _by_currency(
        paid.values("currency").annotate(total=Sum("amount_minor")).values_list("currency", "total")
    )
    # The claim rate: the last twelve months' payouts averaged over the
    # months the fund has had rules (at least one), or this month's ongoing
    # sick pay if that is more. A pooled fund holds and pays several
    # currencies (a guarantee pays in the invoice's): both sides are taken
    # in the fund's currency at today's rate on record; a currency with no
    # rate is left out of the runway and named (``runway_left_out``).
    first = FundRules.objects.filter(fund=fund).order_by("effective_from").first()
    months = 12
    if first is not None and first.effective_from > since:
        months = max(
            1,
            (today.year - first.effective_from.year) * 12
            + today.month
            - first.effective_from.month
            + 1,
        )
    paid_total, missing_paid = _in_fund_currency(paid_out, fund, today)
    free_total, missing_free = _in_fund_currency(available, fund, today)
    rate_minor = max(paid_total // months, monthly_sick)
    runway = (
        (Decimal(max(free_total, 0)) / Decimal(rate_minor)).quantize(Decimal("0.1"))
        if rate_minor > 0
        else None
    )
    participants = Participation.objects.filter(fund=fund, state=Participation.State.ACTIVE).count()
    warnings = []
    if (
        isinstance(typed, SickPayRules)
        and not typed.min_members <= participants <= typed.max_members
    ):
        warnings.append(
            f"The fund has {participants} member{'s' if participants != 1 else ''}; its rules ask "
            f"for {typed.min_members} to {typed.max_members}, the size at which bread funds "
            "share risk well."
        )
    if fund.state == Fund.State.SETTING_UP:
        warnings.append("The fund's first rules are still to be voted in; it takes no money yet.")
    vote = (
        Proposal.objects.filter(
            collective_id=fund.collective_id,
            kind=Proposal.Kind.FUND_RULE_CHANGE,
            state=Proposal.State.OPEN,
            payload__fund=fund.kind,
        )
        .order_by("closes_at")
        .first()
    )
    return FundOverview(
        fund=fund,
        rules=version,
        typed_rules=typed,
        upcoming_rules=newest if newest is not None and newest != version else None,
        rules_vote=vote,
        balances=balances,
        reserved=reserved,
        available=available,
        obligations=Money.from_minor(obligations, fund.currency),
        money_in=money_in,
        paid_out=paid_out,
        monthly_claim_rate=Money.from_minor(rate_minor, fund.currency),
        runway_months=runway,
        runway_left_out=sorted(set(missing_paid) | set(missing_free)),
        participants=participants,
        claims_waiting=live.filter(state__in=[Claim.State.SUBMITTED, Claim.State.APPROVED]).count(),
        claims_ongoing=len(ongoing),
        warnings=warnings,
    )


def rules_history(*, fund: Fund) -> list[FundRules]:
    return list(FundRules.objects.filter(fund=fund).select_related("proposal").order_by("-version"))


# --- A member's own figures ---------------------------------------------------------------


@dataclass(frozen=True)
class MemberStatement:
    fund: Fund
    member: User
    participation: Participation | None
    own_balance: list[Money]
    paid_in: list[Money]
    received: list[Money]
    deposits: list[Deposit]
    arrears: list[Deposit]
    pending_change: ParticipationChange | None
    claims: list[Claim]


def _levy_attributed(fund: Fund, member: User) -> list[Money]:
    """The member's part of the levies paid to a pooled fund: of each
    payment's levy, the member's share of that payment's members' parts."""
    shares = PaymentShare.objects.filter(payment__collective_id=fund.collective_id).filter(
        Q(key=fund.code) | Q(key__startswith=MEMBER_PREFIX)
    )
    levy: dict[int, tuple[int, str]] = {}
    mine: dict[int, int] = defaultdict(int)
    members: dict[int, int] = defaultdict(int)
    for payment_id, key, minor, currency, member_id in shares.values_list(
        "payment_id", "key", "amount_minor", "currency", "member_id"
    ):
        if key == fund.code:
            levy[payment_id] = (minor, currency)
        else:
            members[payment_id] += minor
            if member_id == member.pk:
                mine[payment_id] += minor
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for payment_id, (minor, currency) in levy.items():
        if mine.get(payment_id) and members[payment_id]:
            totals[currency] += Decimal(minor) * mine[payment_id] / members[payment_id]
    return [
        Money.from_minor(int(total.to_integral_value(ROUND_HALF_EVEN)), currency)
        for currency, total in sorted(totals.items())
    ]


def member_statement(*, fund: Fund, member: User) -> MemberStatement:
    """What ``member`` put into ``fund`` and got out of it."""
    participation = Participation.objects.filter(fund=fund, member=member).first()
    own: list[Money] = []
    paid_in: list[Money]
    deposits: list[Deposit] = []
    if participation is not None:
        accounts = Account.objects.filter(
            owner_type=ContentType.objects.get_for_model(Participation), owner_id=participation.pk
        )
        own = _by_currency((a.currency, balance_minor(a)) for a in accounts)
        deposits = list(Deposit.objects.filter(participation=participation).order_by("-month"))
    if fund.kind == Fund.Kind.SICK_PAY:
        paid_in = _by_currency(
            (d.currency, d.amount_minor) for d in deposits if d.state == Deposit.State.PAID
        )
    elif fund.kind == Fund.Kind.SAVINGS and participation is not None:
        paid_in = _by_currency(
            (currency, -int(total))
            for currency, total in Posting.objects.filter(
                account__owner_type=ContentType.objects.get_for_model(Participation),
                account__owner_id=participation.pk,
                amount_minor__lt=0,
            )
            .values("currency")
            .annotate(total=Sum("amount_minor"))
            .values_list("currency", "total")
        )
    elif fund.kind in (Fund.Kind.GUARANTEE, Fund.Kind.INCOME_GAP):
        paid_in = _levy_attributed(fund, member)
    else:
        paid_in = []
    if fund.kind == Fund.Kind.GUARANTEE:
        # The fund pays every member with a share in the invoice, not only
        # the member who claimed: what each was advanced is what they received.
        received = _by_currency(
            GuaranteeAdvance.objects.filter(claim__fund=fund, member=member)
            .values("currency")
            .annotate(total=Sum("advanced_minor"))
            .values_list("currency", "total")
        )
    else:
        received = _by_currency(
            ClaimPayment.objects.filter(claim__fund=fund, claim__claimant=member)
            .values("currency")
            .annotate(total=Sum("amount_minor"))
            .values_list("currency", "total")
        )
    pending = (
        ParticipationChange.objects.filter(
            participation=participation, state=ParticipationChange.State.PENDING
        ).first()
        if participation is not None
        else None
    )
    return MemberStatement(
        fund=fund,
        member=member,
        participation=participation,
        own_balance=own,
        paid_in=paid_in,
        received=received,
        deposits=deposits,
        arrears=[d for d in deposits if d.state == Deposit.State.ARREARS],
        pending_change=pending,
        claims=list(Claim.objects.filter(fund=fund, claimant=member).order_by("-created_at")),
    )


# --- Claims as a viewer sees them ---------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    claim: Claim
    # The claimant's name, or "A member" when they chose not to be named
    # (the viewer being neither the claimant nor someone who decides).
    who: str
    reason: str | None
    is_own: bool
    # The viewer may approve or reject it now.
    can_decide: bool
    # What the viewer decided, if anything.
    decided: ClaimApproval | None
    decisions: list[ClaimApproval]
    amount: Money | None
    paid: Money
    reserved: Money


def _sees_all(claim: Claim, viewer: User, coordinator: bool) -> bool:
    """The claimant and the coordinators see a claim whole. Everyone else,
    the peers who decide it included, sees what the claimant chose to tell
    the group: with peer approval every member may decide, so a choice that
    gave way to deciders would hide nothing. Peers judge on what the rules
    need: the amount, the dates, the share sick, the month."""
    return viewer.pk == claim.claimant_id or coordinator


def claim_view(*, claim: Claim, viewer: User, coordinator: bool | None = None) -> ClaimView:
    if coordinator is None:
        coordinator = is_coordinator(collective_id=claim.collective_id, user=viewer)
    decisions = list(ClaimApproval.objects.filter(claim=claim).select_related("approver"))
    everything = _sees_all(claim, viewer, coordinator)
    named = everything or claim.disclosure != Claim.Disclosure.ANONYMOUS
    reason_shown = everything or claim.disclosure == Claim.Disclosure.EVERYTHING
    decided = next((d for d in decisions if d.approver_id == viewer.pk), None)
    return ClaimView(
        claim=claim,
        who=claim.claimant.display_name if named else "A member",
        reason=claim.reason if reason_shown else None,
        is_own=viewer.pk == claim.claimant_id,
        can_decide=(
            claim.state == Claim.State.SUBMITTED
            and claim.approval == Claim.Approval.PEERS
            and viewer.pk != claim.claimant_id
            and decided is None
        ),
        decided=decided,
        decisions=decisions,
        amount=(
            Money.from_minor(claim.amount_minor, claim.currency)
            if claim.amount_minor is not None
            else None
        ),
        paid=Money.from_minor(claim.paid_minor, claim.currency),
        reserved=Money.from_minor(claim.reserved_minor, claim.currency),
    )


def claims_visible(
    *,
    fund: Fund,
    viewer: User,
    states: Iterable[str] | None = None,
    coordinator: bool | None = None,
) -> QuerySet[Claim]:
    """The fund's claims ``viewer`` may see, newest first (the fund was found
    through ``fund_get_for_user``): all of them, except that a savings fund's
    withdrawals are each member's own and the coordinators' to see. What each
    shows of itself is ``claim_view``'s."""
    if coordinator is None:
        coordinator = is_coordinator(collective_id=fund.collective_id, user=viewer)
    claims = Claim.objects.filter(fund=fund).select_related(
        "claimant__profile", "fund", "rules", "invoice"
    )
    if states is not None:
        claims = claims.filter(state__in=list(states))
    if fund.kind == Fund.Kind.SAVINGS and not coordinator:
        claims = claims.filter(claimant=viewer)
    return claims.order_by("-created_at", "-pk")


def claims_for_fund(
    *, fund: Fund, viewer: User, states: Iterable[str] | None = None, limit: int = 200
) -> list[ClaimView]:
    coordinator = is_coordinator(collective_id=fund.collective_id, user=viewer)
    claims = claims_visible(fund=fund, viewer=viewer, states=states, coordinator=coordinator)
    return [
        claim_view(claim=claim, viewer=viewer, coordinator=coordinator) for claim in claims[:limit]
    ]


def claims_waiting_for(*, user: User) -> list[Claim]:
    """Claims decided by peers that ``user`` may approve or reject now, in
    every collective they are an active member of."""
    collectives = Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values(
        "collective_id"
    )
    return list(
        Claim.objects.filter(
            collective_id__in=collectives,
            state=Claim.State.SUBMITTED,
            approval=Claim.Approval.PEERS,
        )
        .exclude(claimant=user)
        .exclude(approvals__approver=user)
        .select_related("fund", "collective", "claimant")
        .order_by("created_at")
    )


def deposits_in_arrears(*, fund: Fund, viewer: User) -> list[Deposit]:
    """Deposits the fund is still waiting for, oldest first: for the
    coordinators, who follow them up (a member sees their own on their
    statement). Empty for anyone else."""
    if not is_coordinator(collective_id=fund.collective_id, user=viewer):
        return []
    return list(
        Deposit.objects.filter(
            participation__fund=fund,
            participation__state=Participation.State.ACTIVE,
            state=Deposit.State.ARREARS,
        )
        .select_related("participation__member__profile")
        .order_by("month", "participation__member__profile__handle")
    )


# --- Rows within a fund or a claim ----------------------------------------------------------
#
# Each takes the fund or claim the caller got through ``fund_get_for_user`` or
# ``claim_get_for_user`` (so the viewer may see it) and reads only rows of
# that fund's collective, or of that claim.


def claim_payments(*, claim: Claim) -> list[ClaimPayment]:
    """What the fund paid on ``claim``, oldest first."""
    return list(ClaimPayment.objects.filter(claim=claim).order_by("paid_on", "pk"))


def guarantee_advances(*, claim: Claim) -> list[GuaranteeAdvance]:
    """What the guarantee advanced each member on ``claim``, the largest
    first, with the members' profiles (how much came back is on each row)."""
    return list(
        GuaranteeAdvance.objects.filter(claim=claim)
        .select_related("member__profile")
        .order_by("-advanced_minor", "pk")
    )


def write_off_vote_open(*, claim: Claim) -> Proposal | None:
    """The open ``write_off`` vote on ``claim``'s invoice, if there is one
    (the oldest, should there be more)."""
    return (
        Proposal.objects.filter(
            collective_id=claim.collective_id,
            kind=Proposal.Kind.WRITE_OFF,
            state=Proposal.State.OPEN,
            payload__claim_id=claim.pk,
        )
        .order_by("pk")
        .first()
    )


def participation_active_find(*, fund: Fund, member: User) -> Participation | None:
    """``member``'s standing place in ``fund``; None if they do not take part
    (or left)."""
    return Participation.objects.filter(
        fund=fund, member=member, state=Participation.State.ACTIVE
    ).first()


def participation_change_get_for_fund(*, fund: Fund, change_id: int) -> ParticipationChange:
    """A tier change or exit asked for in ``fund``, with its participation
    and fund; 404 for an id of another fund or none (whose it is, and
    whether it still waits, is ``sick_pay_change_cancel``'s to judge)."""
    change = (
        ParticipationChange.objects.filter(pk=change_id, participation__fund=fund)
        .select_related("participation__fund__collective")
        .first()
        if 0 < change_id <= ID_MAX
        else None
    )
    if change is None:
        raise Http404("No such change.")
    return change


def client_agreements(*, fund: Fund) -> QuerySet[ClientAgreement]:
    """The client agreements of the guarantee ``fund``'s collective, by the
    client's name, with who recorded each."""
    return (
        ClientAgreement.objects.filter(collective_id=fund.collective_id)
        .select_related("client", "recorded_by__profile")
        .order_by("client__name", "pk")
    )


def client_agreement_get_for_fund(*, fund: Fund, agreement_id: int) -> ClientAgreement:
    """One client agreement of the guarantee ``fund``'s collective, with its
    client; 404 for another collective's or none."""
    agreement = (
        ClientAgreement.objects.filter(pk=agreement_id, collective_id=fund.collective_id)
        .select_related("client")
        .first()
        if 0 < agreement_id <= ID_MAX
        else None
    )
    if agreement is None:
        raise Http404("No such agreement.")
    return agreement


def agreement_client_find(*, client_id: int) -> Client | None:
    """The client a new agreement names, whoever's it is; None if there is
    none. Not scoped to the collective on purpose: ``client_agreement_record``
    checks the actor coordinates first, then refuses a client the collective
    never dealt with (``unknown_client``), so a member who may not record
    agreements is told that, not whether the client exists; the caller
    refuses an id that matches no client with the same code."""
    return Client.objects.filter(pk=client_id).first() if 0 < client_id <= ID_MAX else None


def invoice_find_for_fund(*, fund: Fund, invoice_id: int) -> Invoice | None:
    """One invoice (or credit note) of ``fund``'s collective, with its
    client; None for another collective's or none."""
    if not 0 < invoice_id <= ID_MAX:
        return None
    return (
        Invoice.objects.filter(pk=invoice_id, collective_id=fund.collective_id)
        .select_related("client")
        .first()
    )


def invoice_get_for_fund(*, fund: Fund, invoice_id: int) -> Invoice:
    """``invoice_find_for_fund``, or 404."""
    invoice = invoice_find_for_fund(fund=fund, invoice_id=invoice_id)
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def guarantee_invoices_claimable(*, fund: Fund, member: User, today: dt.date) -> list[Invoice]:
    """The issued invoices of ``fund``'s collective overdue on ``today`` and
    still owed in which ``member`` has a share, the longest overdue first:
    those ``member`` may claim on from the guarantee (whether it covers one
    now is ``guarantee_eligibility``'s)."""
    key = f"{MEMBER_PREFIX}{member.pk}"
    overdue = (
        Invoice.objects.filter(
            collective_id=fund.collective_id,
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            due_date__lt=today,
        )
        .select_related("client")
        .order_by("due_date", "pk")
    )
    return [
        invoice
        for invoice in overdue
        if invoice.outstanding_minor > 0
        and any(t.key == key and t.amount.minor_units > 0 for t in invoice_targets(invoice))
    ]


def people_by_id(*, ids: Iterable[int]) -> dict[int, User]:
    """The people with these ids, with their profiles, by id (the members a
    readable invoice's shares name: ``guarantee_eligibility`` of an invoice
    of the viewer's collective); ids that match nobody are left out."""
    return {
        person.pk: person
        for person in User.objects.filter(pk__in=list(ids)).select_related("profile")
    }
