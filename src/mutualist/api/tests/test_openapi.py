"""The OpenAPI document, the docs page, and problem documents outside the operations."""

from __future__ import annotations

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem

EXPECTED_PATHS = {
    "/api/v1/me": {"get"},
    "/api/v1/me/profile": {"put"},
    "/api/v1/me/skills": {"put"},
    "/api/v1/me/availability": {"put"},
    "/api/v1/me/email-change": {"post"},
    "/api/v1/skills": {"get"},
    "/api/v1/members": {"get"},
    "/api/v1/members/{handle}": {"get"},
    "/api/v1/collectives": {"get", "post"},
    "/api/v1/collectives/{slug}": {"get", "put", "patch"},
    "/api/v1/collectives/{slug}/bylaws": {"get"},
    "/api/v1/collectives/{slug}/members": {"get"},
    "/api/v1/collectives/{slug}/applications": {"get", "post"},
    "/api/v1/collectives/{slug}/applications/{membership_id}/approve": {"post"},
    "/api/v1/collectives/{slug}/applications/{membership_id}/reject": {"post"},
    "/api/v1/collectives/{slug}/leave": {"post"},
    "/api/v1/collectives/{slug}/members/{membership_id}/role": {"put"},
    "/api/v1/collectives/{slug}/invitations": {"get", "post"},
    "/api/v1/collectives/{slug}/invitations/{invitation_id}": {"delete"},
    "/api/v1/invitations": {"get"},
    "/api/v1/invitations/accept": {"post"},
    "/api/v1/invitations/decline": {"post"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/tokens/{token_id}": {"delete"},
    "/api/v1/me/accounts": {"get"},
    "/api/v1/collectives/{slug}/accounts": {"get", "post"},
    "/api/v1/collectives/{slug}/accounts/{account_id}": {"get"},
    "/api/v1/collectives/{slug}/accounts/{account_id}/statement": {"get"},
    "/api/v1/collectives/{slug}/accounts/{account_id}/opening-balance": {"post"},
    "/api/v1/collectives/{slug}/transactions": {"get"},
    "/api/v1/collectives/{slug}/transactions/{transaction_id}": {"get"},
    "/api/v1/collectives/{slug}/transactions/{transaction_id}/reversal": {"post"},
    "/api/v1/collectives/{slug}/trial-balance": {"get"},
    "/api/v1/collectives/{slug}/exchange-rates": {"get", "post"},
    "/api/v1/collectives/{slug}/conversions": {"post"},
    # work
    "/api/v1/clients": {"get", "post"},
    "/api/v1/clients/{client_id}": {"get", "patch"},
    "/api/v1/clients/{client_id}/contacts": {"post"},
    "/api/v1/clients/{client_id}/leave": {"post"},
    "/api/v1/client-invitations/accept": {"post"},
    "/api/v1/collectives/{slug}/clients": {"get", "post"},
    "/api/v1/collectives/{slug}/leads": {"post"},
    "/api/v1/jobs": {"get", "post"},
    "/api/v1/jobs/{job_id}": {"get", "patch"},
    "/api/v1/jobs/{job_id}/close": {"post"},
    "/api/v1/collectives/{slug}/pitches": {"get"},
    "/api/v1/jobs/{job_id}/pitches": {"post"},
    "/api/v1/pitches/{pitch_id}": {"get", "put"},
    "/api/v1/pitches/{pitch_id}/check": {"get", "post"},
    "/api/v1/pitches/{pitch_id}/proposal": {"post"},
    "/api/v1/pitches/{pitch_id}/proposal/apply": {"post"},
    "/api/v1/pitches/{pitch_id}/send": {"post"},
    "/api/v1/pitches/{pitch_id}/withdraw": {"post"},
    "/api/v1/pitches/{pitch_id}/accept": {"post"},
    "/api/v1/pitches/{pitch_id}/decline": {"post"},
    "/api/v1/engagements": {"get"},
    "/api/v1/collectives/{slug}/engagements": {"get"},
    "/api/v1/engagements/{engagement_id}": {"get"},
    "/api/v1/engagements/{engagement_id}/status": {"post"},
    "/api/v1/engagements/{engagement_id}/team": {"post"},
    "/api/v1/engagements/{engagement_id}/team/{user_id}": {"delete", "patch"},
    "/api/v1/engagements/{engagement_id}/agreements": {"get", "post"},
    "/api/v1/engagements/{engagement_id}/agreements/{version}": {"get"},
    "/api/v1/engagements/{engagement_id}/agreements/{version}/pdf": {"get"},
    "/api/v1/engagements/{engagement_id}/agreements/{version}/accept": {"post"},
    "/api/v1/me/week": {"get"},
    "/api/v1/me/weeks/{week}/submit": {"post"},
    "/api/v1/me/time-entries": {"get", "post"},
    "/api/v1/me/time-entries/{entry_id}": {"delete", "patch"},
    "/api/v1/me/timer": {"get", "post"},
    "/api/v1/me/timer/stop": {"post"},
    "/api/v1/time-entries/{entry_id}/adjustments": {"post"},
    "/api/v1/engagements/{engagement_id}/timesheets": {"get"},
    "/api/v1/timesheets/{timesheet_id}": {"get"},
    "/api/v1/timesheets/{timesheet_id}/approve": {"post"},
    "/api/v1/timesheets/{timesheet_id}/return": {"post"},
    "/api/v1/collectives/{slug}/weeks/{week}": {"get"},
    "/api/v1/me/calendar": {"delete", "get", "post"},
    # billing
    "/api/v1/collectives/{slug}/invoices": {"get", "post"},
    "/api/v1/me/invoices": {"get"},
    "/api/v1/invoices/{invoice_id}": {"delete", "get", "patch"},
    "/api/v1/invoices/{invoice_id}/pdf": {"get"},
    "/api/v1/invoices/{invoice_id}/lines": {"post"},
    "/api/v1/invoices/{invoice_id}/lines/{line_id}": {"delete"},
    "/api/v1/invoices/{invoice_id}/issue": {"post"},
    "/api/v1/invoices/{invoice_id}/credit-notes": {"post"},
    "/api/v1/invoices/{invoice_id}/payments": {"get", "post"},
    "/api/v1/payments/{payment_id}": {"get"},
    "/api/v1/me/payment-shares": {"get"},
    "/api/v1/me/payables": {"get"},
    "/api/v1/collectives/{slug}/payout-setting": {"get", "put"},
    "/api/v1/collectives/{slug}/payouts": {"get", "post"},
    "/api/v1/collectives/{slug}/payables": {"get"},
    "/api/v1/collectives/{slug}/billing-settings": {"get", "patch"},
    "/api/v1/collectives/{slug}/scorecard": {"get"},
    "/api/v1/collectives/{slug}/reports/{name}": {"get"},
    # governance
    "/api/v1/collectives/{slug}/proposals": {"get", "post"},
    "/api/v1/proposals/{proposal_id}": {"get"},
    "/api/v1/proposals/{proposal_id}/withdraw": {"post"},
    "/api/v1/proposals/{proposal_id}/votes": {"get"},
    "/api/v1/proposals/{proposal_id}/vote": {"delete", "put"},
    "/api/v1/me/proposals/waiting": {"get"},
    "/api/v1/collectives/{slug}/proxies": {"get", "post"},
    "/api/v1/proxies/{delegation_id}/revoke": {"post"},
    # mutual funds
    "/api/v1/collectives/{slug}/funds": {"get"},
    "/api/v1/collectives/{slug}/funds/{kind}": {"get"},
    "/api/v1/collectives/{slug}/funds/{kind}/rules": {"get", "post"},
    "/api/v1/collectives/{slug}/funds/{kind}/me": {"get"},
    "/api/v1/collectives/{slug}/funds/{kind}/claims": {"get", "post"},
    "/api/v1/collectives/{slug}/claims/{claim_id}": {"get"},
    "/api/v1/collectives/{slug}/funds/{kind}/setup": {"post"},
    "/api/v1/collectives/{slug}/claims/{claim_id}/approve": {"post"},
    "/api/v1/collectives/{slug}/claims/{claim_id}/reject": {"post"},
    "/api/v1/collectives/{slug}/claims/{claim_id}/withdraw": {"post"},
    "/api/v1/collectives/{slug}/claims/{claim_id}/end": {"post"},
    "/api/v1/collectives/{slug}/funds/sick_pay/participation": {"post"},
    "/api/v1/collectives/{slug}/funds/sick_pay/participation/changes": {"post"},
    "/api/v1/collectives/{slug}/funds/sick_pay/participation/changes/{change_id}": {"delete"},
    "/api/v1/collectives/{slug}/funds/guarantee/agreements": {"get", "post"},
    "/api/v1/collectives/{slug}/funds/guarantee/agreements/{agreement_id}": {"delete"},
    "/api/v1/collectives/{slug}/funds/guarantee/eligibility/{invoice_id}": {"get"},
    "/api/v1/collectives/{slug}/funds/income_gap/eligibility": {"get"},
    "/api/v1/collectives/{slug}/funds/{kind}/conversions": {"post"},
    "/api/v1/collectives/{slug}/funds/{kind}/solvency": {"get"},
    "/api/v1/collectives/{slug}/funds/{kind}/solvency/preview": {"post"},
    "/api/v1/collectives/{slug}/proposals/{proposal_id}/solvency": {"get"},
    # community blog
    "/api/v1/blog/posts": {"get", "post"},
    "/api/v1/blog/posts/{slug}": {"delete", "get", "put"},
    "/api/v1/blog/posts/{slug}/comments": {"get", "post"},
    "/api/v1/blog/tags": {"get"},
    "/api/v1/me/blog/posts": {"get"},
    "/api/v1/blog/moderation": {"get"},
    "/api/v1/blog/comments/{comment_id}/moderation": {"post"},
    "/api/v1/blog/comments/{comment_id}": {"put"},
}


def test_the_openapi_document_loads_and_lists_every_endpoint(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Mutualist API"
    assert document["info"]["version"] == "1"
    assert {path: set(ops) for path, ops in document["paths"].items()} == EXPECTED_PATHS


def test_the_openapi_document_describes_both_ways_to_authenticate(db):
    document = Client().get("/api/v1/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert schemes["PersonalTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_every_operation_documents_its_problem_responses(db):
    document = Client().get("/api/v1/openapi.json").json()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], (method, path)
            assert "401" in operation["responses"], (method, path)


def test_the_interactive_docs_page_loads(db):
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/nothing-here", "/api/v1/members/ana/extra", "/api/v1/me/"]
)
def test_an_unknown_path_under_the_api_is_a_404_problem(db, path):
    body = assert_problem(Client().get(path), 404, "not_found")
    assert body["type"] == "about:blank"
    assert body["instance"] == path


def test_an_unknown_path_refuses_unsafe_methods_with_a_problem_too(db):
    assert_problem(Client().post("/api/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(db):
    response = Client().delete("/api/v1/skills")

    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_operation_ids_are_short_and_unique(db):
    document = Client().get("/api/v1/openapi.json").json()

    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert "me_profile_update" in ids
    assert "invitation_accept" in ids


def test_problem_responses_are_documented_as_problem_json(db):
    document = Client().get("/api/v1/openapi.json").json()

    responses = document["paths"]["/api/v1/me/profile"]["put"]["responses"]
    assert set(responses["422"]["content"]) == {"application/problem+json"}
    assert set(responses["200"]["content"]) == {"application/json"}
