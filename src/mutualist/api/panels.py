"""The API's panel on a member's dashboard: a link to their tokens page.

Registered in ``ApiConfig.ready()`` through ``members.panels``, so members
knows nothing of the api app (DESIGN.md's arrows).
"""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.api.selectors import api_token_list_for_user
from mutualist.members.models import User
from mutualist.members.panels import Panel

# Below the profile and account cards (the dashboard puts order >= 50 there)
# and after the collectives' panel (50): the page is about the member's work
# first, and a script's access to it second.
ORDER = 90


def dashboard_api_access(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    return Panel(
        "api/panels/dashboard_api_access.html",
        {"active_tokens": api_token_list_for_user(user=user).count()},
        order=ORDER,
    )
