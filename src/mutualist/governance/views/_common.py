"""What the decisions pages share: finding a proposal in the URL's
collective, and everything the proposal page and its vote panel show."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import bylaws_in_force, collective_get_for_member
from mutualist.governance.forms import ProxyForm, VoteForm, zone_of
from mutualist.governance.kinds import handler_for
from mutualist.governance.markdown import render_markdown
from mutualist.governance.models import CHOICE_LABELS, CHOICES, Proposal, Vote
from mutualist.governance.selectors import (
    ballots,
    delegation_in_force,
    delegation_list_for_user,
    eligible_members,
    live_tally,
    proposal_get_for_user,
    results_shown,
    vote_list,
    vote_of,
)
from mutualist.governance.tally import Tally, quorum_needed
from mutualist.members.models import User

TEMPLATES = "governance"


def proposal_in(*, user: User, slug: str, proposal_id: int) -> Proposal:
    """The proposal, for an active member of its collective, under the URL's
    collective (another collective's slug finds nothing)."""
    proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
    if proposal.collective.slug != slug:
        raise Http404("No such proposal.")
    return proposal


def fellow_members(collective: Collective) -> list[Membership]:
    """Who may vote (and be named a proxy), by name."""
    return list(
        eligible_members(collective.pk)
        .select_related("user__profile")
        .order_by("user__profile__display_name", "pk")
    )


@dataclass(frozen=True)
class CountRow:
    choice: str
    label: str
    count: int
    percent: int


def count_rows(proposal: Proposal, tally: Tally) -> list[CountRow]:
    """One row per choice the method offers, in ballot order, with its share
    of the ballots (for the bar)."""
    voted = tally.voted
    return [
        CountRow(
            choice,
            CHOICE_LABELS[choice],
            tally.counts.get(choice, 0),
            round(100 * tally.counts.get(choice, 0) / voted) if voted else 0,
        )
        for choice in CHOICES[Proposal.Method(proposal.method)]
    ]


def rules_in_words(proposal: Proposal, eligible: int) -> list[str]:
    """The proposal's rules as a member reads them: in the present tense while
    it is open, in the past tense once it is closed or withdrawn."""
    needed = quorum_needed(eligible=eligible, quorum_percent=proposal.quorum_percent)
    threshold = proposal.threshold_percent.normalize()
    quorum = proposal.quorum_percent.normalize()
    members = f"member{'s' if eligible != 1 else ''}"
    if proposal.is_open:
        rules = [
            f"Quorum: at least {needed} of {eligible} {members} vote ({quorum:f} %), "
            "themselves or through a proxy; an abstention counts.",
            f"Passes with at least {threshold:f} % of the votes for or against in favour, "
            "and always more than half of them: a tie fails.",
        ]
        if proposal.method == Proposal.Method.CONSENT:
            rules.append("One block stops the proposal, quorum or not. A block needs a reason.")
        if proposal.reasons_required:
            rules.append("Every voter gives a reason.")
        rules.append(
            {
                Proposal.Results.ALWAYS: "How members voted is shown all along.",
                Proposal.Results.AFTER_VOTE: "How members voted is shown to each member once "
                "they have voted.",
                Proposal.Results.AFTER_CLOSE: "How members voted is shown when voting closes.",
            }[Proposal.Results(proposal.results_visibility)]
        )
        return rules
    rules = [
        f"Quorum: at least {needed} of {eligible} {members} had to vote ({quorum:f} %), "
        "themselves or through a proxy; an abstention counted.",
        f"It needed at least {threshold:f} % of the votes for or against in favour, "
        "and always more than half of them: a tie failed.",
    ]
    if proposal.method == Proposal.Method.CONSENT:
        rules.append("One block would stop the proposal, quorum or not. A block needed a reason.")
    if proposal.reasons_required:
        rules.append("Every voter had to give a reason.")
    rules.append(
        {
            Proposal.Results.ALWAYS: "How members voted was shown all along.",
            Proposal.Results.AFTER_VOTE: "How members voted was shown to each member once they "
            "had voted.",
            Proposal.Results.AFTER_CLOSE: "How members voted was to be shown when voting closed.",
        }[Proposal.Results(proposal.results_visibility)]
    )
    return rules


def when(moment: dt.datetime, zone: ZoneInfo) -> str:
    """ "4 December 2026 at 09:05" in ``zone``: no leading zero on the day."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def day_of(day: dt.date) -> str:
    """ "1 January 2027": no leading zero on the day."""
    return f"{day.day} {day:%B %Y}"


def _percent(value: Decimal) -> str:
    """ "60", "66.66", "50.5": at most two decimals, rounded down (a share
    just short of the threshold never reads as reaching it)."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_DOWN).normalize():f}"


def names_joined(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def outcome_in_words(proposal: Proposal, tally: Tally | None, blockers: list[str]) -> str:
    """Why a closed proposal ended as it did, in one line: "60 % for; at least
    66.67 % needed", "3 of 7 voted; 4 needed", "blocked by Ana Reyes"."""
    if proposal.state != Proposal.State.CLOSED or tally is None:
        return ""
    if proposal.outcome == Proposal.Outcome.BLOCKED:
        return f"Blocked by {names_joined(blockers)}." if blockers else "Blocked."
    if proposal.outcome == Proposal.Outcome.NO_QUORUM:
        return f"{tally.voted} of {tally.eligible} voted; {tally.quorum_needed} needed."
    in_favour, against = tally.for_votes, tally.against_votes
    threshold = _percent(proposal.threshold_percent)
    if in_favour + against == 0:
        return "No one voted for or against: it needed votes in favour."
    share = _percent(Decimal(100 * in_favour) / Decimal(in_favour + against))
    if proposal.outcome == Proposal.Outcome.PASSED:
        return f"{share} % for; at least {threshold} % needed."
    if in_favour == against:
        return f"{in_favour} for, {against} against: a tie fails."
    return f"{share} % for; at least {threshold} % needed."


def blockers_of(proposals: list[Proposal]) -> dict[int, list[str]]:
    """The names of the members whose ballot blocked each closed, blocked
    proposal (closed: results are shown to every member)."""
    blocked = [
        p.pk
        for p in proposals
        if p.state == Proposal.State.CLOSED and p.outcome == Proposal.Outcome.BLOCKED
    ]
    found: dict[int, list[str]] = {pk: [] for pk in blocked}
    if blocked:
        rows = (
            Vote.objects.filter(proposal_id__in=blocked, choice="block")
            .select_related("member__profile")
            .order_by("cast_at", "pk")
        )
        for row in rows:
            found[row.proposal_id].append(row.member.display_name)
    return found


WITHDRAWN_BY = re.compile(r"^Withdrawn by (?P<name>.+) before the count\.$")


def withdrawn_in_words(proposal: Proposal, zone: ZoneInfo) -> tuple[str, str]:
    """ "Withdrawn on 7 December 2026 at 17:00 by Ana Reyes before the count",
    and the note to show beside it when it says more than that."""
    match = WITHDRAWN_BY.match(proposal.applied_note)
    by = f" by {match['name']}" if match else ""
    on = f" on {when(proposal.closed_at, zone)}" if proposal.closed_at else ""
    line = f"Withdrawn{on}{by} before the count"
    return line, "" if match else proposal.applied_note


def opened_by(proposal: Proposal) -> str:
    """ "opened by Lucas Ferreira's application" for an admission vote the
    application opened itself (its author is the applicant, who is not yet a
    member); "proposed by Ana Reyes" otherwise."""
    name = proposal.author.display_name
    if proposal.kind == Proposal.Kind.ADMISSION:
        applicant = (
            Membership.objects.filter(pk=proposal.payload.get("membership_id"))
            .values_list("user_id", flat=True)
            .first()
        )
        if applicant == proposal.author_id:
            return f"opened by {name}'s application"
    return f"proposed by {name}"


def _bylaws_comparison(proposal: Proposal) -> list[tuple[str, str, str]]:
    """For an open bylaws change: each rule as in force and as proposed."""
    handler = handler_for(proposal.kind)
    if handler is None:
        return []
    current = bylaws_in_force(collective=proposal.collective)
    in_force = Proposal(
        kind=proposal.kind,
        collective=proposal.collective,
        payload={
            "effective_from": current.effective_from.isoformat(),
            "shares": {s.recipient: str(s.percent) for s in current.split_shares.all()},
            "member_share_basis": current.member_share_basis,
            "admission_rule": current.admission_rule,
        },
    )
    before = dict(handler.describe(in_force))
    rows = []
    for label, value in handler.describe(proposal):
        if label == "Replaces":
            continue
        rows.append((label, before.get(label, "—"), value))
    return rows


def _day_counted(proposal: Proposal) -> dt.date:
    """The day whose period proxies the count will use: the closing day (a
    period covers the proposals that close within it)."""
    return timezone.localdate(proposal.closes_at)


def proposal_context(
    *,
    user: User,
    proposal: Proposal,
    vote_form: VoteForm | None = None,
    vote_error: str = "",
    notice: str = "",
    proxy_form: ProxyForm | None = None,
) -> dict[str, Any]:
    """Everything the proposal page and its vote panel show to ``user``."""
    collective, membership = collective_get_for_member(user=user, slug=proposal.collective.slug)
    members = fellow_members(collective)
    names = {m.user_id: m.user.display_name for m in members}
    eligible_ids = set(names)
    handler = handler_for(proposal.kind)
    now = timezone.now()
    voting_open = proposal.is_open and proposal.closes_at > now
    tally = live_tally(proposal=proposal)
    shown = results_shown(proposal=proposal, user=user)
    my_vote = vote_of(proposal=proposal, user=user)
    zone = zone_of(user)
    withdrawn_line, withdrawn_note = (
        withdrawn_in_words(proposal, zone)
        if proposal.state == Proposal.State.WITHDRAWN
        else ("", "")
    )
    reason_error = vote_form is not None and bool(vote_form.errors.get("reason"))
    context: dict[str, Any] = {
        "collective": collective,
        "proposal": proposal,
        "zone": zone.key,
        "opened_by": opened_by(proposal),
        "closes_when": when(proposal.closes_at, zone),
        "withdrawn_line": withdrawn_line,
        "withdrawn_note": withdrawn_note,
        "reason_error": reason_error,
        "reason_needed": proposal.reasons_required or proposal.method == Proposal.Method.CONSENT,
        "body_html": render_markdown(proposal.body),
        "details": handler.describe(proposal) if handler else [],
        "comparison": (
            _bylaws_comparison(proposal)
            if proposal.kind == Proposal.Kind.BYLAWS_CHANGE and proposal.is_open
            else []
        ),
        "rules": rules_in_words(proposal, tally.eligible),
        "voting_open": voting_open,
        "choices": [(c, CHOICE_LABELS[c]) for c in CHOICES[Proposal.Method(proposal.method)]],
        "my_vote": my_vote,
        "vote_form": vote_form or VoteForm(initial={"reason": my_vote.reason if my_vote else ""}),
        "vote_error": vote_error,
        "notice": notice,
        "results_shown": shown,
        "voted": tally.voted if proposal.state == Proposal.State.CLOSED else tally.direct,
        "eligible": tally.eligible,
        "can_withdraw": proposal.is_open
        and (proposal.author_id == user.pk or membership.is_coordinator),
    }
    # The kind's own section (``KindHandler.panel``), as its app renders it.
    panel = handler.panel(proposal) if handler is not None and handler.panel else None
    context["panel_template"], context["panel"] = panel if panel is not None else ("", {})
    if shown:
        context["tally"] = tally
        context["count_rows"] = count_rows(proposal, tally)
        context["outcome_words"] = outcome_in_words(
            proposal, tally, blockers_of([proposal]).get(proposal.pk, [])
        )
        context["ballots"] = list(vote_list(proposal=proposal, user=user))
        if proposal.is_open:
            # Who would be counted through a proxy if voting closed now.
            _, counted = ballots(proposal=proposal)
            context["proxied"] = [
                (names.get(b.member_id, "?"), names.get(b.proxy_id or 0, "?"), b.choice)
                for b in counted
                if b.proxy_id is not None
            ]
    if voting_open:
        day = _day_counted(proposal)
        mine = delegation_in_force(
            proposal=proposal, delegator_id=user.pk, eligible_ids=eligible_ids, day=day
        )
        context["my_proxy"] = mine
        context["my_proxy_name"] = names.get(mine.delegate_id, "") if mine else ""
        _, delegations = delegation_list_for_user(user=user, slug=collective.slug)
        for_whom = []
        for delegation in delegations:
            if delegation.revoked_at is not None or delegation.delegate_id != user.pk:
                continue
            if delegation.delegator_id not in eligible_ids:
                continue
            standing = delegation_in_force(
                proposal=proposal,
                delegator_id=delegation.delegator_id,
                eligible_ids=eligible_ids,
                day=day,
            )
            if standing is not None and standing.pk == delegation.pk:
                for_whom.append(names[delegation.delegator_id])
        context["counts_for"] = sorted(for_whom)
        context["proxy_form"] = proxy_form or ProxyForm(
            me=user,
            members=members,
            initial={"proposal": proposal.pk},
            auto_id="proxy_%s",
        )
    return context
