"""The funds' panels on a member's dashboard (see ``members.panels``):

- "Claims waiting for you": claims decided by peers that the member may
  approve or reject now, in every collective they belong to;
- "Your funds": per collective, the member's sick-pay tier, savings and
  deposits in arrears, with the way to its funds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest

from mutualist.collectives.models import Collective, Membership
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.members.panels import Panel, register_dashboard_panel
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.selectors import claims_waiting_for, fund_list_for_user, member_statement

WAITING_SHOWN = 10


def dashboard_claims_waiting(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    waiting = claims_waiting_for(user=user)
    if not waiting:
        return None
    # The member decides these claims, so the claimant's name and reason are
    # theirs to see (``selectors.claim_view``: peers deciding see all).
    rows = [
        (
            claim,
            Money.from_minor(claim.amount_minor, claim.currency)
            if claim.amount_minor is not None
            else None,
        )
        for claim in waiting[:WAITING_SHOWN]
    ]
    return Panel(
        "mutual/panels/claims_waiting.html",
        {"rows": rows, "more": len(waiting) > WAITING_SHOWN},
        order=21,
    )


@dataclass
class FundsRow:
    collective: Collective
    tier: int | None = None
    savings: list[Money] = field(default_factory=list)
    arrears: list[Money] = field(default_factory=list)
    claims_live: list[Claim] = field(default_factory=list)


def dashboard_funds(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    rows = []
    slugs = (
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE)
        .order_by("collective__name", "pk")
        .values_list("collective__slug", flat=True)
    )
    for slug in slugs:
        collective, _, funds = fund_list_for_user(user=user, slug=slug)
        if not funds:
            continue
        row = FundsRow(collective)
        for fund in funds:
            if fund.state != Fund.State.ACTIVE:
                continue
            statement = member_statement(fund=fund, member=user)
            taking_part = (
                statement.participation is not None
                and statement.participation.state == Participation.State.ACTIVE
            )
            if fund.kind == Fund.Kind.SICK_PAY and taking_part and statement.participation:
                row.tier = statement.participation.tier
            if fund.kind == Fund.Kind.SAVINGS:
                row.savings = [money for money in statement.own_balance if money.amount > 0]
            row.arrears += [
                Money.from_minor(deposit.amount_minor, deposit.currency)
                for deposit in statement.arrears
            ]
            row.claims_live += [claim for claim in statement.claims if claim.is_live]
        rows.append(row)
    if not rows:
        return None
    return Panel("mutual/panels/your_funds.html", {"rows": rows}, order=59)


def register() -> None:
    """Called at start-up (``mutual.wiring``)."""
    register_dashboard_panel("mutual.claims_waiting", dashboard_claims_waiting)
    register_dashboard_panel("mutual.your_funds", dashboard_funds)
