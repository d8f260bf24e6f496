"""The mutual funds: their figures and rules, claims, and each fund's own
operations (sick-pay participation, guarantee agreements and eligibility,
income-gap eligibility).

Only a collective's active members see or touch its funds and claims;
anyone else gets 404, as for a fund or claim that does not exist. A
coordinator sets a fund up (its first rules go to the members' vote); any
member may propose new rules; rules change only when such a vote passes.
Any member may claim from a fund they may claim from; other members decide
it as the fund's rules say. What others see of a claim follows the
claimant's disclosure choice (``mutualist.mutual.selectors.claim_view``).

Making a claim and approving one may move money at once (a savings
withdrawal is paid when made; the approval that completes a claim pays it),
so both need an ``Idempotency-Key`` header: a retry with the same key and
body answers as the first request did and does nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.params import HeaderEx

from mutualist.api.auth import request_user
from mutualist.api.idempotency import idempotent, key_header
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.routers.billing_common import money_in
from mutualist.api.schemas.billing_invoices import DocumentRefOut
from mutualist.api.schemas.common import MoneyOut, PersonOut
from mutualist.api.schemas.ledger import TransactionOut
from mutualist.api.schemas.mutual import (
    CLAIM_FIELDS,
    AgreementIn,
    AgreementOut,
    ChangeIn,
    ChangeOut,
    ClaimApproveIn,
    ClaimDetailOut,
    ClaimEndIn,
    ClaimFiltersIn,
    ClaimIn,
    ClaimOut,
    ClaimRejectIn,
    ConversionIn,
    FundOut,
    FundRulesIn,
    FundRulesOut,
    FundSetupIn,
    FundSummaryOut,
    GuaranteeEligibilityOut,
    IncomeGapEligibilityOut,
    JoinIn,
    MemberShareOut,
    PeriodIn,
    RulesProposalOut,
    StatementOut,
    money_out,
    participation_out,
)
from mutualist.billing.models import Invoice
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import DomainError, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.selectors import transaction_get
from mutualist.members.models import User
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.rules import SickPayRules, rules_for
from mutualist.mutual.selectors import (
    agreement_client_find,
    claim_get_for_user,
    claim_payments,
    claim_view,
    claims_visible,
    client_agreement_get_for_fund,
    client_agreements,
    fund_get_for_user,
    fund_list_for_user,
    fund_overview,
    invoice_find_for_fund,
    invoice_get_for_fund,
    is_coordinator,
    member_statement,
    participation_active_find,
    participation_change_get_for_fund,
    people_by_id,
    rules_history,
)
from mutualist.mutual.services import guarantee, income_gap, savings, sick_pay
from mutualist.mutual.services.claims import (
    claim_approve,
    claim_reject,
    claim_withdraw,
)
from mutualist.mutual.services.conversion import fund_convert
from mutualist.mutual.services.funds import fund_rules_propose, fund_setup, rules_in_force
from mutualist.work.models import Client

router = Router(tags=["mutual: funds and claims"])

# What the services call a field, and what the body calls it.
_BODY_FIELDS = {"invoice": "invoice_id", "client": "client_id"}


@contextmanager
def _body_fields() -> Iterator[None]:
    """A refusal names the input at fault as the body names it."""
    try:
        yield
    except DomainError as exc:
        if exc.field in _BODY_FIELDS:
            exc.field = _BODY_FIELDS[exc.field]
        raise


# --- Reading -----------------------------------------------------------------------------


def _claim_detail(user: User, slug: str, claim_id: int) -> ClaimDetailOut:
    """The claim as ``user`` sees it, read fresh (after any write)."""
    claim = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
    return ClaimDetailOut.build_detail(
        claim_view(claim=claim, viewer=user), claim_payments(claim=claim)
    )


def _tier_amounts(fund: Fund, participation: Participation) -> tuple[Money | None, Money | None]:
    """A sick-pay participant's monthly deposit and gift under today's rules."""
    if fund.kind != Fund.Kind.SICK_PAY or participation.tier is None:
        return None, None
    version = rules_in_force(fund=fund, on=timezone.localdate())
    if version is None:
        return None, None
    typed = rules_for(fund.kind, version.rules)
    assert isinstance(typed, SickPayRules)  # noqa: S101 -- a sick-pay fund's rules
    tier = typed.tiers[min(participation.tier, len(typed.tiers) - 1)]
    return Money(tier.deposit, fund.currency), Money(tier.payout, fund.currency)


def _statement(user: User, fund: Fund) -> StatementOut:
    statement = member_statement(fund=fund, member=user)
    coordinator = is_coordinator(collective_id=fund.collective_id, user=user)
    participation = None
    if statement.participation is not None:
        deposit, gift = _tier_amounts(fund, statement.participation)
        participation = participation_out(statement.participation, deposit=deposit, gift=gift)
    return StatementOut.build(
        statement,
        participation=participation,
        claims=[
            ClaimOut.build(claim_view(claim=claim, viewer=user, coordinator=coordinator))
            for claim in statement.claims
        ],
    )


@router.get(
    "/collectives/{slug}/funds",
    response=responses({200: Page[FundSummaryOut]}),
    summary="A collective's funds and their figures (members)",
)
def collective_funds_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[FundSummaryOut]:
    """Sick pay, guarantee, income gap, savings: those the collective has set up."""
    _, _, funds = fund_list_for_user(user=request_user(request), slug=slug)
    return paginate(funds, page, lambda fund: FundSummaryOut.build(fund_overview(fund=fund)))


@router.get(
    "/collectives/{slug}/funds/{kind}",
    response=responses({200: FundOut}),
    summary="A fund: its figures, the rules in force, what is coming (members)",
)
def fund_read(request: HttpRequest, slug: str, kind: str) -> FundOut:
    fund = fund_get_for_user(user=request_user(request), slug=slug, kind=kind)
    return FundOut.build(fund_overview(fund=fund))


@router.get(
    "/collectives/{slug}/funds/{kind}/rules",
    response=responses({200: Page[FundRulesOut]}),
    summary="Every version of a fund's rules, newest first (members)",
)
def fund_rules_list(
    request: HttpRequest, slug: str, kind: str, page: Query[PageParams]
) -> Page[FundRulesOut]:
    fund = fund_get_for_user(user=request_user(request), slug=slug, kind=kind)
    return paginate(rules_history(fund=fund), page, FundRulesOut.from_model)


@router.get(
    "/collectives/{slug}/funds/{kind}/me",
    response=responses({200: StatementOut}),
    summary="What you put into a fund and got out of it (members)",
)
def fund_my_statement(request: HttpRequest, slug: str, kind: str) -> StatementOut:
    user = request_user(request)
    return _statement(user, fund_get_for_user(user=user, slug=slug, kind=kind))


@router.get(
    "/collectives/{slug}/funds/{kind}/claims",
    response=responses({200: Page[ClaimOut]}),
    summary="A fund's claims, newest first, as far as each claimant lets you see (members)",
)
def fund_claims_list(
    request: HttpRequest,
    slug: str,
    kind: str,
    filters: Query[ClaimFiltersIn],
    page: Query[PageParams],
) -> Page[ClaimOut]:
    user = request_user(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=kind)
    coordinator = is_coordinator(collective_id=fund.collective_id, user=user)
    states = [filters.state] if filters.state is not None else None
    return paginate(
        claims_visible(fund=fund, viewer=user, states=states, coordinator=coordinator),
        page,
        lambda claim: ClaimOut.build(claim_view(claim=claim, viewer=user, coordinator=coordinator)),
    )


@router.get(
    "/collectives/{slug}/claims/{int:claim_id}",
    response=responses({200: ClaimDetailOut}),
    summary="A claim, its decisions and payments (members)",
)
def claim_read(request: HttpRequest, slug: str, claim_id: int) -> ClaimDetailOut:
    return _claim_detail(request_user(request), slug, claim_id)


# --- Rules -------------------------------------------------------------------------------


@router.post(
    "/collectives/{slug}/funds/{kind}/setup",
    response=responses({201: RulesProposalOut}),
    summary="Set a fund up and put its first rules to the vote (coordinators)",
)
def fund_setup_action(
    request: HttpRequest, slug: str, kind: str, payload: FundSetupIn
) -> Status[RulesProposalOut]:
    """The fund takes no money until the vote passes; then its rules are in
    force from ``effective_from`` and the fund is active. A fund whose first
    vote failed may be set up again."""
    user = request_user(request)
    if payload.closes_at is not None and payload.closes_at.tzinfo is None:
        # fund_setup works out the default effective date from the closing
        # time before governance refuses a naive one: refused here first.
        raise ValidationFailed(
            "The closing time needs a time zone.", code="closes_at_naive", field="closes_at"
        )
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_member(user=user, slug=slug)
        proposal = fund_setup(
            collective=collective,
            actor=user,
            kind=kind,
            rules=payload.rules,
            effective_from=payload.effective_from,
            closes_at=payload.closes_at,
            body=payload.body,
        )
    return Status(201, RulesProposalOut.from_model(proposal))


@router.post(
    "/collectives/{slug}/funds/{kind}/rules",
    response=responses({201: RulesProposalOut}),
    summary="Propose new rules for a fund (members)",
)
def fund_rules_proposal(
    request: HttpRequest, slug: str, kind: str, payload: FundRulesIn
) -> Status[RulesProposalOut]:
    """``rules`` names only what changes. If the vote passes, the new version
    is in force from ``effective_from``; claims made before keep the rules
    in force on their date."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=kind)
        proposal = fund_rules_propose(
            fund=fund,
            author=user,
            rules=payload.rules,
            effective_from=payload.effective_from,
            closes_at=payload.closes_at,
            title=payload.title,
            body=payload.body,
        )
    return Status(201, RulesProposalOut.from_model(proposal))


