from __future__ import annotations

from django.urls import path

from mutualist.mutual import views

app_name = "mutual"

FUNDS = "collectives/<slug:slug>/funds/"
CLAIMS = "collectives/<slug:slug>/claims/<int:claim_id>/"

urlpatterns = [
    path(FUNDS, views.funds, name="funds"),
    # Fixed paths before the kind's: "sick_pay" and "guarantee" are kinds too.
    path(f"{FUNDS}sick_pay/join/", views.sick_pay_join, name="sick_pay_join"),
    path(f"{FUNDS}sick_pay/change/", views.sick_pay_change, name="sick_pay_change"),
    path(
        f"{FUNDS}sick_pay/change/<int:change_id>/cancel/",
        views.sick_pay_change_cancel,
        name="sick_pay_change_cancel",
    ),
    path(f"{FUNDS}guarantee/agreements/", views.agreements, name="agreements"),
    path(
        f"{FUNDS}guarantee/agreements/<int:agreement_id>/remove/",
        views.agreement_remove,
        name="agreement_remove",
    ),
    path(
        f"{FUNDS}rule-changes/<int:proposal_id>/solvency/",
        views.proposal_solvency,
        name="proposal_solvency",
    ),
    path(f"{FUNDS}<str:kind>/", views.fund, name="fund"),
    path(f"{FUNDS}<str:kind>/setup/", views.fund_setup_view, name="fund_setup"),
    path(f"{FUNDS}<str:kind>/rules/", views.fund_rules, name="fund_rules"),
    path(f"{FUNDS}<str:kind>/rules/preview/", views.fund_rules_preview, name="fund_rules_preview"),
    path(f"{FUNDS}<str:kind>/solvency/", views.fund_solvency, name="fund_solvency"),
    path(f"{FUNDS}<str:kind>/convert/", views.fund_convert_view, name="fund_convert"),
    path(f"{FUNDS}<str:kind>/claim/", views.claim_new, name="claim_new"),
    path(CLAIMS, views.claim, name="claim"),
    path(f"{CLAIMS}decide/", views.claim_decide, name="claim_decide"),
    path(f"{CLAIMS}withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path(f"{CLAIMS}end/", views.claim_end, name="claim_end"),
    path(f"{CLAIMS}write-off/", views.claim_write_off, name="claim_write_off"),
]
