"""The funds' corner of the outsider suites' world (the web pages' table;
the REST API's builds its own, ``mutual_api_world``).

In collective A: an active income-gap fund holding money, with Ben's claim
giving a private reason; an active sick-pay fund Ben takes part in, with a
tier change he asked for, and new rules for it under vote; an active
guarantee fund and Harbour's signed agreement. Olga (a member of no
collective A has) and anonymous callers must see none of it and change none
of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from mutualist.core.money import Money
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import (
    Claim,
    ClaimApproval,
    ClaimPayment,
    ClientAgreement,
    Deposit,
    Fund,
    FundRules,
    Participation,
    ParticipationChange,
)
from mutualist.mutual.rules import SickPayRules, rules_for
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.services.funds import fund_rules_propose
from mutualist.mutual.services.guarantee import client_agreement_record
from mutualist.mutual.services.sick_pay import (
    next_change_date,
    sick_pay_join,
    sick_pay_tier_change,
)
from mutualist.mutual.tests.helpers import fund_active
from mutualist.testing import Cast

MUTUAL_PRIVATE = (
    "Secret claim reason",
    "Secret agreement reference",
    "Secret rule change title",
)


def mutual_world(cast: Cast, client: Any) -> dict[str, Any]:
    collective = cast.collective_a
    today = timezone.localdate()
    gap = fund_active(collective, "income_gap", created_by=cast.ana)
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", "PHP"),
        type="equity",
        currency="PHP",
    )
    money = Money("1000", "PHP")
    transaction_post(
        lines=[Line(opening, money), Line(pool_account(collective, gap.code, "PHP"), -money)],
        memo="Levies",
        occurred_at=today,
        idempotency_key="test:outsiders:mutual:fill",
        kind="opening",
    )
    with transaction.atomic():
        claim = claim_create(
            fund=gap,
            claimant=cast.ben,
            claim_date=today,
            reason="Secret claim reason",
            disclosure="everything",
            currency="PHP",
            amount_minor=20000,
            period=today.replace(day=1),
        )
    sick = fund_active(collective, "sick_pay", created_by=cast.ana)
    participation = sick_pay_join(fund=sick, member=cast.ben, tier=0)
    version = FundRules.objects.get(fund=sick)
    rules = rules_for("sick_pay", version.rules)
    assert isinstance(rules, SickPayRules)  # noqa: S101 -- a sick-pay fund's rules
    change = sick_pay_tier_change(
        participation=participation, tier=1, effective_on=next_change_date(rules, after=today)
    )
    # New rules for the sick-pay fund under vote: its page shows their effect.
    with transaction.atomic():
        rule_change = fund_rules_propose(
            fund=sick,
            author=cast.ana,
            rules={"waiting_days": 14},
            effective_from=today + dt.timedelta(days=30),
            title="Secret rule change title",
        )
    fund_active(collective, "guarantee", created_by=cast.ana)
    agreement = client_agreement_record(
        collective=collective,
        actor=cast.ana,
        client=client,
        signed_on=today,
        reference="Secret agreement reference",
    )
    kind = {"kind": "income_gap"}
    claim_id = {"claim_id": claim.pk}
    return {
        "mutual:fund": kind,
        "mutual:fund_rules": kind,
        "mutual:fund_convert": kind,
        "mutual:claim_new": kind,
        # A fund not set up yet: the form a coordinator would fill in.
        "mutual:fund_setup": {"kind": "savings"},
        "mutual:claim": claim_id,
        "mutual:claim_decide": claim_id,
        "mutual:claim_withdraw": claim_id,
        "mutual:claim_end": claim_id,
        "mutual:claim_write_off": claim_id,
        "mutual:sick_pay_change_cancel": {"change_id": change.pk},
        "mutual:agreement_remove": {"agreement_id": agreement.pk},
        "mutual:fund_solvency": {"kind": "sick_pay"},
        "mutual:fund_rules_preview": {"kind": "sick_pay"},
        "mutual:proposal_solvency": {"proposal_id": rule_change.pk},
    }


def mutual_snapshot() -> dict[str, Any]:
    return {
        "funds": list(Fund.objects.order_by("pk").values()),
        "fund_rules": list(FundRules.objects.order_by("pk").values()),
        "participations": list(Participation.objects.order_by("pk").values()),
        "participation_changes": list(ParticipationChange.objects.order_by("pk").values()),
        "deposits": list(Deposit.objects.order_by("pk").values()),
        "claims": list(Claim.objects.order_by("pk").values()),
        "claim_approvals": list(ClaimApproval.objects.order_by("pk").values()),
        "claim_payments": list(ClaimPayment.objects.order_by("pk").values()),
        "client_agreements": list(ClientAgreement.objects.order_by("pk").values()),
    }
