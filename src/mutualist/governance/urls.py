from __future__ import annotations

from django.urls import path

from mutualist.governance import views

app_name = "governance"

urlpatterns = [
    path("collectives/<slug:slug>/decisions/", views.decisions, name="decisions"),
    path("collectives/<slug:slug>/decisions/new/", views.proposal_new, name="proposal_new"),
    path("collectives/<slug:slug>/decisions/<int:proposal_id>/", views.proposal, name="proposal"),
    path(
        "collectives/<slug:slug>/decisions/<int:proposal_id>/vote/",
        views.vote,
        name="vote",
    ),
    path(
        "collectives/<slug:slug>/decisions/<int:proposal_id>/withdraw/",
        views.withdraw,
        name="withdraw",
    ),
    path("collectives/<slug:slug>/proxies/", views.proxies, name="proxies"),
    path(
        "collectives/<slug:slug>/proxies/<int:delegation_id>/revoke/",
        views.proxy_revoke,
        name="proxy_revoke",
    ),
]