# --- Claims ------------------------------------------------------------------------------


def _claim_fields_checked(kind: str, payload: ClaimIn) -> None:
    """The fields of ``payload`` this kind of claim asks for are there, and
    no field another kind asks for."""
    wanted = CLAIM_FIELDS[kind]
    for other in sorted({name for names in CLAIM_FIELDS.values() for name in names}):
        given = getattr(payload, other) is not None
        if other in wanted and not given:
            raise ValidationFailed(
                f"A claim on this fund needs {other}.", code="validation_failed", field=other
            )
        if other not in wanted and given:
            raise ValidationFailed(
                f"A claim on this fund does not take {other}.",
                code="validation_failed",
                field=other,
            )


def _invoice_of(fund: Fund, invoice_id: int) -> Invoice:
    invoice = invoice_find_for_fund(fund=fund, invoice_id=invoice_id)
    if invoice is None:
        raise ValidationFailed(
            "That is not one of the collective's invoices.",
            code="unknown_invoice",
            field="invoice_id",
        )
    return invoice


def _period_of(text: str) -> dt.date:
    """``YYYY-MM`` (the schema checked its shape) as the month's first day."""
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def _claim_submit(fund: Fund, user: User, payload: ClaimIn) -> Claim:
    """Make the claim through the fund kind's own service (its checks first)."""
    _claim_fields_checked(fund.kind, payload)
    if fund.kind == Fund.Kind.SAVINGS:
        if payload.disclosure is not None:
            raise ValidationFailed(
                "A savings withdrawal always shows your name only; leave disclosure out.",
                code="validation_failed",
                field="disclosure",
            )
        assert payload.amount is not None  # noqa: S101 -- checked above
        return savings.savings_withdraw(
            fund=fund,
            member=user,
            amount=money_in(payload.amount, field="amount"),
            reason=payload.reason,
        )
    common = {"reason": payload.reason, "disclosure": payload.disclosure or "everything"}
    if fund.kind == Fund.Kind.SICK_PAY:
        assert payload.starts_on is not None and payload.percent is not None  # noqa: S101
        return sick_pay.sick_claim_submit(
            fund=fund,
            claimant=user,
            starts_on=payload.starts_on,
            percent=payload.percent,
            **common,
        )
    if fund.kind == Fund.Kind.GUARANTEE:
        assert payload.invoice_id is not None  # noqa: S101
        return guarantee.guarantee_claim_submit(
            fund=fund, claimant=user, invoice=_invoice_of(fund, payload.invoice_id), **common
        )
    assert payload.period is not None  # noqa: S101 -- income gap, checked above
    return income_gap.income_gap_claim_submit(
        fund=fund, claimant=user, period=_period_of(payload.period), **common
    )


