"""The ledger's panel on a member's dashboard: their own accounts, when they have any."""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.ledger.selectors import account_list_owned, balances
from mutualist.members.models import User
from mutualist.members.panels import Panel


def dashboard_accounts(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    rows = balances(accounts=account_list_owned(user=user).order_by("name"))
    if not rows:
        return None
    return Panel("ledger/panels/dashboard_accounts.html", {"rows": rows}, order=60)
