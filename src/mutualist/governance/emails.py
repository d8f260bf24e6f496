"""The emails a decision sends, after commit: opened, a reminder, the outcome.

Each is sent from ``transaction.on_commit`` (a rolled-back change mails no
one) and reads the proposal afresh. One message per recipient, so no member's
address is shown to another; a failure to send is logged, never raised into
the request or the tick that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from mutualist.governance.models import Proposal, Vote
from mutualist.governance.selectors import eligible_members
from mutualist.members.models import User

logger = logging.getLogger(__name__)


def proposal_url(proposal: Proposal) -> str:
    path = reverse(
        "governance:proposal", kwargs={"slug": proposal.collective.slug, "proposal_id": proposal.pk}
    )
    return f"{settings.SITE_URL}{path}"


def _send(template: str, subject: str, proposal: Proposal, recipients: list[User]) -> int:
    # A header is one line: whatever slipped into a title, collapse it.
    subject = " ".join(subject.split())[:200]
    sent = 0
    for user in recipients:
        context = {"proposal": proposal, "user": user, "url": proposal_url(proposal)}
        body = render_to_string(f"governance/email/{template}.txt", context)
        try:
            send_mail(subject, body, None, [user.email])
        except Exception:  # a mail server down must not undo a decision
            logger.exception("could not send %s for proposal %s", template, proposal.pk)
        else:
            sent += 1
    return sent


def _members(proposal: Proposal) -> list[User]:
    return [m.user for m in eligible_members(proposal.collective_id).select_related("user")]


def _load(proposal_id: int) -> Proposal | None:
    return Proposal.objects.select_related("collective", "author").filter(pk=proposal_id).first()


def send_opened(proposal_id: int) -> int:
    proposal = _load(proposal_id)
    if proposal is None or proposal.state != Proposal.State.OPEN:
        return 0
    recipients = [u for u in _members(proposal) if u.pk != proposal.author_id]
    subject = f"[{proposal.collective.name}] New proposal: {proposal.title}"
    return _send("opened", subject[:200], proposal, recipients)


def send_reminder(proposal_id: int) -> int:
    proposal = _load(proposal_id)
    if proposal is None or proposal.state != Proposal.State.OPEN:
        return 0
    voted = set(Vote.objects.filter(proposal=proposal).values_list("member_id", flat=True))
    recipients = [u for u in _members(proposal) if u.pk not in voted]
    subject = f"[{proposal.collective.name}] Voting closes in a day: {proposal.title}"
    return _send("reminder", subject[:200], proposal, recipients)


def send_outcome(proposal_id: int, also: Sequence[int] = ()) -> int:
    """Tell the members, and the accounts in ``also`` (an admission vote's
    applicant, whoever opened the vote), the outcome."""
    proposal = _load(proposal_id)
    if proposal is None or proposal.state != Proposal.State.CLOSED:
        return 0
    recipients = _members(proposal)
    known = {u.pk for u in recipients}
    recipients += list(User.objects.filter(pk__in=set(also) - known, is_active=True).order_by("pk"))
    subject = f"[{proposal.collective.name}] {proposal.get_outcome_display()}: {proposal.title}"
    return _send("outcome", subject[:200], proposal, recipients)