@router.post(
    "/collectives/{slug}/funds/{kind}/claims",
    response=responses({201: ClaimDetailOut}),
    summary="Claim from a fund (members)",
)
def fund_claim_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    kind: str,
    payload: ClaimIn,
    idempotency_key: HeaderEx[str, key_header("this claim")],
) -> Status[ClaimDetailOut]:
    """What the body needs depends on the fund: ``starts_on`` and ``percent``
    (sick pay), ``invoice_id`` (guarantee), ``period`` (income gap), ``amount``
    (a savings withdrawal, paid at once). The claim is judged by the rules in
    force on its date and decided as they say: by peers, by a vote (a
    ``claim_approval`` proposal opens), or at once. Requires an
    ``Idempotency-Key``."""
    user = request_user(request)

    def run() -> Status[ClaimDetailOut]:
        with _body_fields():
            claim = _claim_submit(fund, user, payload)
        return Status(201, _claim_detail(user, slug, claim.pk))

    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=kind)
        return idempotent(
            request, response, user=user, key=idempotency_key, operation="claim_create", run=run
        )


@router.post(
    "/collectives/{slug}/claims/{int:claim_id}/approve",
    response=responses({200: ClaimDetailOut}),
    summary="Approve a claim decided by peers (members other than the claimant)",
)
def claim_approve_action(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    claim_id: int,
    idempotency_key: HeaderEx[str, key_header("this approval")],
    payload: ClaimApproveIn | None = None,
) -> Status[ClaimDetailOut]:
    """Once ``approvals_needed`` peers approved, the claim is approved: its
    amount is reserved as far as the fund holds it and paid (the rest waits
    for money; sick pay goes on to be paid monthly). Requires an
    ``Idempotency-Key``: the approval that completes a claim pays it."""
    user = request_user(request)
    note = payload.note if payload is not None else ""

    def run() -> Status[ClaimDetailOut]:
        claim_approve(claim=claim, approver=user, note=note)
        return Status(200, _claim_detail(user, slug, claim_id))

    with transaction.atomic(durable=True):
        claim = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
        return idempotent(
            request, response, user=user, key=idempotency_key, operation="claim_approve", run=run
        )


