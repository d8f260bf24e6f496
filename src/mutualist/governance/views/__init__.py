"""The decisions pages: a collective's proposals, a proposal with its vote,
making a proposal, and proxies.

Thin views: a permission-scoped selector (404 for anyone who is not an
active member), a form, one service call, then a render or a redirect with a
message. A service's ``DomainError`` lands on the form field it names; a
vote refused by htmx comes back as the vote panel with the refusal in it.
"""

from __future__ import annotations

from mutualist.governance.views.decisions import decisions, proposal_new
from mutualist.governance.views.proposal import proposal, vote, withdraw
from mutualist.governance.views.proxies import proxies, proxy_revoke

__all__ = [
    "decisions",
    "proposal",
    "proposal_new",
    "proxies",
    "proxy_revoke",
    "vote",
    "withdraw",
]
