"""Collective pages: the directory, a collective's page, editing, membership,
invitations and bylaws.

Thin views: a permission-scoped selector (404 for outsiders), a form, one
service call, then a render or a redirect with a message. A service's
``DomainError`` becomes an error on the form field it names; the domain's
``PermissionDenied`` (a member lacking the coordinator role) becomes a 403.
"""

from __future__ import annotations

from mutualist.collectives.views.collective import bylaws, create, detail, edit
from mutualist.collectives.views.directory import directory
from mutualist.collectives.views.invitations import invitation_respond, invitation_revoke, invite
from mutualist.collectives.views.membership import (
    application_decide,
    apply,
    leave,
    membership_role,
)

__all__ = [
    "application_decide",
    "apply",
    "bylaws",
    "create",
    "detail",
    "directory",
    "edit",
    "invitation_respond",
    "invitation_revoke",
    "invite",
    "leave",
    "membership_role",
]
