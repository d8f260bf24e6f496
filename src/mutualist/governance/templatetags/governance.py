"""Template helpers for governance's pages and for the collective page's
links to them (collectives' templates use these, so collectives' Python
does not import governance: DESIGN.md's arrows)."""

from __future__ import annotations

from typing import Any

from django import template

from mutualist.collectives.models import Collective
from mutualist.governance.models import CHOICE_LABELS
from mutualist.governance.selectors import is_eligible, proposal_list_for_collective

register = template.Library()


@register.filter
def choice_label(choice: str) -> str:
    """ "yes" -> "Yes", "block" -> "Block"."""
    return CHOICE_LABELS.get(choice, choice)


@register.inclusion_tag("governance/includes/collective_links.html", takes_context=True)
def decisions_links(context: template.Context, collective: Collective) -> dict[str, Any]:
    """ "Decisions (N open) · Proxies" for an active member; nothing for anyone else."""
    user = context["request"].user
    if not is_eligible(collective_id=collective.pk, user=user):
        return {"show": False}
    _, open_proposals = proposal_list_for_collective(user=user, slug=collective.slug, state="open")
    return {"show": True, "collective": collective, "open_count": open_proposals.count()}
