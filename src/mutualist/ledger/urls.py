from __future__ import annotations

from django.urls import path

from mutualist.ledger import views

app_name = "ledger"

urlpatterns = [
    path("collectives/<slug:slug>/books/", views.books, name="books"),
    path("collectives/<slug:slug>/books/journal/", views.journal, name="journal"),
    path(
        "collectives/<slug:slug>/books/transactions/<int:transaction_id>/",
        views.transaction_detail,
        name="transaction",
    ),
    path(
        "collectives/<slug:slug>/books/transactions/<int:transaction_id>/reverse/",
        views.transaction_reverse,
        name="transaction_reverse",
    ),
    path("collectives/<slug:slug>/books/accounts/new/", views.account_open, name="account_open"),
    path(
        "collectives/<slug:slug>/books/accounts/<int:account_id>/",
        views.statement,
        name="account",
    ),
    path(
        "collectives/<slug:slug>/books/accounts/<int:account_id>/opening-balance/",
        views.opening_balance,
        name="opening_balance",
    ),
    path("collectives/<slug:slug>/books/rates/", views.rates, name="rates"),
    path("collectives/<slug:slug>/books/convert/", views.convert, name="convert"),
    path("me/accounts/", views.my_accounts, name="my_accounts"),
]
