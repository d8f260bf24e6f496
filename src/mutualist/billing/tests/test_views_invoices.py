"""The invoice pages on the web: a collective's list, a new draft, one
invoice and its draft's forms (tax and notes, a fixed item, removing a line,
issuing, deleting).

The cast (``mutualist.testing``): Ana coordinates collective A (manila-va),
Ben is a member of A, Carla coordinates B, Olga is in no collective. Dana
acts for Harbour (AUD), Evan for Thames (GBP). ``billed`` gives A's Harbour
engagement approved time: Ana 10 h at 25.00 AUD, Ben 3 h 20 min at 30.00;
B's Thames engagement has Carla's 5 h. Time is frozen on 8 December 2026,
after the entries (an invoice is not issued in the future).

Payments, credit notes and where the money went are in
test_views_invoices_payments.py; the PDF in test_pdf.py; the client portal
and the dashboard in test_portal_invoices.py.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mutualist.billing.models import Invoice, InvoicedTime, InvoiceLine, Payment
from mutualist.billing.services import FixedItem, invoice_draft_create, invoice_issue
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.testing import Billed

A = "manila-va"
B = "remote-crew"
NOW = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


# --- Helpers (the other invoice test modules import them) ----------------------------------


def text_of(response: Any) -> str:
    return str(response.content.decode())


def shows(response: Any, text: str) -> bool:
    """Whether the page shows ``text`` as the template escaped it."""
    return html.escape(text) in text_of(response)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"billing:{name}", kwargs=kwargs)


def key_in(response: Any) -> str:
    found = KEY.search(text_of(response))
    assert found is not None
    return found.group(1)


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def state() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "invoices": list(
            Invoice.objects.order_by("pk").values_list(
                "pk",
                "status",
                "number",
                "tax_rate",
                "notes",
                "total_minor",
                "paid_minor",
                "credited_minor",
            )
        ),  # fmt: skip
        "lines": list(InvoiceLine.objects.order_by("pk").values_list("pk", "amount_minor")),
        "billed": InvoicedTime.objects.count(),
        "payments": Payment.objects.count(),
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "balances": list(Account.objects.order_by("pk").values_list("name", "balance_minor")),
    }


def make_draft(billed: Billed, **kwargs: Any) -> Invoice:
    work = billed.work
    return invoice_draft_create(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        engagement=work.engagement,
        **{"tax_rate": "10", "tax_label": "GST", **kwargs},
    )


def make_issued(billed: Billed, **kwargs: Any) -> Invoice:
    return invoice_issue(invoice=make_draft(billed, **kwargs), actor=billed.work.cast.ana)


def first_line(invoice: Invoice) -> InvoiceLine:
    return invoice.lines.order_by("position")[0]


def evans_invoice(billed: Billed) -> Invoice:
    """Collective B's issued invoice to Thames (Evan's client)."""
    work = billed.work
    draft = invoice_draft_create(
        collective=work.cast.collective_b, actor=work.cast.carla, engagement=work.b_engagement
    )
    return invoice_issue(invoice=draft, actor=work.cast.carla)


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def draft(billed: Billed, frozen: None) -> Invoice:
    return make_draft(billed)


@pytest.fixture
def issued(billed: Billed, frozen: None) -> Invoice:
    return make_issued(billed)


# --- Who may see what --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client: Any, draft: Invoice) -> None:
    for link in (
        url("invoices", slug=A),
        url("invoice_new", slug=A),
        url("invoice", pk=draft.pk),
        url("invoice_pdf", pk=draft.pk),
    ):
        assert_login_redirect(client.get(link))
    for name in (
        "invoice_update",
        "invoice_line_add",
        "invoice_issue",
        "invoice_delete",
        "invoice_payment_record",
        "invoice_credit_note",
    ):
        assert_login_redirect(client.post(url(name, pk=draft.pk)))
    assert_login_redirect(
        client.post(url("invoice_line_remove", pk=draft.pk, line_id=first_line(draft).pk))
    )
    assert_login_redirect(client.post(url("invoice_new", slug=A)))


def test_an_outsider_finds_no_invoices_and_changes_nothing(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    # given: Olga is in no collective and acts for no client
    olga = client_for(billed.work.cast.olga)
    before = state()

    # when / then: every page and action is a 404
    for link in (
        url("invoices", slug=A),
        url("invoice_new", slug=A),
        url("invoice", pk=draft.pk),
        url("invoice_pdf", pk=draft.pk),
    ):
        assert olga.get(link).status_code == 404, link
    for link in (
        url("invoice_new", slug=A),
        url("invoice_update", pk=draft.pk),
        url("invoice_line_add", pk=draft.pk),
        url("invoice_line_remove", pk=draft.pk, line_id=first_line(draft).pk),
        url("invoice_issue", pk=draft.pk),
        url("invoice_delete", pk=draft.pk),
        url("invoice_payment_record", pk=draft.pk),
        url("invoice_credit_note", pk=draft.pk),
    ):
        assert olga.post(link, {"tax_rate": "5"}).status_code == 404, link
    assert state() == before


def test_a_member_of_another_collective_finds_nothing_of_this_one(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    carla = client_for(billed.work.cast.carla)

    assert carla.get(url("invoices", slug=A)).status_code == 404
    assert carla.get(url("invoice", pk=draft.pk)).status_code == 404


def test_a_client_contact_gets_404_for_a_draft_and_for_another_clients_invoice(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    # given: a draft for Dana's client, and B's issued invoice to Evan's client
    evans = evans_invoice(billed)
    dana = client_for(billed.work.dana)
    before = state()

    # when / then
    assert dana.get(url("invoice", pk=draft.pk)).status_code == 404
    assert dana.get(url("invoice_pdf", pk=draft.pk)).status_code == 404
    assert dana.post(url("invoice_issue", pk=draft.pk)).status_code == 404
    assert dana.get(url("invoice", pk=evans.pk)).status_code == 404
    assert dana.get(url("invoice_pdf", pk=evans.pk)).status_code == 404
    assert dana.get(url("invoices", slug=A)).status_code == 404
    assert state() == before


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_each_invoice_with_its_totals_and_overdue_status(
    billed: Billed, client_for: Any, time_machine: Any
) -> None:
    # given: an invoice issued on 8 December (due 30 days later) and a draft
    time_machine.move_to(NOW, tick=False)
    issued = make_issued(billed)
    draft = invoice_draft_create(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        client=billed.work.harbour,
        items=[FixedItem("Set-up", "1", Money("50", "AUD"))],
    )
    # when: Ben reads the list after the due date
    time_machine.move_to(dt.datetime(2027, 1, 20, 12, tzinfo=dt.UTC), tick=False)
    response = client_for(billed.work.cast.ben).get(url("invoices", slug=A))

    # then
    assert response.status_code == 200
    page = text_of(response)
    assert "MANILA-2026-0001" in page and f"Draft #{draft.pk}" in page
    assert "Harbour Bridge Logistics" in page
    assert "2026-12-08" in page and "2027-01-07" in page
    assert "A$385.00" in page and "A$50.00" in page
    assert ">Overdue<" in page and ">Draft<" in page
    # Ben is a member, not a coordinator: no "Invoice time"
    assert url("invoice_new", slug=A) not in page
    assert issued.pk and url("invoice", pk=issued.pk) in page


def test_a_coordinator_is_offered_to_invoice_time(draft: Invoice, client_for: Any) -> None:
    response = client_for(draft.created_by).get(url("invoices", slug=A))

    assert f'<a href="{url("invoice_new", slug=A)}" role="button">Invoice time</a>' in text_of(
        response
    )


def test_the_list_filters_by_status_and_client(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    draft = invoice_draft_create(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        client=billed.work.harbour,
        items=[FixedItem("Set-up", "1", Money("50", "AUD"))],
    )
    ben = client_for(billed.work.cast.ben)

    drafts = text_of(ben.get(url("invoices", slug=A), {"status": "draft"}))
    issued_only = text_of(ben.get(url("invoices", slug=A), {"status": "issued"}))
    of_thames = text_of(ben.get(url("invoices", slug=A), {"client": billed.work.thames.pk}))

    assert f"Draft #{draft.pk}" in drafts and "MANILA-2026-0001" not in drafts
    assert "MANILA-2026-0001" in issued_only and f"Draft #{draft.pk}" not in issued_only
    # Thames is not A's client: the filter refuses it instead of listing nothing
    assert "Select a valid choice" in of_thames


def test_the_list_refuses_a_bad_filter_without_an_error_page(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    response = client_for(billed.work.cast.ben).get(
        url("invoices", slug=A), {"status": "lost", "page": "x"}
    )

    assert response.status_code == 200
    assert "Fix the filters to see invoices" in text_of(response)


def test_the_list_pages_through_many_invoices(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    for n in range(27):
        invoice_draft_create(
            collective=billed.work.cast.collective_a,
            actor=billed.work.cast.ana,
            client=billed.work.harbour,
            items=[FixedItem(f"Item {n}", "1", Money("1", "AUD"))],
        )
    ben = client_for(billed.work.cast.ben)

    first = text_of(ben.get(url("invoices", slug=A)))
    second = text_of(ben.get(url("invoices", slug=A), {"page": "2"}))

    assert "Page 1 of 2" in first and first.count("Draft #") == 25
    assert "Page 2 of 2" in second and second.count("Draft #") == 2


def test_htmx_filters_get_only_the_results(billed: Billed, issued: Invoice, client_for: Any):
    response = client_for(billed.work.cast.ben).get(
        url("invoices", slug=A), {"status": "issued"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "<html" not in text_of(response)
    assert "MANILA-2026-0001" in text_of(response)


# --- A new draft -------------------------------------------------------------------------------


def test_the_new_invoice_page_shows_the_unbilled_time_per_member(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    response = client_for(billed.work.cast.ana).get(url("invoice_new", slug=A))

    assert response.status_code == 200
    page = text_of(response)
    assert "Customer support, Sydney business hours" in page
    assert "Ana Reyes" in page and "10 h" in page
    assert "Ben Okafor" in page and "3 h 20 min" in page
    # B's engagement is not A's
    assert "Tea shop inbox" not in page


def test_the_preview_follows_bill_time_up_to(billed: Billed, frozen: None, client_for: Any) -> None:
    # Ana's entries are on 30 Nov and 1 Dec (01:00 UTC, 12:00 in Sydney), Ben's on 30 Nov
    ana = client_for(billed.work.cast.ana)

    response = ana.get(
        url("invoice_new", slug=A), {"until": "2026-11-30"}, headers={"HX-Request": "true"}
    )

    page = text_of(response)
    assert "<html" not in page
    assert "5 h" in page and "10 h" not in page and "3 h 20 min" in page


def test_ben_may_not_invoice_time(billed: Billed, frozen: None, client_for: Any) -> None:
    ben = client_for(billed.work.cast.ben)
    before = state()

    assert ben.get(url("invoice_new", slug=A)).status_code == 403
    response = ben.post(url("invoice_new", slug=A), new_data(engagement=billed.work.engagement.pk))

    assert response.status_code == 403
    assert state() == before


def new_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "engagement": "",
        "client": "",
        "until": "",
        "tax_rate": "10",
        "tax_label": "GST",
        "notes": "Thank you!",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
    }
    for n in range(3):
        data.update(
            {
                f"items-{n}-description": "",
                f"items-{n}-quantity": "1",
                f"items-{n}-unit_price": "",
                f"items-{n}-member": "",
            }
        )
    data.update(overrides)
    return data


def test_a_coordinator_makes_a_draft_from_an_engagements_time_and_a_fixed_item(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    work = billed.work
    response = client_for(work.cast.ana).post(
        url("invoice_new", slug=A),
        new_data(
            engagement=work.engagement.pk,
            **{
                "items-1-description": "Onboarding",
                "items-1-quantity": "2",
                "items-1-unit_price": "40.50",
                "items-1-member": str(work.cast.ben.pk),
            },
        ),
    )

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("invoice", pk=invoice.pk)
    assert invoice.status == Invoice.Status.DRAFT and invoice.currency == "AUD"
    # 250.00 + 100.00 of time, 81.00 of onboarding; GST 10 %
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (
        43100,
        4310,
        47410,
    )
    fixed = invoice.lines.get(kind=InvoiceLine.Kind.FIXED)
    assert (fixed.description, fixed.member, fixed.amount_minor) == (
        "Onboarding",
        work.cast.ben,
        8100,
    )
    assert invoice.notes == "Thank you!" and invoice.tax_label == "GST"
    assert InvoicedTime.objects.filter(invoice=invoice).count() == 3


def test_a_draft_bills_time_up_to_the_day_given(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    client_for(billed.work.cast.ana).post(
        url("invoice_new", slug=A),
        new_data(engagement=billed.work.engagement.pk, until="2026-11-30", tax_rate=""),
    )

    invoice = Invoice.objects.get()
    # Ana's first 5 h (125.00) and Ben's 3 h 20 min (100.00)
    assert invoice.total_minor == 22500
    assert InvoicedTime.objects.filter(invoice=invoice).count() == 2


def test_a_coordinator_bills_a_client_alone_with_fixed_items(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    response = client_for(billed.work.cast.ana).post(
        url("invoice_new", slug=A),
        new_data(
            client=billed.work.harbour.pk,
            tax_rate="",
            **{"items-0-description": "Audit", "items-0-unit_price": "1,200"},
        ),
    )

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert invoice.engagement is None and invoice.total_minor == 120000
    assert InvoicedTime.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({}, "engagement", "Choose an engagement, or a client to bill fixed items."),
        ({"tax_rate": "101"}, "tax_rate", "A tax rate is a percentage from 0 to 100."),
        ({"tax_rate": "7.12345"}, "tax_rate", "A tax rate has at most three decimal places."),
        ({"until": "2026-11-01"}, "engagement", "There is no approved, unbilled time to invoice"),
        ({"until": "9999-12-31"}, "until", "is outside the books"),
        ({"notes": "x\x00y"}, "notes", "Null characters are not allowed."),
    ],
)
def test_a_refused_draft_shows_the_error_on_its_field_and_makes_nothing(
    billed: Billed,
    frozen: None,
    client_for: Any,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = new_data(**overrides)
    if overrides:
        data["engagement"] = billed.work.engagement.pk
    before = state()

    response = client_for(billed.work.cast.ana).post(url("invoice_new", slug=A), data)

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert state() == before


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"unit_price": "12.345"}, "unit_price", "AUD amounts have at most 2 decimal places"),
        ({"unit_price": "ten"}, "unit_price", "is not an amount"),
        ({"unit_price": ""}, "unit_price", "Enter an amount."),
        ({"description": ""}, "description", "Describe the item."),
        ({"quantity": "0"}, "quantity", "A quantity is above 0"),
        ({"quantity": "1.23456"}, "quantity", "at most four decimal places"),
        ({"member": "999999"}, "member", "Select a valid choice"),
    ],
)
def test_a_refused_fixed_item_shows_the_error_on_its_row_and_makes_nothing(
    billed: Billed,
    frozen: None,
    client_for: Any,
    item: dict[str, str],
    field: str,
    message: str,
) -> None:
    row = {"description": "Audit", "quantity": "1", "unit_price": "100", **item}
    data = new_data(
        client=billed.work.harbour.pk, **{f"items-2-{name}": value for name, value in row.items()}
    )
    before = state()

    response = client_for(billed.work.cast.ana).post(url("invoice_new", slug=A), data)

    assert response.status_code == 422
    errors = response.context["items"].forms[2].errors
    assert any(message in error for error in errors[field]), errors
    assert state() == before


def test_choosing_both_an_engagement_and_a_client_is_refused(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    before = state()
    response = client_for(billed.work.cast.ana).post(
        url("invoice_new", slug=A),
        new_data(engagement=billed.work.engagement.pk, client=billed.work.harbour.pk),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["client"] == [
        "Choose an engagement or a client, not both."
    ]
    assert state() == before


def test_another_collectives_engagement_or_client_is_not_offered(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    before = state()
    ana = client_for(billed.work.cast.ana)

    by_engagement = ana.post(
        url("invoice_new", slug=A), new_data(engagement=billed.work.b_engagement.pk)
    )
    by_client = ana.post(
        url("invoice_new", slug=A),
        new_data(
            client=billed.work.thames.pk,
            **{"items-0-description": "Audit", "items-0-unit_price": "5"},
        ),
    )

    assert by_engagement.status_code == 422 and by_client.status_code == 422
    assert "Select a valid choice" in by_engagement.context["form"].errors["engagement"][0]
    assert "Select a valid choice" in by_client.context["form"].errors["client"][0]
    assert state() == before


# --- One invoice -------------------------------------------------------------------------------


def test_a_member_reads_a_draft_with_its_lines_in_hours_and_minutes(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    response = client_for(billed.work.cast.ben).get(url("invoice", pk=draft.pk))

    assert response.status_code == 200
    page = text_of(response)
    assert "Draft invoice" in page
    assert "Support: Ana Reyes, 30 Nov 2026 to 01 Dec 2026" in page
    assert "10 h" in page and "10 h" in page
    assert "3 h 20 min" in page and "3.3333 h" in page
    assert "A$25.00" in page and "A$30.00" in page
    assert "A$350.00" in page and "GST (10%)" in page and "A$35.00" in page
    assert "A$385.00" in page
    assert "Harbour Bridge Logistics" in page and "ABN 51 824 753 556" in page
    # a member does not get the coordinator's forms
    for name in ("invoice_update", "invoice_line_add", "invoice_issue", "invoice_delete"):
        assert url(name, pk=draft.pk) not in page, name


def test_a_coordinator_gets_the_drafts_forms(draft: Invoice, client_for: Any) -> None:
    page = text_of(client_for(draft.created_by).get(url("invoice", pk=draft.pk)))

    for name in ("invoice_update", "invoice_line_add", "invoice_issue", "invoice_delete"):
        assert url(name, pk=draft.pk) in page, name
    line = first_line(draft)
    assert url("invoice_line_remove", pk=draft.pk, line_id=line.pk) in page


def test_a_coordinator_changes_the_tax_and_notes(draft: Invoice, client_for: Any) -> None:
    response = client_for(draft.created_by).post(
        url("invoice_update", pk=draft.pk),
        {"tax_rate": "7.5", "tax_label": "VAT", "notes": "Net 30"},
    )

    draft.refresh_from_db()
    assert response.status_code == 302 and messages_of(response) == ["Draft updated."]
    assert (draft.tax_label, draft.notes, draft.tax_minor, draft.total_minor) == (
        "VAT",
        "Net 30",
        2625,
        37625,
    )


def test_htmx_gets_the_changed_part_of_the_page_back(draft: Invoice, client_for: Any) -> None:
    response = client_for(draft.created_by).post(
        url("invoice_update", pk=draft.pk),
        {"tax_rate": "20", "tax_label": "VAT", "notes": ""},
        headers={"HX-Request": "true"},
    )

    page = text_of(response)
    assert response.status_code == 200
    assert '<div id="invoice-body">' in page
    assert "<html" not in page
    assert "VAT (20%)" in page and "A$70.00" in page and "A$420.00" in page


def test_a_refused_tax_shows_on_its_field_and_changes_nothing(
    draft: Invoice, client_for: Any
) -> None:
    before = state()
    ana = client_for(draft.created_by)

    page = ana.post(url("invoice_update", pk=draft.pk), {"tax_rate": "abc", "notes": ""})
    fragment = ana.post(
        url("invoice_update", pk=draft.pk),
        {"tax_rate": "-1", "notes": ""},
        headers={"HX-Request": "true"},
    )

    assert page.status_code == 422
    assert page.context["update_form"].errors["tax_rate"] == ["'abc' is not a percentage."]
    assert fragment.status_code == 200
    assert "A tax rate is a percentage from 0 to 100." in text_of(fragment)
    assert state() == before


def test_ben_may_not_change_a_draft(billed: Billed, draft: Invoice, client_for: Any) -> None:
    ben = client_for(billed.work.cast.ben)
    before = state()
    line = first_line(draft)

    answers = [
        ben.post(url("invoice_update", pk=draft.pk), {"tax_rate": "5", "notes": ""}),
        # bad input too: it never reaches the service, and is refused all the same
        ben.post(url("invoice_update", pk=draft.pk), {"tax_rate": "x" * 20}),
        ben.post(url("invoice_line_add", pk=draft.pk), {"line-quantity": "1"}),
        ben.post(
            url("invoice_line_add", pk=draft.pk),
            {"line-description": "Extra", "line-quantity": "1", "line-unit_price": "5"},
            headers={"HX-Request": "true"},
        ),
        ben.post(
            url("invoice_line_add", pk=draft.pk),
            {"line-description": "Extra", "line-quantity": "1", "line-unit_price": "5"},
        ),
        ben.post(url("invoice_line_remove", pk=draft.pk, line_id=line.pk)),
        ben.post(url("invoice_issue", pk=draft.pk)),
        ben.post(url("invoice_delete", pk=draft.pk)),
    ]

    assert [answer.status_code for answer in answers] == [403] * 8
    assert state() == before


def test_a_coordinator_adds_a_fixed_item_for_a_member(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    response = client_for(draft.created_by).post(
        url("invoice_line_add", pk=draft.pk),
        {
            "line-description": "Month-end close",
            "line-quantity": "1.5",
            "line-unit_price": "100",
            "line-member": str(billed.work.cast.ben.pk),
        },
    )

    draft.refresh_from_db()
    line = draft.lines.get(description="Month-end close")
    assert response.status_code == 302
    assert (line.amount_minor, line.member) == (15000, billed.work.cast.ben)
    assert draft.subtotal_minor == 50000 and draft.total_minor == 55000


def test_a_refused_fixed_item_shows_on_its_field(draft: Invoice, client_for: Any) -> None:
    before = state()

    response = client_for(draft.created_by).post(
        url("invoice_line_add", pk=draft.pk),
        {"line-description": "Extra", "line-quantity": "-2", "line-unit_price": "5"},
    )

    assert response.status_code == 422
    assert "A quantity is above 0" in response.context["line_form"].errors["quantity"][0]
    assert state() == before


def test_a_coordinator_removes_a_time_line_and_its_time_is_free_again(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    bens = draft.lines.get(member=billed.work.cast.ben)

    response = client_for(draft.created_by).post(
        url("invoice_line_remove", pk=draft.pk, line_id=bens.pk), headers={"HX-Request": "true"}
    )

    draft.refresh_from_db()
    assert response.status_code == 200 and "Line removed." in text_of(response)
    assert draft.subtotal_minor == 25000
    assert not InvoicedTime.objects.filter(time_entry__member=billed.work.cast.ben).exists()


def test_the_last_line_is_not_removed(billed: Billed, frozen: None, client_for: Any) -> None:
    single = invoice_draft_create(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        client=billed.work.harbour,
        items=[FixedItem("Audit", "1", Money("10", "AUD"))],
    )
    before = state()

    response = client_for(billed.work.cast.ana).post(
        url("invoice_line_remove", pk=single.pk, line_id=single.lines.get().pk)
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        "An invoice keeps at least one line; delete the draft instead."
    ]
    assert state() == before


def test_a_coordinator_issues_a_draft(billed: Billed, draft: Invoice, client_for: Any) -> None:
    response = client_for(draft.created_by).post(url("invoice_issue", pk=draft.pk))

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == Invoice.Status.ISSUED and draft.number == "MANILA-2026-0001"
    assert draft.issue_date == dt.date(2026, 12, 8) and draft.due_date == dt.date(2027, 1, 7)
    assert messages_of(response) == [
        "Issued MANILA-2026-0001, due on 07 January 2027. Its contacts see it in the client portal."
    ]


def test_an_issue_date_in_the_future_is_refused_on_its_field(
    draft: Invoice, client_for: Any
) -> None:
    before = state()

    response = client_for(draft.created_by).post(
        url("invoice_issue", pk=draft.pk), {"issue_date": "2026-12-09"}
    )

    assert response.status_code == 422
    assert response.context["issue_form"].errors["issue_date"] == [
        "An invoice is issued today or on a past day, not in the future."
    ]
    assert state() == before


def test_a_coordinator_deletes_a_draft_and_its_time_is_free_again(
    draft: Invoice, client_for: Any
) -> None:
    response = client_for(draft.created_by).post(url("invoice_delete", pk=draft.pk))

    assert response.status_code == 302 and response["Location"] == url("invoices", slug=A)
    assert not Invoice.objects.exists() and not InvoicedTime.objects.exists()


def test_an_issued_invoice_is_not_edited_deleted_or_issued_again(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)
    before = state()
    line = first_line(issued)

    update = ana.post(url("invoice_update", pk=issued.pk), {"tax_rate": "5", "notes": ""})
    remove = ana.post(url("invoice_line_remove", pk=issued.pk, line_id=line.pk))
    issue = ana.post(url("invoice_issue", pk=issued.pk))
    delete = ana.post(url("invoice_delete", pk=issued.pk))
    page = text_of(ana.get(url("invoice", pk=issued.pk)))

    # the forms are no longer on the page: each refusal is said above it
    assert [answer.status_code for answer in (update, remove, issue, delete)] == [302] * 4
    assert "MANILA-2026-0001 is issued and cannot be changed" in messages_of(update)[0]
    assert "MANILA-2026-0001 is issued and cannot be changed" in messages_of(issue)[0]
    assert state() == before
    # and the page offers none of it
    for name in ("invoice_update", "invoice_line_add", "invoice_issue", "invoice_delete"):
        assert url(name, pk=issued.pk) not in page, name


def test_the_issued_invoice_shows_its_snapshot_not_todays_names(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    type(billed.work.harbour).objects.filter(pk=billed.work.harbour.pk).update(name="Renamed Ltd")

    page = text_of(client_for(billed.work.cast.ben).get(url("invoice", pk=issued.pk)))

    assert "Harbour Bridge Logistics" in page and "Renamed Ltd" not in page
    assert "Invoice MANILA-2026-0001" in page
    assert "7 January 2027" in page