@router.post(
    "/collectives/{slug}/claims/{int:claim_id}/reject",
    response=responses({200: ClaimDetailOut}),
    summary="Reject a claim decided by peers, saying why (members other than the claimant)",
)
def claim_reject_action(
    request: HttpRequest, slug: str, claim_id: int, payload: ClaimRejectIn
) -> ClaimDetailOut:
    """Once as many peers rejected it as an approval needs, it is rejected."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        claim = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
        claim_reject(claim=claim, approver=user, note=payload.note)
    return _claim_detail(user, slug, claim_id)


@router.post(
    "/collectives/{slug}/claims/{int:claim_id}/withdraw",
    response=responses({200: ClaimDetailOut}),
    summary="Withdraw your claim before it is paid (the claimant)",
)
def claim_withdraw_action(request: HttpRequest, slug: str, claim_id: int) -> ClaimDetailOut:
    """What was reserved for it is released; its vote, if any, is withdrawn."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        claim = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
        claim_withdraw(claim=claim, actor=user)
    return _claim_detail(user, slug, claim_id)


@router.post(
    "/collectives/{slug}/claims/{int:claim_id}/end",
    response=responses({200: ClaimDetailOut}),
    summary="End a sick period: the member is better (the claimant, coordinators)",
)
def claim_end_action(
    request: HttpRequest, slug: str, claim_id: int, payload: ClaimEndIn
) -> ClaimDetailOut:
    """``ends_on`` is the last sick day. Gifts are owed up to it; the claim is
    ``ended`` once the monthly run has paid the last month."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        claim = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
        sick_pay.sick_claim_end(claim=claim, actor=user, ends_on=payload.ends_on)
    return _claim_detail(user, slug, claim_id)


# --- Sick pay: taking part ---------------------------------------------------------------


def _participation_of(fund: Fund, user: User) -> Participation:
    """The caller's standing place in the fund: only a participant changes
    tier or leaves (``403 not_a_participant``, as for a sick claim)."""
    participation = participation_active_find(fund=fund, member=user)
    if participation is None:
        raise PermissionDenied(
            "Only members who take part in the sick-pay fund can change their place in it.",
            code="not_a_participant",
        )
    return participation


def _tier_index(tier: int) -> int:
    """The API numbers tiers from 1, as members do; the services from 0."""
    return tier - 1


@router.post(
    "/collectives/{slug}/funds/sick_pay/participation",
    response=responses({201: StatementOut}),
    summary="Join the sick-pay fund at a tier (members)",
)
def sick_pay_join_action(request: HttpRequest, slug: str, payload: JoinIn) -> Status[StatementOut]:
    """From today; your first deposit is for this month, taken from what
    the collective owes you. The fund's ``warnings`` say when the group is
    smaller or larger than its rules ask for."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.SICK_PAY)
        sick_pay.sick_pay_join(fund=fund, member=user, tier=_tier_index(payload.tier))
    return Status(201, _statement(user, fund))


