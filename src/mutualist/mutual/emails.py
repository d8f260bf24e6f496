"""The emails a claim sends, after commit: it waits for peers, it was decided.

Sent from ``transaction.on_commit`` (a rolled-back claim mails no one), one
message per recipient; a failure to send is logged, never raised. What the
group is told follows the claimant's disclosure choice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from mutualist.collectives.models import Membership
from mutualist.members.models import User
from mutualist.mutual.models import Claim
from mutualist.mutual.services.funds import fund_name

logger = logging.getLogger(__name__)


def claim_url(claim: Claim) -> str:
    try:
        path = reverse("mutual:claim", kwargs={"slug": claim.collective.slug, "claim_id": claim.pk})
    except NoReverseMatch:  # the pages are not wired (a test settings module)
        return settings.SITE_URL
    return f"{settings.SITE_URL}{path}"


def _send(template: str, subject: str, claim: Claim, recipients: list[User]) -> int:
    sent = 0
    for user in recipients:
        context = {
            "claim": claim,
            "user": user,
            "fund_name": fund_name(claim.fund.kind),
            "url": claim_url(claim),
            "named": claim.disclosure != Claim.Disclosure.ANONYMOUS,
            "reason_shown": claim.disclosure == Claim.Disclosure.EVERYTHING,
        }
        body = render_to_string(f"mutual/email/{template}.txt", context)
        try:
            send_mail(" ".join(subject.split())[:200], body, None, [user.email])
        except Exception:  # a mail server down must not undo a claim
            logger.exception("could not send %s for claim %s", template, claim.pk)
        else:
            sent += 1
    return sent


def _claim(claim_id: int) -> Claim | None:
    return (
        Claim.objects.filter(pk=claim_id).select_related("fund", "collective", "claimant").first()
    )


def claim_submitted(claim_id: int) -> int:
    """Tell the other members that a claim waits for their approval."""
    claim = _claim(claim_id)
    if claim is None or claim.state != Claim.State.SUBMITTED:
        return 0
    others = [
        m.user
        for m in Membership.objects.filter(
            collective_id=claim.collective_id, state=Membership.State.ACTIVE, user__is_active=True
        )
        .exclude(user_id=claim.claimant_id)
        .select_related("user")
    ]
    subject = f"A claim on the {fund_name(claim.fund.kind)} waits for approval"
    return _send("submitted", subject, claim, others)


def claim_decided(claim_id: int) -> int:
    """Tell the claimant what became of their claim."""
    claim = _claim(claim_id)
    if claim is None:
        return 0
    subject = f"Your claim #{claim.pk}: {claim.get_state_display().lower()}"
    return _send("decided", subject, claim, [claim.claimant])
