"""The invoice PDF: who may download it, and what it says.

pypdf is not a dependency, so the text is checked in the HTML WeasyPrint
renders (``billing.pdf.invoice_pdf_html``); where poppler's ``pdftotext`` is
installed, the PDF's own text is checked too.

The cast and fixtures are test_views_invoices.py's (MANILA-2026-0001 to
Harbour: 350.00 AUD of work plus 10 % GST, issued on 8 December 2026).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from mutualist.billing.models import Invoice
from mutualist.billing.pdf import invoice_pdf, invoice_pdf_filename, invoice_pdf_html, minutes_text
from mutualist.billing.services import billing_settings_update, credit_note_issue, payment_record
from mutualist.billing.tests.test_views_invoices import (
    NOW,
    evans_invoice,
    make_draft,
    make_issued,
    url,
)
from mutualist.core.money import Money
from mutualist.testing import Billed

PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def issued(billed: Billed, frozen: None) -> Invoice:
    return make_issued(billed)


@pytest.fixture
def draft(billed: Billed, frozen: None) -> Invoice:
    return make_draft(billed)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, as poppler extracts it (layout kept)."""
    assert PDFTOTEXT is not None
    done = subprocess.run(  # noqa: S603 -- a fixed local tool reading bytes we made
        [PDFTOTEXT, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


@pytest.fixture
def terms(billed: Billed, frozen: None) -> None:
    """Collective A's payment instructions and late-payment terms."""
    billing_settings_update(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        payment_instructions="BPI account 1234-5678-90, Manila Virtual Assistants",
        late_payment_terms="2% a month on amounts overdue.",
    )


def test_minutes_read_as_hours_and_minutes() -> None:
    assert [minutes_text(m) for m in (200, 600, 45, 60, 61, 0)] == [
        "3 h 20 min",
        "10 h",
        "45 min",
        "1 h",
        "1 h 1 min",
        "0 min",
    ]


def test_the_pdf_is_a_pdf_attachment_named_by_the_number(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    response = client_for(billed.work.cast.ben).get(url("invoice_pdf", pk=issued.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="MANILA-2026-0001.pdf"'
    assert response.content.startswith(b"%PDF")


def test_the_pdf_says_who_bills_whom_what_and_how_to_pay(
    billed: Billed, terms: None, client_for: Any
) -> None:
    # given: an issued invoice with notes, a first payment of 100.00 AUD
    invoice = make_issued(billed, notes="Thank you for your business.")
    payment_record(
        invoice=invoice, actor=invoice.created_by, amount=Money("100", "AUD"),
        received_on=NOW.date(), method="bank_transfer", idempotency_key="first",
    )  # fmt: skip
    invoice.refresh_from_db()

    # when
    html = invoice_pdf_html(invoice)

    # then: both parties, the number and dates, the lines, the totals, the terms
    for text in (
        "Manila Virtual Assistants",
        "Manila, PH",
        "Harbour Bridge Logistics",
        "1 Harbour St<br>Sydney NSW 2000<br>Australia",
        "Tax id: ABN 51 824 753 556",
        "No. MANILA-2026-0001",
        "8 December 2026",
        "7 January 2027",
        "30 Nov 2026 – 1 Dec 2026",
        "Support: Ana Reyes, 30 Nov 2026 to 01 Dec 2026",
        "Books: Ben Okafor, 30 Nov 2026",
        "3 h 20 min",
        "A$25.00",
        "A$350.00",
        "GST (10%)",
        "A$35.00",
        "A$385.00",
        "Amount paid",
        "A$100.00",
        "Amount due by 7 Jan 2027",
        "A$285.00",
        "BPI account 1234-5678-90, Manila Virtual Assistants",
        "2% a month on amounts overdue.",
        "Thank you for your business.",
        "Please quote MANILA-2026-0001 with your payment.",
    ):
        assert text in html, text
    assert "DRAFT" not in html


@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler's pdftotext is not installed")
def test_the_pdfs_own_text_has_the_number_the_parties_and_the_total(
    billed: Billed, issued: Invoice
) -> None:
    text = pdf_text(invoice_pdf(issued))

    for expected in (
        "MANILA-2026-0001",
        "Manila Virtual Assistants",
        "Harbour Bridge Logistics",
        "A$385.00",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_the_pdf_fetches_nothing(issued: Invoice) -> None:
    """Nothing in the document points outside it, and WeasyPrint is given a
    fetcher that allows ``data:`` URLs only."""
    html = invoice_pdf_html(issued)

    assert "src=" not in html and "href=" not in html and "url(" not in html


def test_the_pdf_renderer_refuses_to_fetch_over_the_network(
    issued: Invoice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a document that (somehow) points at another host
    import urllib.request

    from mutualist.billing import pdf

    opened: list[object] = []
    monkeypatch.setattr(
        urllib.request.OpenerDirector, "open", lambda self, *a, **k: opened.append(a)
    )
    monkeypatch.setattr(
        pdf,
        "invoice_pdf_html",
        lambda invoice: (
            '<p>Hi</p><img src="http://example.invalid/pixel.png">'
            '<link rel="stylesheet" href="https://example.invalid/x.css">'
        ),
    )

    # when
    rendered = pdf.invoice_pdf(issued)

    # then: a PDF all the same, and nothing was fetched
    assert rendered.startswith(b"%PDF")
    assert opened == []


def test_a_credit_note_is_titled_so_and_names_the_invoice_it_credits(
    issued: Invoice, client_for: Any
) -> None:
    note = credit_note_issue(
        invoice=issued,
        actor=issued.created_by,
        reason="Two hours billed twice",
        amount=Money("55", "AUD"),
        idempotency_key="cn",
    )

    html = invoice_pdf_html(note)
    response = client_for(issued.created_by).get(url("invoice_pdf", pk=note.pk))

    assert "Credit note" in html and "No. MANILA-CN-2026-0001" in html
    assert "credits invoice <strong>MANILA-2026-0001</strong> of 8 December 2026" in html
    assert "Two hours billed twice" in html and "Total credited" in html and "A$55.00" in html
    assert "Amount due" not in html and "How to pay" not in html
    assert response["Content-Disposition"] == 'attachment; filename="MANILA-CN-2026-0001.pdf"'


def test_members_may_download_a_draft_marked_draft(
    billed: Billed, draft: Invoice, client_for: Any
) -> None:
    response = client_for(billed.work.cast.ben).get(url("invoice_pdf", pk=draft.pk))

    html = invoice_pdf_html(draft)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="draft-invoice-{draft.pk}.pdf"'
    assert '<div class="draft-mark">DRAFT</div>' in html
    assert "Not issued: no number yet" in html
    # a draft names the parties as they stand today
    assert "Harbour Bridge Logistics" in html and "Manila Virtual Assistants" in html


def test_the_clients_contact_downloads_her_issued_invoice_only(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    issued = make_issued(billed)
    evans = evans_invoice(billed)
    dana = client_for(billed.work.dana)

    mine = dana.get(url("invoice_pdf", pk=issued.pk))

    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    assert dana.get(url("invoice_pdf", pk=evans.pk)).status_code == 404
    assert (
        client_for(billed.work.cast.olga).get(url("invoice_pdf", pk=issued.pk)).status_code == 404
    )


def test_a_number_with_slashes_makes_a_file_name_without_them(billed: Billed, frozen: None) -> None:
    billing_settings_update(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        number_pattern="{prefix}/{year}/{seq:04}",
    )
    invoice = make_issued(billed)

    assert invoice.number == "MANILA/2026/0001"
    assert invoice_pdf_filename(invoice) == "MANILA-2026-0001.pdf"
