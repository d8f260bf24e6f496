"""Every REST API operation, probed by people who have no business there.

The table below names, for every operation in the OpenAPI document (method
and path template), what an anonymous caller and Olga (logged in through the
browser session, in no collective) get. A new operation without a line here
fails the test: each one needs a decision. Whatever the status, an error is a
problem document, no answer shows anyone else's email address or Ben's name
(his profile is unpublished), and no one else's rows change.

Unsafe methods carry the session's CSRF token, so the answer is the
operation's and not the CSRF check's, and a JSON body: ``{}``, except where
the operation reads its body before it checks who is asking. There ``{}``
would be refused by the schema (422) for anyone, proving nothing about Olga,
so the body is one a coordinator of collective A could send, and the answer
is the permission check's. Collective A's books are open
(``mutualist.testing.build_books``); a conversion's body names two of its
accounts, and an opening balance goes to its bank (an account a coordinator
could record one on), not Ben's payable.

The web pages have their own table in test_every_page_refuses_outsiders.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mutualist.api.models import ApiToken
from mutualist.api.services import api_token_create
from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Invitation,
    Membership,
)
from mutualist.collectives.services import invitation_create, invitation_token
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.members.models import (
    AvailabilityWindow,
    EmailChange,
    MemberSkill,
    Profile,
    User,
)
from mutualist.testing import build_books
from tests.outsiders.billing_world import (
    BILLING_PATH_VALUES,
    BILLING_PRIVATE,
    billing_bodies,
    billing_snapshot,
    billing_world,
)
from tests.outsiders.community_api_world import (
    COMMUNITY_API_PATH_VALUES,
    COMMUNITY_API_PRIVATE,
    community_api_bodies,
    community_api_snapshot,
    community_api_world,
)
from tests.outsiders.governance_world import (
    GOVERNANCE_PRIVATE,
    governance_snapshot,
    governance_world,
)
from tests.outsiders.mutual_api_world import (
    MUTUAL_API_PATH_VALUES,
    MUTUAL_API_PRIVATE,
    mutual_api_bodies,
    mutual_api_snapshot,
    mutual_api_world,
)
from tests.outsiders.work_world import WORK_PRIVATE, work_bodies, work_snapshot, work_world

PROBLEM = "application/problem+json"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# "METHOD /path": (anonymous, Olga). 401: anonymous callers must log in or send
# a token. 404 hides that a private thing exists (or that Olga could act on
# it). 422 is Olga's own resource refusing an empty body.
EXPECTED: dict[str, tuple[int, int]] = {
    # Olga's own account
    "GET /api/v1/me": (401, 200),
    "PUT /api/v1/me/profile": (401, 422),
    "PUT /api/v1/me/skills": (401, 422),
    "PUT /api/v1/me/availability": (401, 422),
    "POST /api/v1/me/email-change": (401, 422),
    "GET /api/v1/tokens": (401, 200),  # her own tokens: none
    "POST /api/v1/tokens": (401, 422),
    "DELETE /api/v1/tokens/{token_id}": (401, 404),  # Ben's token is not hers
    "GET /api/v1/invitations": (401, 200),  # invitations to her address: none
    # public reads
    "GET /api/v1/skills": (200, 200),
    "GET /api/v1/members": (200, 200),
    "GET /api/v1/members/{handle}": (404, 404),  # Ben's profile is unpublished
    "GET /api/v1/collectives": (200, 200),
    "GET /api/v1/collectives/{slug}": (200, 200),
    "GET /api/v1/collectives/{slug}/bylaws": (200, 200),
    "GET /api/v1/collectives/{slug}/members": (200, 200),  # without Ben
    # anyone logged in may found a collective (an empty body founds nothing)
    # or apply to join one
    "POST /api/v1/collectives": (401, 422),
    "POST /api/v1/collectives/{slug}/applications": (401, 201),
    # coordinators of A only
    "PUT /api/v1/collectives/{slug}": (401, 404),
    "PATCH /api/v1/collectives/{slug}": (401, 404),
    "GET /api/v1/collectives/{slug}/applications": (401, 404),
    "POST /api/v1/collectives/{slug}/applications/{membership_id}/approve": (401, 404),
    "POST /api/v1/collectives/{slug}/applications/{membership_id}/reject": (401, 404),
    "PUT /api/v1/collectives/{slug}/members/{membership_id}/role": (401, 404),
    "GET /api/v1/collectives/{slug}/invitations": (401, 404),
    "POST /api/v1/collectives/{slug}/invitations": (401, 404),
    "DELETE /api/v1/collectives/{slug}/invitations/{invitation_id}": (401, 404),
    # members of A only
    "POST /api/v1/collectives/{slug}/leave": (401, 404),
    # Olga holds the link of an invitation mailed to someone else: only the
    # invited address may answer it
    "POST /api/v1/invitations/accept": (401, 403),
    "POST /api/v1/invitations/decline": (401, 403),
    # the books: members of A only (an account and its statement also for its
    # owner; Ben's payable is not Olga's); rates, conversions, new accounts,
    # opening balances and reversals: coordinators
    "GET /api/v1/me/accounts": (401, 200),  # her own: none
    "GET /api/v1/collectives/{slug}/accounts": (401, 404),
    "POST /api/v1/collectives/{slug}/accounts": (401, 404),
    "GET /api/v1/collectives/{slug}/accounts/{account_id}": (401, 404),
    "GET /api/v1/collectives/{slug}/accounts/{account_id}/statement": (401, 404),
    "POST /api/v1/collectives/{slug}/accounts/{account_id}/opening-balance": (401, 404),
    "GET /api/v1/collectives/{slug}/transactions": (401, 404),
    "GET /api/v1/collectives/{slug}/transactions/{transaction_id}": (401, 404),
    "POST /api/v1/collectives/{slug}/transactions/{transaction_id}/reversal": (401, 404),
    "GET /api/v1/collectives/{slug}/trial-balance": (401, 404),
    "GET /api/v1/collectives/{slug}/exchange-rates": (401, 404),
    "POST /api/v1/collectives/{slug}/exchange-rates": (401, 404),
    "POST /api/v1/collectives/{slug}/conversions": (401, 404),
    # work: the board is public; "me" operations are Olga's own (her own
    # empty week, feed and entries; a body naming A's engagement is 404);
    # everything of A's clients, pitches, engagements and timesheets is 404
    "DELETE /api/v1/engagements/{engagement_id}/team/{user_id}": (401, 404),
    "DELETE /api/v1/me/calendar": (401, 204),
    "DELETE /api/v1/me/time-entries/{entry_id}": (401, 404),
    "GET /api/v1/clients": (401, 200),
    "GET /api/v1/clients/{client_id}": (401, 404),
    "GET /api/v1/collectives/{slug}/clients": (401, 404),
    "GET /api/v1/collectives/{slug}/engagements": (401, 404),
    "GET /api/v1/collectives/{slug}/pitches": (401, 404),
    "GET /api/v1/collectives/{slug}/weeks/{week}": (401, 404),
    "GET /api/v1/engagements": (401, 200),
    "GET /api/v1/engagements/{engagement_id}": (401, 404),
    "GET /api/v1/engagements/{engagement_id}/agreements": (401, 404),
    "GET /api/v1/engagements/{engagement_id}/agreements/{version}": (401, 404),
    "GET /api/v1/engagements/{engagement_id}/agreements/{version}/pdf": (401, 404),
    "GET /api/v1/engagements/{engagement_id}/timesheets": (401, 404),
    "GET /api/v1/jobs": (200, 200),
    "GET /api/v1/jobs/{job_id}": (404, 404),
    "GET /api/v1/me/calendar": (401, 200),
    "GET /api/v1/me/time-entries": (401, 200),
    "GET /api/v1/me/timer": (401, 200),
    "GET /api/v1/me/week": (401, 200),
    "GET /api/v1/pitches/{pitch_id}": (401, 404),
    "GET /api/v1/pitches/{pitch_id}/check": (401, 404),
    "GET /api/v1/timesheets/{timesheet_id}": (401, 404),
    "PATCH /api/v1/clients/{client_id}": (401, 404),
    "PATCH /api/v1/engagements/{engagement_id}/team/{user_id}": (401, 404),
    "PATCH /api/v1/jobs/{job_id}": (401, 404),
    "PATCH /api/v1/me/time-entries/{entry_id}": (401, 404),
    "POST /api/v1/client-invitations/accept": (401, 403),
    "POST /api/v1/clients": (401, 422),
    "POST /api/v1/clients/{client_id}/contacts": (401, 404),
    "POST /api/v1/clients/{client_id}/leave": (401, 404),
    "POST /api/v1/collectives/{slug}/clients": (401, 404),
    "POST /api/v1/collectives/{slug}/leads": (401, 404),
    "POST /api/v1/engagements/{engagement_id}/agreements": (401, 404),
    "POST /api/v1/engagements/{engagement_id}/agreements/{version}/accept": (401, 404),
    "POST /api/v1/engagements/{engagement_id}/status": (401, 404),
    "POST /api/v1/engagements/{engagement_id}/team": (401, 404),
    "POST /api/v1/jobs": (401, 404),
    "POST /api/v1/jobs/{job_id}/close": (401, 404),
    "POST /api/v1/jobs/{job_id}/pitches": (401, 404),
    "POST /api/v1/me/calendar": (401, 201),
    "POST /api/v1/me/time-entries": (401, 404),
    "POST /api/v1/me/timer": (401, 404),
    "POST /api/v1/me/timer/stop": (401, 409),
    "POST /api/v1/me/weeks/{week}/submit": (401, 409),
    "POST /api/v1/pitches/{pitch_id}/accept": (401, 404),
    "POST /api/v1/pitches/{pitch_id}/check": (401, 404),
    "POST /api/v1/pitches/{pitch_id}/decline": (401, 404),
    "POST /api/v1/pitches/{pitch_id}/proposal": (401, 404),
    "POST /api/v1/pitches/{pitch_id}/proposal/apply": (401, 404),
    "POST /api/v1/pitches/{pitch_id}/send": (401, 404),
    "POST /api/v1/pitches/{pitch_id}/withdraw": (401, 404),
    "POST /api/v1/time-entries/{entry_id}/adjustments": (401, 404),
    "POST /api/v1/timesheets/{timesheet_id}/approve": (401, 404),
    "POST /api/v1/timesheets/{timesheet_id}/return": (401, 404),
    "PUT /api/v1/pitches/{pitch_id}": (401, 404),
    # billing: everything of A's invoices, payments, payouts, settings and
    # reports is 404; "me" lists are Olga's own (she acts for no client, has
    # no shares and is owed nothing: empty)
    "GET /api/v1/collectives/{slug}/invoices": (401, 404),
    "POST /api/v1/collectives/{slug}/invoices": (401, 404),
    "GET /api/v1/me/invoices": (401, 200),
    "GET /api/v1/invoices/{invoice_id}": (401, 404),
    "PATCH /api/v1/invoices/{invoice_id}": (401, 404),
    "DELETE /api/v1/invoices/{invoice_id}": (401, 404),
    "GET /api/v1/invoices/{invoice_id}/pdf": (401, 404),
    "POST /api/v1/invoices/{invoice_id}/lines": (401, 404),
    "DELETE /api/v1/invoices/{invoice_id}/lines/{line_id}": (401, 404),
    "POST /api/v1/invoices/{invoice_id}/issue": (401, 404),
    "POST /api/v1/invoices/{invoice_id}/credit-notes": (401, 404),
    "GET /api/v1/invoices/{invoice_id}/payments": (401, 404),
    "POST /api/v1/invoices/{invoice_id}/payments": (401, 404),
    "GET /api/v1/payments/{payment_id}": (401, 404),
    "GET /api/v1/me/payment-shares": (401, 200),
    "GET /api/v1/me/payables": (401, 200),
    "GET /api/v1/collectives/{slug}/payout-setting": (401, 404),
    "PUT /api/v1/collectives/{slug}/payout-setting": (401, 404),
    "GET /api/v1/collectives/{slug}/payouts": (401, 404),
    "POST /api/v1/collectives/{slug}/payouts": (401, 404),
    "GET /api/v1/collectives/{slug}/payables": (401, 404),
    "GET /api/v1/collectives/{slug}/billing-settings": (401, 404),
    "PATCH /api/v1/collectives/{slug}/billing-settings": (401, 404),
    "GET /api/v1/collectives/{slug}/scorecard": (401, 404),
    "GET /api/v1/collectives/{slug}/reports/{name}": (401, 404),
    # governance: A's proposals, ballots and proxies are 404 (the bodies
    # below would make a proposal, a vote and a proxy for a member of A);
    # the list of proposals waiting for her vote is Olga's own (empty)
    "GET /api/v1/collectives/{slug}/proposals": (401, 404),
    "POST /api/v1/collectives/{slug}/proposals": (401, 404),
    "GET /api/v1/proposals/{proposal_id}": (401, 404),
    "POST /api/v1/proposals/{proposal_id}/withdraw": (401, 404),
    "GET /api/v1/proposals/{proposal_id}/votes": (401, 404),
    "PUT /api/v1/proposals/{proposal_id}/vote": (401, 404),
    "DELETE /api/v1/proposals/{proposal_id}/vote": (401, 404),
    "GET /api/v1/me/proposals/waiting": (401, 200),
    "GET /api/v1/collectives/{slug}/proxies": (401, 404),
    "POST /api/v1/collectives/{slug}/proxies": (401, 404),
    "POST /api/v1/proxies/{delegation_id}/revoke": (401, 404),
    # mutual funds: A's funds, rules, claims, participation, agreements and
    # eligibility are 404 (the bodies below would set a fund up, propose
    # rules, claim, join, and record an agreement for a member of A)
    "GET /api/v1/collectives/{slug}/funds": (401, 404),
    "GET /api/v1/collectives/{slug}/funds/{kind}": (401, 404),
    "GET /api/v1/collectives/{slug}/funds/{kind}/rules": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/{kind}/rules": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/{kind}/setup": (401, 404),
    "GET /api/v1/collectives/{slug}/funds/{kind}/me": (401, 404),
    "GET /api/v1/collectives/{slug}/funds/{kind}/claims": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/{kind}/claims": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/{kind}/conversions": (401, 404),
    "GET /api/v1/collectives/{slug}/claims/{claim_id}": (401, 404),
    "POST /api/v1/collectives/{slug}/claims/{claim_id}/approve": (401, 404),
    "POST /api/v1/collectives/{slug}/claims/{claim_id}/reject": (401, 404),
    "POST /api/v1/collectives/{slug}/claims/{claim_id}/withdraw": (401, 404),
    "POST /api/v1/collectives/{slug}/claims/{claim_id}/end": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/sick_pay/participation": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/sick_pay/participation/changes": (401, 404),
    "DELETE /api/v1/collectives/{slug}/funds/sick_pay/participation/changes/{change_id}": (
        401,
        404,
    ),
    "GET /api/v1/collectives/{slug}/funds/guarantee/agreements": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/guarantee/agreements": (401, 404),
    "DELETE /api/v1/collectives/{slug}/funds/guarantee/agreements/{agreement_id}": (401, 404),
    "GET /api/v1/collectives/{slug}/funds/guarantee/eligibility/{invoice_id}": (401, 404),
    "GET /api/v1/collectives/{slug}/funds/income_gap/eligibility": (401, 404),
    # a fund's solvency report, a preview of other rules, a rule change's
    # comparison: members of A only (nothing is computed or stored for Olga)
    "GET /api/v1/collectives/{slug}/funds/{kind}/solvency": (401, 404),
    "POST /api/v1/collectives/{slug}/funds/{kind}/solvency/preview": (401, 404),
    "GET /api/v1/collectives/{slug}/proposals/{proposal_id}/solvency": (401, 404),
    # community blog: the published posts, their approved comments (Ana's
    # post: no email, not the held one) and the tags are public; Ben's draft
    # is 404 to read, change, delete or comment on; writing for collective A
    # is refused (Olga is not a member: 422 not_a_member); her own posts and
    # moderation queue are empty; the held comment is 404 to moderate or edit
    "GET /api/v1/blog/posts": (200, 200),
    "POST /api/v1/blog/posts": (401, 422),
    "GET /api/v1/blog/posts/{slug}": (404, 404),
    "PUT /api/v1/blog/posts/{slug}": (401, 404),
    "DELETE /api/v1/blog/posts/{slug}": (401, 404),
    "GET /api/v1/blog/posts/{slug}/comments": (200, 200),
    "POST /api/v1/blog/posts/{slug}/comments": (401, 404),
    "GET /api/v1/blog/tags": (200, 200),
    "GET /api/v1/me/blog/posts": (401, 200),
    "GET /api/v1/blog/moderation": (401, 200),
    "POST /api/v1/blog/comments/{comment_id}/moderation": (401, 404),
    "PUT /api/v1/blog/comments/{comment_id}": (401, 404),
}


def bodies(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bodies that get past the schema, for the operations that read theirs
    before checking who asks; every other unsafe operation gets ``{}``."""
    return {
        **work_bodies(world),
        **billing_bodies(world),
        **mutual_api_bodies(),
        **community_api_bodies(),
        "PUT /api/v1/collectives/{slug}": {"name": "Taken over", "is_remote": True},
        "PATCH /api/v1/collectives/{slug}": {"name": "Taken over"},
        "POST /api/v1/collectives/{slug}/proposals": {
            "kind": "bylaws_change",
            "title": "Treasury takes 90 %",
            "payload": {
                "effective_from": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
                "shares": {"treasury": "90"},
            },
            "closes_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        },
        "PUT /api/v1/proposals/{proposal_id}/vote": {"choice": "no", "reason": "Olga says no"},
        "POST /api/v1/collectives/{slug}/proxies": {
            "delegate": world["handle"],
            "proposal_id": world["proposal_id"],
        },
        "PUT /api/v1/collectives/{slug}/members/{membership_id}/role": {"role": "coordinator"},
        "POST /api/v1/collectives/{slug}/invitations": {"email": "olgas-friend@example.org"},
        "POST /api/v1/invitations/accept": {"token": world["invitation_token"]},
        "POST /api/v1/invitations/decline": {"token": world["invitation_token"]},
        "POST /api/v1/collectives/{slug}/exchange-rates": {
            "base": "USD",
            "quote": "PHP",
            "rate": "1",
            "on": "2026-03-01",
        },
        "POST /api/v1/collectives/{slug}/conversions": {
            "source_account": world["bank_id"],
            "target_account": world["usd_bank_id"],
            "amount": {"amount": "100000.00", "currency": "PHP"},
            "rate": "1",
        },
        "POST /api/v1/collectives/{slug}/accounts": {
            "label": "Olga",
            "currency": "PHP",
            "opening_balance": {"amount": "1000000.00", "currency": "PHP"},
        },
        "POST /api/v1/collectives/{slug}/accounts/{account_id}/opening-balance": {
            "amount": {"amount": "1000000.00", "currency": "PHP"},
        },
        "POST /api/v1/collectives/{slug}/transactions/{transaction_id}/reversal": {
            "memo": "Undone by an outsider",
        },
    }


# Path values other than the world's, where an operation needs one a
# coordinator of A could act on.
PATH_VALUES: dict[str, dict[str, str]] = {
    "POST /api/v1/collectives/{slug}/accounts/{account_id}/opening-balance": {
        "account_id": "bank_id"
    },
    **BILLING_PATH_VALUES,
    **MUTUAL_API_PATH_VALUES,
    **COMMUNITY_API_PATH_VALUES,
}


def openapi_operations() -> list[tuple[str, str]]:
    document = Client().get("/api/v1/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    )


@pytest.fixture
def world(cast) -> dict[str, Any]:
    """Collective A with something private in every corner."""
    Profile.objects.filter(user=cast.ben).update(is_public=False)
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="secret-invitee@example.org"
    )
    applicant = User.objects.create_user("applicant@example.org", "pw-applicant-123")
    Profile.objects.create(
        user=applicant, handle="applicant", display_name="Appli Cant", is_public=False
    )
    Membership.objects.create(
        collective=cast.collective_a, user=applicant, state=Membership.State.APPLIED
    )
    ben_membership = Membership.objects.get(collective=cast.collective_a, user=cast.ben)
    ben_token = api_token_create(user=cast.ben, name="Ben's laptop")
    books = build_books(cast)
    work = work_world(cast)
    return {
        **work,
        **billing_world(work["work"]),
        **governance_world(cast),
        **mutual_api_world(cast, client=work["work"].harbour),
        **community_api_world(cast),
        "slug": cast.collective_a.slug,
        "handle": cast.ben.profile.handle,
        "membership_id": ben_membership.pk,
        "invitation_id": invitation.pk,
        "invitation_token": invitation_token(invitation),
        "token_id": ben_token.token.pk,
        "account_id": books.ben_payable.pk,
        "transaction_id": Transaction.objects.get(idempotency_key="test:opening:a").pk,
        "bank_id": books.bank.pk,
        "usd_bank_id": books.usd_bank.pk,
    }


def url_for(path: str, world: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: str(world[match.group(1)]), path)


def session_client(*, user: User | None) -> Client:
    """A browser: CSRF enforced, with the CSRF cookie a page has set."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.get("/me/tokens/")
    else:
        client.get("/accounts/login/")
    assert client.cookies["csrftoken"].value
    return client


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    if method not in UNSAFE:
        return client.generic(method, url)
    return client.generic(
        method,
        url,
        data=json.dumps(body),
        content_type="application/json",
        # Operations that move money need an Idempotency-Key; the others ignore it.
        headers={"X-CSRFToken": client.cookies["csrftoken"].value, "Idempotency-Key": "probe"},
    )


def snapshot(outsider: User) -> dict[str, Any]:
    """Everything but the outsider's own rows (Olga may apply to join, say)."""
    return {
        "collectives": list(Collective.objects.order_by("pk").values()),
        "coworking_spaces": list(CoworkingSpace.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.exclude(user=outsider).order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "bylaws": list(Bylaws.objects.order_by("pk").values()),
        "profiles": list(Profile.objects.exclude(user=outsider).order_by("pk").values()),
        "skills": list(MemberSkill.objects.exclude(profile__user=outsider).order_by("pk").values()),
        "availability": list(
            AvailabilityWindow.objects.exclude(profile__user=outsider).order_by("pk").values()
        ),
        "users": list(User.objects.exclude(pk=outsider.pk).order_by("pk").values()),
        "email_changes": list(EmailChange.objects.order_by("pk").values()),
        "api_tokens": list(ApiToken.objects.exclude(user=outsider).order_by("pk").values()),
        "accounts": list(Account.objects.order_by("pk").values()),
        "transactions": list(Transaction.objects.order_by("pk").values()),
        "postings": list(Posting.objects.order_by("pk").values()),
        "exchange_rates": list(ExchangeRate.objects.order_by("pk").values()),
        **work_snapshot(outsider),
        **billing_snapshot(outsider),
        **governance_snapshot(),
        **mutual_api_snapshot(),
        **community_api_snapshot(outsider),
    }


PRIVATE = (
    "ana@example.org",
    "ben@example.org",
    "carla@example.org",
    "secret-invitee@example.org",
    "applicant@example.org",
    "Appli Cant",
    "Ben Okafor",  # unpublished: only fellow members may see him
    "Ben's laptop",
    "ManilaVa",  # any of collective A's account names
    "Opening balance",  # a memo in A's books
    *WORK_PRIVATE,
    *BILLING_PRIVATE,
    *GOVERNANCE_PRIVATE,
    *MUTUAL_API_PRIVATE,
    *COMMUNITY_API_PRIVATE,
)


def test_every_api_operation_has_an_outsider_decision(db):
    assert sorted(tuple(key.split(" ", 1)) for key in EXPECTED) == openapi_operations()


@pytest.mark.parametrize("operation", sorted(EXPECTED))
def test_outsiders_get_what_the_table_says_and_nothing_private(operation, world, cast):
    method, path = operation.split(" ", 1)
    values = {key: world[name] for key, name in PATH_VALUES.get(operation, {}).items()}
    url = url_for(path, {**world, **values})
    body = bodies(world).get(operation, {})
    anonymous = session_client(user=None)
    olga = session_client(user=cast.olga)
    before = snapshot(cast.olga)

    seen = {
        "anonymous": send(anonymous, method, url, body),
        "Olga": send(olga, method, url, body),
    }

    got = tuple(response.status_code for response in seen.values())
    assert got == EXPECTED[operation], f"{operation}: {dict(zip(seen, got, strict=True))}"
    for label, response in seen.items():
        if response.status_code >= 400:
            assert response["Content-Type"] == PROBLEM, f"{operation} {label}"
            assert json.loads(response.content)["status"] == response.status_code
        text = response.content.decode(errors="replace")
        leaked = [secret for secret in PRIVATE if secret.lower() in text.lower()]
        assert leaked == [], f"{operation} {label} shows {leaked}"
    # Whatever Olga sends, no one else's data changed.
    assert snapshot(cast.olga) == before
