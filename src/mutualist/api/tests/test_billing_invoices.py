"""Invoices through the API: drafts, their lines, issuing, credit notes, the
PDF, and who may read what.

The world (``billing_support``): on 8 December 2026 collective A (Ana
coordinates, Ben is a member) invoices Harbour (AUD; Dana is its contact)
for Ana's 10 h at 25.00 and Ben's 3 h 20 at 30.00: 350.00, with 10 % tax
385.00. Carla is in collective B, Evan is Thames's contact, Olga is in no
collective. Refusals assert the exact code and that nothing changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.api.tests.billing_support import (
    NOON,
    TODAY,
    A,
    B,
    draft_of,
    issued_invoice,
    money,
    paid,
    post,
    send,
    state,
)
from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    patch_json,
)
from mutualist.billing.models import Invoice, InvoicedTime
from mutualist.billing.services import credit_note_issue
from mutualist.core.money import Money
from mutualist.testing import Billed


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def url(invoice: Invoice, tail: str = "") -> str:
    return f"/api/v1/invoices/{invoice.pk}{tail}"


def amounts(body: dict[str, Any], *names: str) -> list[str]:
    return [body[name]["amount"] for name in names]


# --- Making a draft ------------------------------------------------------------------------


def test_a_coordinator_drafts_an_invoice_from_an_engagements_approved_time(
    billed: Billed,
) -> None:
    # when Ana drafts an invoice of the engagement's time with 10 % tax
    response = post(
        bearer_client(billed.work.cast.ana),
        f"{A}/invoices",
        {"engagement": billed.work.engagement.pk, "tax_rate": "10", "tax_label": "GST"},
    )

    # then it bills each member's hours at their rate, and claims that time
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["number"], body["currency"]) == ("draft", None, "AUD")
    assert amounts(body, "subtotal", "tax", "total") == ["350.00", "35.00", "385.00"]
    assert (body["tax_rate"], body["tax_label"]) == ("10", "GST")
    assert [
        (line["kind"], line["minutes"], line["unit_price"]["amount"], line["amount"]["amount"])
        for line in body["lines"]
    ] == [("time", 200, "30.00", "100.00"), ("time", 600, "25.00", "250.00")]
    assert [line["member"]["display_name"] for line in body["lines"]] == [
        "Ben Okafor",
        "Ana Reyes",
    ]
    assert (body["period_start"], body["period_end"]) == ("2026-11-30", "2026-12-01")
    assert body["parties"] is None and body["split"] is None
    assert InvoicedTime.objects.filter(invoice_id=body["id"]).count() == 3


def test_a_draft_for_a_client_takes_fixed_items_for_a_member_or_the_team(billed: Billed) -> None:
    items = [
        {"description": "Help desk set-up", "quantity": "1", "unit_price": money("120.00"),
         "member": "ben-okafor"},
        {"description": "Monthly retainer", "quantity": 2, "unit_price": money("80.50")},
    ]  # fmt: skip

    response = post(
        bearer_client(billed.work.cast.ana),
        f"{A}/invoices",
        {"client": billed.work.harbour.pk, "items": items, "notes": "Thank you!"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["engagement"] is None and body["client"]["name"] == "Harbour Bridge Logistics"
    assert [(line["quantity"], line["amount"]["amount"]) for line in body["lines"]] == [
        ("1", "120.00"),
        ("2", "161.00"),
    ]
    assert [line["member"] and line["member"]["handle"] for line in body["lines"]] == [
        "ben-okafor",
        None,
    ]
    assert amounts(body, "total") == ["281.00"] and body["notes"] == "Thank you!"


def test_a_draft_made_with_a_key_is_not_made_twice(billed: Billed) -> None:
    ana = bearer_client(billed.work.cast.ana)
    item = {"description": "Set-up", "quantity": "1", "unit_price": money("50.00")}
    body = {"client": billed.work.harbour.pk, "items": [item]}

    first = post(ana, f"{A}/invoices", body, key="draft-1")
    retry = post(ana, f"{A}/invoices", body, key="draft-1")
    without_key = post(ana, f"{A}/invoices", body)

    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert without_key.json()["id"] != first.json()["id"]
    assert Invoice.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"tax_rate": "ten"}, 422, "invalid_tax_rate", "tax_rate"),
        ({"tax_rate": "100.5"}, 422, "invalid_tax_rate", "tax_rate"),
        ({"tax_rate": "7.1234"}, 422, "invalid_tax_rate", "tax_rate"),
        ({"engagement": "b_engagement"}, 422, "unknown_engagement", "engagement"),
        ({"engagement": 999_999}, 422, "unknown_engagement", "engagement"),
        ({"client": "harbour"}, 422, "validation_failed", "client"),
        ({"engagement": None}, 422, "required", "engagement"),
        ({"until": "2026-11-29"}, 422, "nothing_to_invoice", "engagement"),
        ({"items": [{"description": "Set-up", "quantity": "0", "unit_price": money("5")}]},
         422, "invalid_quantity", "items.0.quantity"),
        ({"items": [{"description": "Set-up", "quantity": "1", "unit_price": money("5", "XYZ")}]},
         422, "invalid_currency", "items.0.unit_price.currency"),
        ({"items": [{"description": "Set-up", "quantity": "1", "unit_price": money("5", "USD")}]},
         422, "currency_mismatch", "items.0.unit_price"),
        ({"items": [{"description": "Set-up", "quantity": "1", "unit_price": money("-5")}]},
         422, "invalid_amount", "items.0.unit_price"),
        ({"items": [{"description": "Set-up", "quantity": "1", "unit_price": money("5"),
                     "member": "carla-mwangi"}]}, 422, "not_a_member", "items.0.member"),
        ({"items": [{"description": " ", "quantity": "1", "unit_price": money("5")}]},
         422, "required", "items.0.description"),
        ({"items": [{"description": "x", "quantity": 1.5, "unit_price": money("5")}]},
         422, "validation_failed", None),
        ({"colour": "blue"}, 422, "validation_failed", "colour"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_draft_and_writes_nothing(
    billed: Billed, changes: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    work = billed.work
    for name, fixture in (("engagement", "b_engagement"), ("client", "harbour")):
        if changes.get(name) == fixture:
            changes = {**changes, name: getattr(work, fixture).pk}
    before = state()

    response = post(
        bearer_client(work.cast.ana),
        f"{A}/invoices",
        {"engagement": work.engagement.pk, **changes},
    )

    body = assert_problem(response, status, code)
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    assert state() == before


def test_time_already_on_a_draft_is_not_drafted_again(billed: Billed) -> None:
    draft_of(billed)
    before = state()

    response = post(
        bearer_client(billed.work.cast.ana),
        f"{A}/invoices",
        {"engagement": billed.work.engagement.pk},
    )

    assert_problem(response, 422, "nothing_to_invoice")
    assert state() == before


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("olga", 404), ("carla", 404)])
def test_only_coordinators_draft_invoices(billed: Billed, who: str, status: int) -> None:
    before = state()

    response = post(
        bearer_client(getattr(billed.work.cast, who)),
        f"{A}/invoices",
        {"engagement": billed.work.engagement.pk},
    )

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before


def test_a_client_contact_cannot_draft_the_collectives_invoices(billed: Billed) -> None:
    before = state()

    response = post(
        bearer_client(billed.work.dana), f"{A}/invoices", {"engagement": billed.work.engagement.pk}
    )

    assert_problem(response, 404, "not_found")
    assert state() == before


def test_anonymous_callers_must_log_in(billed: Billed) -> None:
    from django.test import Client

    assert_problem(Client().get(f"{A}/invoices"), 401, "not_authenticated")
    assert_problem(Client().get("/api/v1/me/invoices"), 401, "not_authenticated")


# --- Changing a draft ---------------------------------------------------------------------


def test_a_coordinator_changes_a_drafts_tax_and_notes(billed: Billed) -> None:
    draft = draft_of(billed)

    response = patch_json(
        bearer_client(billed.work.cast.ana), url(draft), {"tax_rate": "12.5", "notes": "Dec."}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert amounts(body, "subtotal", "tax", "total") == ["350.00", "43.75", "393.75"]
    assert (body["tax_rate"], body["notes"]) == ("12.5", "Dec.")


def test_lines_are_added_to_and_removed_from_a_draft(billed: Billed) -> None:
    draft = draft_of(billed)
    ana = bearer_client(billed.work.cast.ana)

    added = post(
        ana,
        url(draft, "/lines"),
        {"description": "Rush fee", "quantity": "1", "unit_price": money("50.00")},
    )
    [ben_line] = [line for line in added.json()["lines"] if line["role_title"] == "Books"]
    removed = send(ana, "DELETE", url(draft, f"/lines/{ben_line['id']}"))

    assert added.status_code == 201, added.content
    assert amounts(added.json(), "subtotal") == ["400.00"]
    assert removed.status_code == 200, removed.content
    assert amounts(removed.json(), "subtotal", "total") == ["300.00", "330.00"]
    # Ben's time goes back, to be invoiced again
    assert InvoicedTime.objects.filter(time_entry__in=billed.ben_entries).count() == 0


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"description": "Fee", "quantity": "1", "unit_price": money("1", "GBP")},
         "currency_mismatch", "unit_price"),
        ({"description": "Fee", "quantity": "-2", "unit_price": money("1")},
         "invalid_quantity", "quantity"),
        ({"description": "Fee", "quantity": "1", "unit_price": money("1"), "member": "olga"},
         "not_a_member", "member"),
    ],
)  # fmt: skip
def test_a_bad_line_is_refused_naming_its_field(
    billed: Billed, body: dict[str, Any], code: str, field: str
) -> None:
    draft = draft_of(billed)
    before = state()

    response = post(bearer_client(billed.work.cast.ana), url(draft, "/lines"), body)

    problem = assert_problem(response, 422, code)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_a_draft_keeps_one_line_and_a_line_of_another_invoice_is_unknown(billed: Billed) -> None:
    draft = draft_of(billed)
    ana = bearer_client(billed.work.cast.ana)
    first, second = draft.lines.order_by("position")
    send(ana, "DELETE", url(draft, f"/lines/{first.pk}"))
    before = state()

    last = send(ana, "DELETE", url(draft, f"/lines/{second.pk}"))
    unknown = send(ana, "DELETE", url(draft, "/lines/999999"))

    assert_problem(last, 422, "last_line")
    assert_problem(unknown, 422, "unknown_line")
    assert state() == before


def test_a_coordinator_deletes_a_draft_and_its_time_can_be_invoiced_again(billed: Billed) -> None:
    draft = draft_of(billed)

    response = send(bearer_client(billed.work.cast.ana), "DELETE", url(draft))

    assert response.status_code == 204
    assert not Invoice.objects.exists() and not InvoicedTime.objects.exists()


@pytest.mark.parametrize(
    ("method", "tail", "body"),
    [
        ("PATCH", "", {"notes": "Changed"}),
        ("PATCH", "", {"tax_rate": "0"}),
        ("DELETE", "", None),
        ("POST", "/lines", {"description": "Extra", "quantity": "1", "unit_price": money("9")}),
        ("DELETE", "/lines/{line}", None),
    ],
)
def test_an_issued_invoice_cannot_be_edited_or_deleted(
    billed: Billed, method: str, tail: str, body: Any
) -> None:
    # given an issued invoice
    invoice = issued_invoice(billed)
    tail = tail.format(line=invoice.lines.first().pk)  # type: ignore[union-attr]
    before = state()

    # when its coordinator tries to change it
    response = send(bearer_client(billed.work.cast.ana), method, url(invoice, tail), body)

    # then it is refused: only a credit note corrects it
    problem = assert_problem(response, 409, "invoice_issued")
    assert "credit note" in problem["detail"]
    assert state() == before


@pytest.mark.parametrize(
    ("method", "tail", "body"),
    [
        ("PATCH", "", {"notes": "Mine now"}),
        ("DELETE", "", None),
        ("POST", "/lines", {"description": "Extra", "quantity": "1", "unit_price": money("9")}),
        ("DELETE", "/lines/{line}", None),
    ],
)
@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("olga", 404), ("dana", 404)])
def test_only_coordinators_change_a_draft(
    billed: Billed, method: str, tail: str, body: Any, who: str, status: int
) -> None:
    draft = draft_of(billed)
    tail = tail.format(line=draft.lines.first().pk)  # type: ignore[union-attr]
    people = {"ben": billed.work.cast.ben, "olga": billed.work.cast.olga, "dana": billed.work.dana}
    before = state()

    response = send(bearer_client(people[who]), method, url(draft, tail), body)

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before


# --- Issuing -------------------------------------------------------------------------------


def test_issuing_numbers_the_invoice_snapshots_it_and_books_the_receivable(
    billed: Billed,
) -> None:
    draft = draft_of(billed)

    response = post(bearer_client(billed.work.cast.ana), url(draft, "/issue"), key="issue-1")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["number"]) == ("issued", "MANILA-2026-0001")
    assert (body["issue_date"], body["due_date"]) == ("2026-12-08", "2027-01-07")
    assert amounts(body, "outstanding") == ["385.00"]
    assert body["parties"]["buyer_tax_id"] == "ABN 51 824 753 556"
    assert body["transaction_id"] is not None
    # the split the payments will follow: 35.00 tax, 10 % of the net to the
    # treasury, the rest to Ana and Ben by what their lines bill
    assert [(r["label"], r["owed"]["amount"]) for r in body["split"]["recipients"]] == [
        ("Tax", "35.00"),
        ("Treasury", "35.00"),
        ("Ana Reyes", "225.00"),
        ("Ben Okafor", "90.00"),
    ]
    assert body["split"]["rule"] == {"treasury": "10"}


def test_issuing_again_with_a_new_key_is_refused(billed: Billed) -> None:
    invoice = issued_invoice(billed)
    before = state()

    response = post(bearer_client(billed.work.cast.ana), url(invoice, "/issue"), key="another")

    assert_problem(response, 409, "invoice_issued")
    assert state() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"issue_date": "2026-12-09"}, 422, "issue_date_in_future"),
        ({"issue_date": "1899-12-31"}, 422, "invalid_date"),
        ({"issue_date": "soon"}, 422, "validation_failed"),
    ],
)
def test_it_refuses_a_bad_issue_date(
    billed: Billed, body: dict[str, Any], status: int, code: str
) -> None:
    draft = draft_of(billed)
    before = state()

    response = post(bearer_client(billed.work.cast.ana), url(draft, "/issue"), body, key="k")

    assert_problem(response, status, code)
    assert state() == before


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("olga", 404), ("evan", 404)])
def test_only_coordinators_issue(billed: Billed, who: str, status: int) -> None:
    draft = draft_of(billed)
    person = billed.work.evan if who == "evan" else getattr(billed.work.cast, who)
    before = state()

    response = post(bearer_client(person), url(draft, "/issue"), key="k")

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before


# --- Credit notes ------------------------------------------------------------------------


def test_a_credit_note_for_all_that_is_unpaid_voids_the_invoice(billed: Billed) -> None:
    invoice = issued_invoice(billed)

    response = post(
        bearer_client(billed.work.cast.ana),
        url(invoice, "/credit-notes"),
        {"reason": "Billed to the wrong client"},
        key="credit-1",
    )

    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["kind"], note["number"]) == ("credit_note", "MANILA-CN-2026-0001")
    assert note["credits"] == {"id": invoice.pk, "number": "MANILA-2026-0001"}
    assert amounts(note, "subtotal", "tax", "total") == ["350.00", "35.00", "385.00"]
    assert note["notes"] == "Billed to the wrong client"
    credited = bearer_client(billed.work.cast.ana).get(url(invoice)).json()
    assert credited["status"] == "void"
    assert amounts(credited, "credited", "outstanding") == ["385.00", "0.00"]
    assert [n["number"] for n in credited["credit_notes"]] == ["MANILA-CN-2026-0001"]


def test_a_partial_credit_note_leaves_the_rest_owed(billed: Billed) -> None:
    invoice = issued_invoice(billed)

    response = post(
        bearer_client(billed.work.cast.ana),
        url(invoice, "/credit-notes"),
        {"reason": "Agreed discount", "amount": money("38.50")},
        key="credit-1",
    )

    assert response.status_code == 201, response.content
    invoice.refresh_from_db()
    assert (invoice.status, invoice.credited_minor, invoice.outstanding_minor) == (
        "issued",
        38_50,
        346_50,
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"reason": "Too much", "amount": money("385.01")}, 422, "credit_beyond_unpaid", "amount"),
        ({"reason": "Nothing", "amount": money("0")}, 422, "invalid_amount", "amount"),
        ({"reason": "Negative", "amount": money("-5")}, 422, "invalid_amount", "amount"),
        ({"reason": "Dollars", "amount": money("5", "USD")}, 422, "currency_mismatch", "amount"),
        ({"reason": "Made up", "amount": money("5", "ABC")}, 422, "invalid_currency",
         "amount.currency"),
        ({"reason": " "}, 422, "required", "reason"),
        ({"reason": "Early", "issue_date": "2026-12-07"}, 422, "date_before_issue", "issue_date"),
        ({"amount": money("5")}, 422, "validation_failed", "reason"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_credit_note_and_changes_nothing(
    billed: Billed, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    invoice = issued_invoice(billed)
    before = state()

    response = post(bearer_client(billed.work.cast.ana), url(invoice, "/credit-notes"), body,
                    key="k")  # fmt: skip

    problem = assert_problem(response, status, code)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_a_draft_or_a_settled_invoice_takes_no_credit_note(billed: Billed) -> None:
    draft = draft_of(billed)
    ana = bearer_client(billed.work.cast.ana)
    before = state()

    on_draft = post(ana, url(draft, "/credit-notes"), {"reason": "No"}, key="k1")

    assert_problem(on_draft, 409, "invoice_draft")
    assert state() == before
    from mutualist.billing.services import invoice_issue

    invoice = invoice_issue(invoice=draft, actor=billed.work.cast.ana)
    paid(billed, invoice, "385.00")
    before = state()
    on_paid = post(ana, url(invoice, "/credit-notes"), {"reason": "No"}, key="k2")
    assert_problem(on_paid, 409, "nothing_to_credit")
    assert state() == before


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("dana", 403), ("olga", 404)])
def test_only_coordinators_issue_credit_notes(billed: Billed, who: str, status: int) -> None:
    invoice = issued_invoice(billed)
    person = billed.work.dana if who == "dana" else getattr(billed.work.cast, who)
    before = state()

    response = post(bearer_client(person), url(invoice, "/credit-notes"), {"reason": "x"}, key="k")

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before


# --- Reading -------------------------------------------------------------------------------


def test_members_list_the_collectives_invoices_with_filters(
    billed: Billed, time_machine: Any
) -> None:
    # given an issued invoice, a credit note on it, and a draft
    cast = billed.work.cast
    invoice = issued_invoice(billed)
    credit_note_issue(
        invoice=invoice, actor=cast.ana, reason="Discount", idempotency_key="cn",
        amount=Money("10", "AUD"),
    )  # fmt: skip
    draft = post(
        bearer_client(cast.ana),
        f"{A}/invoices",
        {"client": billed.work.harbour.pk,
         "items": [{"description": "Set-up", "quantity": "1", "unit_price": money("5")}]},
    ).json()  # fmt: skip
    ben = bearer_client(cast.ben)

    def numbers(**query: Any) -> list[str | None]:
        response = ben.get(f"{A}/invoices", query)
        assert response.status_code == 200, response.content
        return [row["number"] for row in response.json()["items"]]

    # (where a draft, with no issue date yet, falls is the database's choice)
    assert sorted(numbers(), key=str) == ["MANILA-2026-0001", "MANILA-CN-2026-0001", None]
    assert numbers(status="draft") == [None]
    assert numbers(kind="credit_note") == ["MANILA-CN-2026-0001"]
    assert numbers(client=billed.work.thames.pk) == []
    assert numbers(overdue="true") == []
    # a month and more later, the invoice is past its due date
    time_machine.move_to(NOON + dt.timedelta(days=31), tick=False)
    assert numbers(overdue="true") == ["MANILA-2026-0001"]
    assert sorted(numbers(overdue="false"), key=str) == ["MANILA-CN-2026-0001", None]
    overdue = ben.get(f"{A}/invoices", {"overdue": "true"}).json()["items"][0]
    assert overdue["overdue"] is True and amounts(overdue, "outstanding") == ["375.00"]
    assert draft["id"] != invoice.pk
    assert_problem(ben.get(f"{A}/invoices", {"status": "late"}), 422, "validation_failed")


@pytest.mark.parametrize("who", ["olga", "carla", "dana"])
def test_outsiders_and_the_clients_contacts_do_not_see_the_collectives_list(
    billed: Billed, who: str
) -> None:
    issued_invoice(billed)
    person = billed.work.dana if who == "dana" else getattr(billed.work.cast, who)

    response = bearer_client(person).get(f"{A}/invoices")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "MANILA-2026", "Harbour")


def test_a_client_contact_lists_only_their_clients_issued_invoices(billed: Billed) -> None:
    # given A's issued invoice and a draft for Harbour, and B's invoice for Thames
    invoice = issued_invoice(billed)
    post(
        bearer_client(billed.work.cast.ana),
        f"{A}/invoices",
        {"client": billed.work.harbour.pk,
         "items": [{"description": "Set-up", "quantity": "1", "unit_price": money("5")}]},
    )  # fmt: skip

    dana = bearer_client(billed.work.dana).get("/api/v1/me/invoices").json()
    evan = bearer_client(billed.work.evan).get("/api/v1/me/invoices").json()
    ana = bearer_client(billed.work.cast.ana).get("/api/v1/me/invoices").json()

    assert [row["id"] for row in dana["items"]] == [invoice.pk]
    assert evan["items"] == [] and ana["items"] == []


def test_a_client_contact_reads_an_issued_invoice_without_the_split(billed: Billed) -> None:
    invoice = issued_invoice(billed)

    response = bearer_client(billed.work.dana).get(url(invoice))

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == "MANILA-2026-0001"
    assert body["split"] is None and body["transaction_id"] is None
    assert all(line["member"] is None and line["pay_rate"] is None for line in body["lines"])
    assert "24.00" not in response.content.decode()  # Ben's pay rate


def test_pay_rates_show_to_coordinators_and_to_each_member_on_their_own_lines(
    billed: Billed,
) -> None:
    invoice = issued_invoice(billed)

    def rates(person: Any) -> dict[str, str | None]:
        body = bearer_client(person).get(url(invoice)).json()
        return {
            line["role_title"]: line["pay_rate"] and line["pay_rate"]["amount"]
            for line in body["lines"]
        }

    assert rates(billed.work.cast.ana) == {"Support": "20.00", "Books": "24.00"}
    assert rates(billed.work.cast.ben) == {"Support": None, "Books": "24.00"}


@pytest.mark.parametrize("who", ["dana", "evan", "olga", "carla"])
def test_a_draft_is_hidden_from_everyone_outside_the_collective(billed: Billed, who: str) -> None:
    draft = draft_of(billed)
    person = getattr(billed.work, who, None) or getattr(billed.work.cast, who)

    for tail in ("", "/pdf", "/payments"):
        response = bearer_client(person).get(url(draft, tail))
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "Harbour", "350.00")


@pytest.mark.parametrize("who", ["evan", "olga", "carla"])
def test_an_issued_invoice_is_hidden_from_other_clients_and_outsiders(
    billed: Billed, who: str
) -> None:
    invoice = issued_invoice(billed)
    person = getattr(billed.work, who, None) or getattr(billed.work.cast, who)

    response = bearer_client(person).get(url(invoice))

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "MANILA-2026", "Harbour")


def test_an_unknown_invoice_is_a_404_like_a_hidden_one(billed: Billed) -> None:
    hidden = bearer_client(billed.work.cast.olga).get(url(draft_of(billed)))
    unknown = bearer_client(billed.work.cast.olga).get("/api/v1/invoices/999999")

    assert hidden.json()["detail"] == unknown.json()["detail"]


def test_the_pdf_is_the_invoice_for_members_and_the_clients_contact(billed: Billed) -> None:
    invoice = issued_invoice(billed)

    for person in (billed.work.cast.ben, billed.work.dana):
        response = bearer_client(person).get(url(invoice, "/pdf"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="MANILA-2026-0001.pdf"'
        assert response.content.startswith(b"%PDF")


def test_a_members_pdf_of_a_draft_is_marked_as_one(billed: Billed) -> None:
    draft = draft_of(billed)

    response = bearer_client(billed.work.cast.ben).get(url(draft, "/pdf"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="draft-invoice-{draft.pk}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_collective_bs_invoices_are_not_collective_as(billed: Billed) -> None:
    issued_invoice(billed)

    response = bearer_client(billed.work.cast.carla).get(f"{B}/invoices")

    assert response.status_code == 200 and response.json()["items"] == []
    assert TODAY.year == 2026
