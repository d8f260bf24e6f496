"""Template helpers for governance's pages and for the collective page's
links to them (collectives' templates use these, so collectives' Python
does not import governance: DESIGN.md's arrows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil

from mutualist.collectives.models import Bylaws, Collective, Membership
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.governance.models import CHOICE_LABELS, Proposal
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


@register.filter
def time_left(moment: dt.datetime) -> str:
    """ "in 2 days, 3 hours"; "in less than a minute" (never "in 0 minutes");
    "now" once the moment has passed."""
    left = moment - timezone.now()
    if left <= dt.timedelta(0):
        return "now"
    if left < dt.timedelta(minutes=1):
        return "in less than a minute"
    return f"in {timeuntil(moment)}"


@register.filter
def admission_by_vote(collective: Collective) -> bool:
    """Whether the members vote on applications to ``collective``."""
    return bool(bylaws_in_force(collective=collective).admission_rule == Bylaws.AdmissionRule.VOTE)


@register.simple_tag(takes_context=True)
def admission_vote_url(context: template.Context, application: Membership) -> str:
    """The open admission vote on ``application`` for an active member of its
    collective; the collective's decisions page when none is open; "" for
    anyone else."""
    user = context["request"].user
    collective = application.collective
    if not is_eligible(collective_id=collective.pk, user=user):
        return ""
    _, open_proposals = proposal_list_for_collective(user=user, slug=collective.slug, state="open")
    for proposal in open_proposals.filter(kind=Proposal.Kind.ADMISSION).order_by("pk"):
        if proposal.payload.get("membership_id") == application.pk:
            return reverse(
                "governance:proposal",
                kwargs={"slug": collective.slug, "proposal_id": proposal.pk},
            )
    return reverse("governance:decisions", kwargs={"slug": collective.slug})
