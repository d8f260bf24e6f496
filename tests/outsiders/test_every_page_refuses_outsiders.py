"""Every web page, probed by people who have no business there.

The table below names, for every URL pattern of the web UI, what an anonymous
visitor and Olga (logged in, in no collective) get for GET and for POST. A new
page without a line here fails the test: each view needs a decision. Whatever
the status, the response must not leak anyone else's email address or the
collective's private data, and a refused POST must change nothing.

Collective A's books are open (``mutualist.testing.build_books``), so the
ledger's pages are probed with a real account (Ben's payable) and transaction.

The Django admin is covered elsewhere, the REST API by its own table in
test_every_api_operation_refuses_outsiders.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mutualist.api.models import ApiToken
from mutualist.api.services import api_token_create
from mutualist.collectives.models import Bylaws, Collective, Invitation, Membership
from mutualist.collectives.services import invitation_create, invitation_token
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.members.models import EmailChange, Profile, User
from mutualist.testing import build_books
from tests.outsiders.billing_world import BILLING_PRIVATE, billing_snapshot, billing_world
from tests.outsiders.community_world import (
    COMMUNITY_PRIVATE,
    community_snapshot,
    community_world,
)
from tests.outsiders.governance_world import (
    GOVERNANCE_PRIVATE,
    governance_snapshot,
    governance_world,
)
from tests.outsiders.mutual_world import MUTUAL_PRIVATE, mutual_snapshot, mutual_world
from tests.outsiders.work_world import WORK_PRIVATE, work_snapshot, work_world

LOGIN = "login"  # a redirect to the login page

# name: (anonymous GET, anonymous POST, Olga GET, Olga POST), with Olga logged
# in and in no collective. 404 hides that a private thing exists; 405 is a
# method the page does not take; LOGIN is a redirect to the login page.
EXPECTED: dict[str, tuple[int | str, int | str, int | str, int | str]] = {
    "home": (200, 200, 200, 200),
    # accounts
    "members:signup": (200, 200, 302, 302),  # a logged-in visitor goes to the dashboard
    "members:login": (200, 200, 302, 302),
    "members:logout": (405, 302, 405, 302),  # POST only
    "members:password_reset": (200, 200, 200, 200),  # never says whether an address exists
    "members:password_reset_done": (200, 405, 200, 405),
    "members:password_reset_confirm": (
        302,
        302,
        302,
        302,
    ),  # Django moves the token into the session
    "members:password_reset_complete": (200, 405, 200, 405),
    "members:password_change": (LOGIN, LOGIN, 200, 200),  # Olga's own password
    "members:email_change": (LOGIN, LOGIN, 200, 200),  # Olga's own address
    "members:email_change_confirm": (200, 422, 200, 422),  # GET only shows a button
    "members:email_verify": (200, 422, 200, 422),
    "members:email_verify_resend": (LOGIN, LOGIN, 405, 302),
    # the member's own pages
    "members:dashboard": (LOGIN, LOGIN, 200, 405),
    "members:profile_edit": (LOGIN, LOGIN, 200, 200),
    # every skill is optional, so an empty POST is a valid "no skills" and saves
    "members:skills_edit": (LOGIN, LOGIN, 200, 302),
    "members:availability_edit": (LOGIN, LOGIN, 200, 200),
    "api_tokens:list": (LOGIN, LOGIN, 200, 200),
    "api_tokens:revoke": (LOGIN, LOGIN, 405, 404),  # Ben's token is not Olga's
    # people
    "members:directory": (200, 405, 200, 405),
    "members:profile": (404, 405, 404, 405),  # Ben's profile is unpublished
    # collectives: public pages
    "collectives:directory": (200, 405, 200, 405),
    "collectives:detail": (200, 405, 200, 405),
    # history is public; changes are proposals (governance:proposal_new)
    "collectives:bylaws": (200, 405, 200, 405),
    "collectives:create": (LOGIN, LOGIN, 200, 200),  # anyone logged in may start one
    "collectives:apply": (LOGIN, LOGIN, 405, 302),  # anyone logged in may apply
    # collectives: members and coordinators only
    "collectives:edit": (LOGIN, LOGIN, 404, 404),
    "collectives:invite": (LOGIN, LOGIN, 404, 404),
    "collectives:leave": (LOGIN, LOGIN, 405, 404),
    "collectives:application_decide": (LOGIN, LOGIN, 405, 404),
    "collectives:membership_role": (LOGIN, LOGIN, 405, 404),
    "collectives:invitation_revoke": (LOGIN, LOGIN, 405, 404),
    # whoever holds the mailed link sees whom it is from; only the invited
    # address can accept (tested in collectives/tests/test_views.py)
    "collectives:invitation": (200, LOGIN, 200, 302),
    # a collective's books: its active members only (an account's statement
    # also for its owner); entering rates, converting, opening accounts,
    # recording opening balances and reversing: coordinators only
    "ledger:books": (LOGIN, LOGIN, 404, 405),
    "ledger:journal": (LOGIN, LOGIN, 404, 405),
    "ledger:transaction": (LOGIN, LOGIN, 404, 405),
    "ledger:transaction_reverse": (LOGIN, LOGIN, 404, 404),
    "ledger:account": (LOGIN, LOGIN, 404, 405),  # Ben's payable is not Olga's
    "ledger:account_open": (LOGIN, LOGIN, 404, 404),
    "ledger:opening_balance": (LOGIN, LOGIN, 404, 404),
    "ledger:rates": (LOGIN, LOGIN, 404, 404),
    "ledger:convert": (LOGIN, LOGIN, 404, 404),
    "ledger:my_accounts": (LOGIN, LOGIN, 200, 405),  # her own: none
    # work: the job board and public jobs for everyone (A's private lead is
    # 404); the portal and "my week" are Olga's own (empty); a client's,
    # pitch's, engagement's, agreement's, entry's and timesheet's pages only
    # for their collective's members and the client's contacts; the calendar
    # feed for whoever holds its secret URL; a contact invitation's page for
    # whoever holds the mailed link, accepted only by the invited address.
    "work:agreement": (LOGIN, LOGIN, 404, 405),
    "work:agreement_accept": (LOGIN, LOGIN, 405, 404),
    "work:agreement_pdf": (LOGIN, LOGIN, 404, 405),
    "work:agreement_revise": (LOGIN, LOGIN, 405, 404),
    "work:board": (200, 405, 200, 405),
    "work:calendar": (LOGIN, LOGIN, 200, 302),
    "work:calendar_feed": (200, 405, 200, 405),
    "work:client": (LOGIN, LOGIN, 404, 405),
    "work:client_contact_accept": (200, LOGIN, 200, 403),
    "work:client_contact_invite": (LOGIN, LOGIN, 404, 404),
    "work:client_edit": (LOGIN, LOGIN, 404, 404),
    "work:client_leave": (LOGIN, LOGIN, 405, 404),
    "work:client_record": (LOGIN, LOGIN, 404, 404),
    "work:client_register": (LOGIN, LOGIN, 200, 200),
    "work:collective_clients": (LOGIN, LOGIN, 404, 405),
    "work:collective_engagements": (LOGIN, LOGIN, 404, 405),
    "work:collective_pitches": (LOGIN, LOGIN, 404, 405),
    "work:engagement": (LOGIN, LOGIN, 404, 405),
    "work:engagement_seat": (LOGIN, LOGIN, 405, 404),
    "work:engagement_seat_add": (LOGIN, LOGIN, 404, 404),
    "work:engagement_status": (LOGIN, LOGIN, 405, 404),
    "work:entry_adjust": (LOGIN, LOGIN, 404, 404),
    "work:entry_delete": (LOGIN, LOGIN, 404, 404),
    "work:entry_edit": (LOGIN, LOGIN, 404, 404),
    "work:entry_new": (LOGIN, LOGIN, 405, 422),
    "work:job": (404, 405, 404, 405),
    "work:job_close": (LOGIN, LOGIN, 405, 404),
    "work:job_edit": (LOGIN, LOGIN, 404, 404),
    "work:job_post": (LOGIN, LOGIN, 302, 302),
    "work:lead_new": (LOGIN, LOGIN, 404, 404),
    "work:pitch": (LOGIN, LOGIN, 404, 404),
    "work:pitch_accept": (LOGIN, LOGIN, 405, 404),
    "work:pitch_check": (LOGIN, LOGIN, 404, 404),
    "work:pitch_decline": (LOGIN, LOGIN, 405, 404),
    "work:pitch_new": (LOGIN, LOGIN, 404, 404),
    "work:pitch_proposal": (LOGIN, LOGIN, 404, 405),
    "work:pitch_proposal_apply": (LOGIN, LOGIN, 405, 404),
    "work:pitch_send": (LOGIN, LOGIN, 405, 404),
    "work:pitch_withdraw": (LOGIN, LOGIN, 405, 404),
    "work:portal": (LOGIN, LOGIN, 200, 405),
    "work:team_week": (LOGIN, LOGIN, 404, 405),
    "work:timer_start": (LOGIN, LOGIN, 405, 302),
    "work:timer_stop": (LOGIN, LOGIN, 405, 302),
    "work:timesheet": (LOGIN, LOGIN, 404, 405),
    "work:timesheet_approve": (LOGIN, LOGIN, 405, 404),
    "work:timesheet_return": (LOGIN, LOGIN, 405, 404),
    "work:week": (LOGIN, LOGIN, 200, 405),
    "work:week_submit": (LOGIN, LOGIN, 405, 302),
    # billing: a collective's invoices, payments, payouts, reports and
    # settings for its active members (changes for coordinators); an issued
    # invoice and its PDF also for the client's contacts; "my earnings" is
    # Olga's own (empty). The invoice pages are probed with the issued
    # invoice, the draft's actions with the draft (see billing_world).
    "billing:invoices": (LOGIN, LOGIN, 404, 405),
    "billing:invoice_new": (LOGIN, LOGIN, 404, 404),
    "billing:invoice": (LOGIN, LOGIN, 404, 405),
    "billing:invoice_pdf": (LOGIN, LOGIN, 404, 405),
    "billing:invoice_update": (LOGIN, LOGIN, 405, 404),
    "billing:invoice_line_add": (LOGIN, LOGIN, 405, 404),
    "billing:invoice_line_remove": (LOGIN, LOGIN, 405, 404),
    "billing:invoice_issue": (LOGIN, LOGIN, 405, 404),
    "billing:invoice_delete": (LOGIN, LOGIN, 405, 404),
    "billing:invoice_payment_record": (LOGIN, LOGIN, 405, 404),
    "billing:invoice_credit_note": (LOGIN, LOGIN, 405, 404),
    "billing:my_earnings": (LOGIN, LOGIN, 200, 405),
    "billing:payment": (LOGIN, LOGIN, 404, 405),
    "billing:payouts": (LOGIN, LOGIN, 404, 405),
    "billing:payout_new": (LOGIN, LOGIN, 404, 404),
    "billing:payout_settings": (LOGIN, LOGIN, 404, 404),
    "billing:settings": (LOGIN, LOGIN, 404, 404),
    "billing:settings_preview": (LOGIN, LOGIN, 404, 405),
    "billing:reports": (LOGIN, LOGIN, 404, 405),
    "billing:scorecard": (LOGIN, LOGIN, 404, 405),
    # governance: a collective's proposals, votes and proxies for its active
    # members only; the open proposal and Ana's period proxy (governance_world)
    "governance:decisions": (LOGIN, LOGIN, 404, 405),
    "governance:proposal_new": (LOGIN, LOGIN, 404, 404),
    "governance:proposal": (LOGIN, LOGIN, 404, 405),
    "governance:vote": (LOGIN, LOGIN, 405, 404),
    "governance:withdraw": (LOGIN, LOGIN, 404, 404),  # GET: the confirmation step
    "governance:proxies": (LOGIN, LOGIN, 404, 404),
    "governance:proxy_revoke": (LOGIN, LOGIN, 405, 404),
    # mutual funds: a collective's funds, claims and agreements for its
    # active members only (setting a fund up for coordinators); the income-gap
    # fund and Ben's claim on it, Ben's sick-pay tier change and Harbour's
    # agreement (mutual_world)
    "mutual:funds": (LOGIN, LOGIN, 404, 405),
    "mutual:fund": (LOGIN, LOGIN, 404, 405),
    "mutual:fund_setup": (LOGIN, LOGIN, 404, 404),
    "mutual:fund_rules": (LOGIN, LOGIN, 404, 404),
    "mutual:fund_convert": (LOGIN, LOGIN, 404, 404),
    "mutual:claim_new": (LOGIN, LOGIN, 404, 404),
    "mutual:claim": (LOGIN, LOGIN, 404, 405),
    "mutual:claim_decide": (LOGIN, LOGIN, 405, 404),
    "mutual:claim_withdraw": (LOGIN, LOGIN, 405, 404),
    "mutual:claim_end": (LOGIN, LOGIN, 405, 404),
    "mutual:claim_write_off": (LOGIN, LOGIN, 405, 404),
    "mutual:sick_pay_join": (LOGIN, LOGIN, 405, 404),
    "mutual:sick_pay_change": (LOGIN, LOGIN, 405, 404),
    "mutual:sick_pay_change_cancel": (LOGIN, LOGIN, 405, 404),
    "mutual:agreements": (LOGIN, LOGIN, 404, 404),
    "mutual:agreement_remove": (LOGIN, LOGIN, 405, 404),
    # whether a fund will hold: the sick-pay fund's projection, a preview of
    # new rules' effect (POST only, stores nothing), and the open rule
    # change's comparison that its proposal page loads (mutual_world)
    "mutual:fund_solvency": (LOGIN, LOGIN, 404, 405),
    "mutual:fund_rules_preview": (LOGIN, LOGIN, 405, 404),
    "mutual:proposal_solvency": (LOGIN, LOGIN, 404, 405),
    # the blog: anyone reads the published post, its approved comment, the
    # tag pages and the feeds, and may comment (an empty comment is refused:
    # 400); writing needs an account; Ana's post is edited and deleted, and
    # its held comment moderated and edited, only by its moderators
    # (community_world)
    "community:index": (200, 405, 200, 405),
    "community:tag": (200, 405, 200, 405),
    "community:feed": (200, 405, 200, 405),
    "community:tag_feed": (200, 405, 200, 405),
    "community:post": (200, 405, 200, 405),
    "community:comment_create": (405, 400, 405, 400),
    "community:comment": (302, 405, 302, 405),  # the approved comment's place on the post
    "community:post_new": (LOGIN, LOGIN, 200, 422),  # Olga may write her own
    "community:mine": (LOGIN, LOGIN, 200, 405),  # her own: none
    "community:post_edit": (LOGIN, LOGIN, 404, 404),
    "community:post_delete": (LOGIN, LOGIN, 405, 404),
    "community:moderation": (LOGIN, LOGIN, 200, 405),  # her own queue: empty
    "community:comment_moderate": (LOGIN, LOGIN, 405, 404),
    "community:comment_edit": (LOGIN, LOGIN, 404, 404),
}


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in {"admin", "api"}:
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            yield from walk(entry.url_patterns, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def web_url_names() -> list[str]:
    return sorted({name for name, _ in walk(get_resolver().url_patterns)})


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
    billing = billing_world(work["work"])
    issued = {"pk": billing["issued_invoice_id"]}
    draft = {"pk": billing["invoice_id"]}
    governance = governance_world(cast)
    proposal = {"proposal_id": governance["proposal_id"]}
    mutual = mutual_world(cast, work["work"].harbour)
    community = community_world(cast)
    by_name = {
        **work["by_name"],
        "billing:invoice": issued,
        "billing:invoice_pdf": issued,
        "billing:invoice_payment_record": issued,
        "billing:invoice_credit_note": issued,
        "billing:invoice_update": draft,
        "billing:invoice_line_add": draft,
        "billing:invoice_line_remove": {**draft, "line_id": billing["line_id"]},
        "billing:invoice_issue": draft,
        "billing:invoice_delete": draft,
        "billing:payment": {"pk": billing["payment_id"]},
        "governance:proposal": proposal,
        "governance:vote": proposal,
        "governance:withdraw": proposal,
        "governance:proxy_revoke": {"delegation_id": governance["delegation_id"]},
        **mutual,
        **community,
    }
    return {
        **work,
        "by_name": by_name,
        "slug": cast.collective_a.slug,
        "handle": cast.ben.profile.handle,
        "membership_id": ben_membership.pk,
        "invitation_id": invitation.pk,
        "invitation_token": invitation_token(invitation),
        "uidb64": urlsafe_base64_encode(force_bytes(cast.ben.pk)),
        "reset_token": default_token_generator.make_token(cast.ben),
        "token_id": ben_token.token.pk,
        "account_id": books.ben_payable.pk,
        "transaction_id": Transaction.objects.get(idempotency_key="test:opening:a").pk,
    }


def url_for(name: str, pattern: URLPattern, world: dict[str, Any]) -> str:
    kwargs = {}
    for key in pattern.pattern.converters:
        if name in world["by_name"] and key in world["by_name"][name]:
            kwargs[key] = world["by_name"][name][key]
        elif key == "token":
            kwargs[key] = (
                world["reset_token"] if "password_reset" in name else world["invitation_token"]
            )
        else:
            kwargs[key] = world[key]
    return reverse(name, kwargs=kwargs)


def snapshot(outsider: User) -> dict[str, Any]:
    """Everything but the outsider's own rows (Olga may apply to join, say)."""
    return {
        "collectives": list(Collective.objects.values()),
        "memberships": list(Membership.objects.exclude(user=outsider).order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "bylaws": Bylaws.objects.count(),
        "profiles": list(Profile.objects.exclude(user=outsider).order_by("pk").values()),
        "users": list(
            User.objects.exclude(pk=outsider.pk).order_by("pk").values_list("email", "password")
        ),
        "email_changes": EmailChange.objects.count(),
        "api_tokens": list(ApiToken.objects.order_by("pk").values()),
        "accounts": list(Account.objects.order_by("pk").values()),
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "exchange_rates": list(ExchangeRate.objects.order_by("pk").values()),
        **work_snapshot(outsider),
        **billing_snapshot(outsider),
        **governance_snapshot(),
        **mutual_snapshot(),
        **community_snapshot(),
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
    *MUTUAL_PRIVATE,
    *COMMUNITY_PRIVATE,
)


def status_of(response: Any) -> int | str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    return int(response.status_code)


def test_every_web_page_has_an_outsider_decision():
    assert sorted(EXPECTED) == web_url_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_outsiders_get_what_the_table_says_and_nothing_private(
    name, world, cast, client, client_for
):
    pattern = dict(walk(get_resolver().url_patterns))[name]
    url = url_for(name, pattern, world)
    olga = client_for(cast.olga)
    before = snapshot(cast.olga)

    seen = {
        "anonymous GET": client.get(url),
        "anonymous POST": client.post(url, {}),
        "Olga GET": olga.get(url),
        "Olga POST": olga.post(url, {}),
    }

    got = tuple(status_of(response) for response in seen.values())
    assert got == EXPECTED[name], f"{name}: {dict(zip(seen, got, strict=True))}"
    for label, response in seen.items():
        body = response.content.decode(errors="replace")
        leaked = [text for text in PRIVATE if text in body]
        assert leaked == [], f"{name} {label} shows {leaked}"
    # Whatever Olga posts, no one else's data changed.
    assert snapshot(cast.olga) == before
