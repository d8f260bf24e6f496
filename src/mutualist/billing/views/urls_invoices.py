"""The invoices pages' URL patterns (names in the ``billing`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from mutualist.billing.views import invoice_actions as actions
from mutualist.billing.views import invoice_new, invoices

urlpatterns: list[URLPattern] = [
    path("collectives/<slug:slug>/invoices/", invoices.invoice_list, name="invoices"),
    path("collectives/<slug:slug>/invoices/new/", invoice_new.invoice_new, name="invoice_new"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", invoices.invoice_pdf_view, name="invoice_pdf"),
    path("invoices/<int:pk>/draft/", actions.invoice_update, name="invoice_update"),
    path("invoices/<int:pk>/lines/", actions.invoice_line_add_view, name="invoice_line_add"),
    path(
        "invoices/<int:pk>/lines/<int:line_id>/remove/",
        actions.invoice_line_remove_view,
        name="invoice_line_remove",
    ),
    path("invoices/<int:pk>/issue/", actions.invoice_issue_view, name="invoice_issue"),
    path("invoices/<int:pk>/delete/", actions.invoice_delete_view, name="invoice_delete"),
    path(
        "invoices/<int:pk>/payments/",
        actions.invoice_payment_record,
        name="invoice_payment_record",
    ),
    path(
        "invoices/<int:pk>/credit-notes/",
        actions.invoice_credit_note,
        name="invoice_credit_note",
    ),
]