@router.post(
    "/collectives/{slug}/funds/sick_pay/participation/changes",
    response=responses({201: ChangeOut}),
    summary="Ask to change tier or leave the sick-pay fund on a set date (participants)",
)
def sick_pay_change_new(request: HttpRequest, slug: str, payload: ChangeIn) -> Status[ChangeOut]:
    """Only on a set date: the 1st of one of the rules' ``change_months``,
    after today (``422 not_a_change_date`` names the next one). One change
    waits at a time. On leaving, what your account holds goes back to you."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.SICK_PAY)
        participation = _participation_of(fund, user)
        if payload.kind == "tier":
            if payload.tier is None:
                raise ValidationFailed(
                    "Name the tier to change to.", code="validation_failed", field="tier"
                )
            change = sick_pay.sick_pay_tier_change(
                participation=participation,
                tier=_tier_index(payload.tier),
                effective_on=payload.effective_on,
            )
        else:
            if payload.tier is not None:
                raise ValidationFailed(
                    "Leaving takes no tier.", code="validation_failed", field="tier"
                )
            change = sick_pay.sick_pay_exit(
                participation=participation, effective_on=payload.effective_on
            )
    return Status(201, ChangeOut.from_model(change))


@router.delete(
    "/collectives/{slug}/funds/sick_pay/participation/changes/{int:change_id}",
    response=responses({200: ChangeOut}),
    summary="Cancel a tier change or exit still waiting (the member, coordinators)",
)
def sick_pay_change_cancel_action(request: HttpRequest, slug: str, change_id: int) -> ChangeOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.SICK_PAY)
        change = participation_change_get_for_fund(fund=fund, change_id=change_id)
        change = sick_pay.sick_pay_change_cancel(change=change, actor=user)
    return ChangeOut.from_model(change)


# --- Guarantee: agreements and eligibility -----------------------------------------------


@router.get(
    "/collectives/{slug}/funds/guarantee/agreements",
    response=responses({200: Page[AgreementOut]}),
    summary="The clients that signed the payment agreement (members)",
)
def guarantee_agreements_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[AgreementOut]:
    fund = fund_get_for_user(user=request_user(request), slug=slug, kind=Fund.Kind.GUARANTEE)
    return paginate(client_agreements(fund=fund), page, AgreementOut.from_model)


def _client_of(client_id: int) -> Client:
    """The client a body names; the service checks it is the collective's
    (``unknown_client``), so one that does not exist is refused the same way."""
    client = agreement_client_find(client_id=client_id)
    if client is None:
        raise ValidationFailed(
            "That is not one of the collective's clients.",
            code="unknown_client",
            field="client_id",
        )
    return client


@router.post(
    "/collectives/{slug}/funds/guarantee/agreements",
    response=responses({201: AgreementOut}),
    summary="Record a client's signed payment agreement (coordinators)",
)
def guarantee_agreement_new(
    request: HttpRequest, slug: str, payload: AgreementIn
) -> Status[AgreementOut]:
    """The first condition for the guarantee to cover the client's invoices."""
    user = request_user(request)
    with transaction.atomic(durable=True), _body_fields():
        fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.GUARANTEE)
        agreement = guarantee.client_agreement_record(
            collective=fund.collective,
            actor=user,
            client=_client_of(payload.client_id),
            signed_on=payload.signed_on,
            reference=payload.reference,
        )
    return Status(201, AgreementOut.from_model(agreement))


