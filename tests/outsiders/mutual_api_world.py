"""The funds' corner of the API outsider suite's world.

In collective A: an active sick-pay fund Ben takes part in, with an exit he
asked for; an active guarantee fund with Harbour's signed agreement; an
active income-gap fund with Ben's anonymous claim (a private reason); and a
savings fund. Olga (in no collective of A's) and anonymous callers must see
none of it and change none of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from mutualist.mutual.models import (
    Claim,
    ClaimApproval,
    ClientAgreement,
    Fund,
    FundRules,
    Participation,
    ParticipationChange,
    SolvencyRun,
)
from mutualist.mutual.rules import SickPayRules, rules_for
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.services.guarantee import client_agreement_record
from mutualist.mutual.services.sick_pay import next_change_date, sick_pay_exit, sick_pay_join
from mutualist.mutual.tests.helpers import fund_active
from mutualist.testing import Cast
from mutualist.work.models import Client

MUTUAL_API_PRIVATE = (
    "Secret claim reason",
    "Secret agreement reference",
)


def mutual_api_world(cast: Cast, *, client: Client) -> dict[str, Any]:
    collective = cast.collective_a
    today = timezone.localdate()
    since = today - dt.timedelta(days=400)
    sick = fund_active(collective, "sick_pay", created_by=cast.ana, effective_from=since)
    gap = fund_active(collective, "income_gap", created_by=cast.ana, effective_from=since)
    fund_active(collective, "guarantee", created_by=cast.ana, effective_from=since)
    fund_active(collective, "savings", created_by=cast.ana, effective_from=since)
    participation = sick_pay_join(fund=sick, member=cast.ben, tier=0)
    rules = rules_for("sick_pay", sick.rule_versions.get().rules)
    assert isinstance(rules, SickPayRules)
    change = sick_pay_exit(
        participation=participation, effective_on=next_change_date(rules, after=today)
    )
    agreement = client_agreement_record(
        collective=collective,
        actor=cast.ana,
        client=client,
        signed_on=today,
        reference="Secret agreement reference",
    )
    with transaction.atomic():
        claim = claim_create(
            fund=gap,
            claimant=cast.ben,
            claim_date=today,
            reason="Secret claim reason",
            disclosure="anonymous",
            currency=gap.currency,
            amount_minor=10_000,
        )
    return {
        "kind": "income_gap",
        "claim_id": claim.pk,
        "change_id": change.pk,
        "agreement_id": agreement.pk,
    }


def mutual_api_bodies() -> dict[str, dict[str, Any]]:
    """Bodies that get past the schema for the funds' operations that read
    theirs first: each one a member or coordinator of A could send."""
    today = timezone.localdate()
    return {
        "POST /api/v1/collectives/{slug}/funds/{kind}/rules": {
            "rules": {"cap": "1.00"},
            "effective_from": (today + dt.timedelta(days=30)).isoformat(),
        },
        "POST /api/v1/collectives/{slug}/claims/{claim_id}/reject": {"note": "Olga says no"},
        "POST /api/v1/collectives/{slug}/funds/{kind}/conversions": {
            "amount": {"amount": "1.00", "currency": "AUD"},
            "to_currency": "PHP",
            "rate": "38.50",
        },
        "POST /api/v1/collectives/{slug}/claims/{claim_id}/end": {"ends_on": today.isoformat()},
        "POST /api/v1/collectives/{slug}/funds/sick_pay/participation": {"tier": 1},
        "POST /api/v1/collectives/{slug}/funds/sick_pay/participation/changes": {
            "kind": "exit",
            "effective_on": "2030-01-01",
        },
        "POST /api/v1/collectives/{slug}/funds/guarantee/agreements": {
            "client_id": 1,
            "signed_on": today.isoformat(),
        },
        "POST /api/v1/collectives/{slug}/funds/{kind}/solvency/preview": {
            "rules": {"cap": "1.00"},
        },
    }


MUTUAL_API_PATH_VALUES: dict[str, dict[str, str]] = {
    "GET /api/v1/collectives/{slug}/funds/guarantee/eligibility/{invoice_id}": {
        "invoice_id": "issued_invoice_id"
    },
}


def mutual_api_snapshot() -> dict[str, Any]:
    return {
        "funds": list(Fund.objects.order_by("pk").values()),
        "fund_rules": list(FundRules.objects.order_by("pk").values()),
        "participations": list(Participation.objects.order_by("pk").values()),
        "participation_changes": list(ParticipationChange.objects.order_by("pk").values()),
        "client_agreements": list(ClientAgreement.objects.order_by("pk").values()),
        "claims": list(Claim.objects.order_by("pk").values()),
        "claim_approvals": list(ClaimApproval.objects.order_by("pk").values()),
        "solvency_runs": list(SolvencyRun.objects.order_by("pk").values()),
    }
