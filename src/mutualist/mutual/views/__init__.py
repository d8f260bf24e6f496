"""The funds pages: a collective's funds, a fund's page, setting a fund up
and proposing its rules, claims of each kind, a claim's page with its
decision, taking part in the sick-pay fund, the guarantee's client
agreements, whether a fund will hold (its solvency projection, and what
proposed rules would do to it), converting a pooled fund's money between
currencies, and asking the members to write off an invoice the guarantee
paid for.

Thin views: a permission-scoped selector (404 for anyone who is not an
active member of the collective), a form, one service call in one durable
transaction, then a redirect with a message, or the page again with the
service's refusal on the field it names.
"""

from __future__ import annotations

from mutualist.mutual.views.agreements import agreement_remove, agreements
from mutualist.mutual.views.claims import claim, claim_decide, claim_end, claim_new, claim_withdraw
from mutualist.mutual.views.conversion import fund_convert_view
from mutualist.mutual.views.funds import fund, fund_rules, fund_setup_view, funds
from mutualist.mutual.views.sick_pay import sick_pay_change, sick_pay_change_cancel, sick_pay_join
from mutualist.mutual.views.solvency import fund_rules_preview, fund_solvency, proposal_solvency
from mutualist.mutual.views.write_off import claim_write_off

__all__ = [
    "agreement_remove",
    "agreements",
    "claim",
    "claim_decide",
    "claim_end",
    "claim_new",
    "claim_withdraw",
    "claim_write_off",
    "fund",
    "fund_convert_view",
    "fund_rules",
    "fund_rules_preview",
    "fund_setup_view",
    "fund_solvency",
    "funds",
    "proposal_solvency",
    "sick_pay_change",
    "sick_pay_change_cancel",
    "sick_pay_join",
]