@router.delete(
    "/collectives/{slug}/funds/guarantee/agreements/{int:agreement_id}",
    response=responses({204: None}),
    summary="Forget a client's agreement (coordinators)",
)
def guarantee_agreement_remove(request: HttpRequest, slug: str, agreement_id: int) -> Status[None]:
    """New claims on its invoices are refused; claims already made stand."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.GUARANTEE)
        agreement = client_agreement_get_for_fund(fund=fund, agreement_id=agreement_id)
        guarantee.client_agreement_remove(
            collective=fund.collective, actor=user, client=agreement.client
        )
    return Status(204, None)


@router.get(
    "/collectives/{slug}/funds/guarantee/eligibility/{int:invoice_id}",
    response=responses({200: GuaranteeEligibilityOut}),
    summary="Whether the guarantee covers an overdue invoice today, and for how much (members)",
)
def guarantee_eligibility_read(
    request: HttpRequest, slug: str, invoice_id: int
) -> GuaranteeEligibilityOut:
    user = request_user(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.GUARANTEE)
    invoice = invoice_get_for_fund(fund=fund, invoice_id=invoice_id)
    found = guarantee.guarantee_eligibility(fund=fund, invoice=invoice, on=timezone.localdate())
    people = people_by_id(ids=found.unpaid_member_shares)
    return GuaranteeEligibilityOut(
        invoice=DocumentRefOut(id=invoice.pk, number=invoice.number or None),
        eligible=found.eligible,
        reasons=found.reasons,
        codes=found.codes,
        covered=MoneyOut.from_minor(found.covered.minor_units, found.covered.currency),
        credit_limit=MoneyOut.from_minor(
            found.credit_limit.minor_units, found.credit_limit.currency
        ),
        credit_used=MoneyOut.from_minor(found.credit_used.minor_units, found.credit_used.currency),
        unpaid_member_shares=[
            MemberShareOut(
                member=PersonOut.from_user(people[member_id]),
                unpaid=MoneyOut.from_minor(minor, invoice.currency),
            )
            for member_id, minor in sorted(found.unpaid_member_shares.items())
            if member_id in people
        ],
    )


# --- Income gap: eligibility ---------------------------------------------------------------


@router.get(
    "/collectives/{slug}/funds/income_gap/eligibility",
    response=responses({200: IncomeGapEligibilityOut}),
    summary="Whether you may claim a top-up for last month, and how much (members)",
)
def income_gap_eligibility_read(
    request: HttpRequest, slug: str, query: Query[PeriodIn]
) -> IncomeGapEligibilityOut:
    """Read from the ledger: what you were credited in the collective that
    month for client work (and by the funds standing in for it), each
    currency converted at the rate of the month's last day."""
    user = request_user(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=Fund.Kind.INCOME_GAP)
    today = timezone.localdate()
    period = (
        _period_of(query.period) if query.period is not None else income_gap.claim_period(today)
    )
    found = income_gap.income_gap_eligibility(fund=fund, member=user, period=period, on=today)
    income = found.income
    return IncomeGapEligibilityOut(
        period=f"{found.period:%Y-%m}",
        eligible=found.eligible,
        reasons=[reason.message for reason in found.reasons],
        codes=found.codes,
        income=money_out(income.total) if income is not None else None,
        income_by_currency=(
            [money_out(income.by_currency[c]) for c in sorted(income.by_currency)]
            if income is not None
            else []
        ),
        missing_rates=list(income.missing_rates) if income is not None else [],
        top_up=money_out(found.top_up),
    )


@router.post(
    "/collectives/{slug}/funds/{kind}/conversions",
    response=responses({201: TransactionOut}),
    summary="Convert part of a pooled fund's money into another currency (coordinators)",
)
def fund_conversion_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    kind: str,
    payload: ConversionIn,
    idempotency_key: HeaderEx[str, key_header("this conversion")],
) -> Status[TransactionOut]:
    """Levies arrive in the clients' currencies; an income-gap top-up is paid
    in the fund's. One transaction through the trading accounts, at the rate
    on record for today unless one is given, never more than the fund holds
    in that currency less what approved claims have reserved on it
    (``beyond_available``). Guarantee and income-gap funds only
    (``not_pooled``). Requires an ``Idempotency-Key``."""
    user = request_user(request)

    def run() -> Status[TransactionOut]:
        with _body_fields():
            posted = fund_convert(
                fund=fund,
                actor=user,
                amount=money_in(payload.amount, field="amount"),
                to_currency=payload.to_currency,
                idempotency_key=f"api:{user.pk}:{idempotency_key}",
                rate=payload.rate,
                rate_source=payload.rate_source,
            )
        return Status(
            201,
            TransactionOut.from_model(transaction_get(collective=fund.collective, pk=posted.pk)),
        )

    with transaction.atomic(durable=True):
        fund = fund_get_for_user(user=user, slug=slug, kind=kind)
        return idempotent(
            request, response, user=user, key=idempotency_key, operation="fund_convert", run=run
        )
