"""Make the demo's decisions (``mutualist.demo.governance_world``) through the
governance services.

As in ``mutualist.demo.work`` and ``mutualist.demo.billing``, the history is
made the way it would have happened: the loader travels back in time
(``time_machine``) to each moment, in the order the moments came, and calls
the services a member's clicks call: proposals are made, votes cast, proxies
given, and a proposal past its deadline is closed as ``mutualist tick``
would close it (``proposal_close``, a few minutes after the deadline), so
its handler applies the outcome then: a passed bylaws change creates the
next bylaws version with the effective date it proposed.

Loading is all or nothing and runs once: the decisions are there when
Manila's passed bylaws change is (``governance_is_loaded``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db.models import Max
from django.utils import timezone

from mutualist.billing.models import Invoice
from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.services import membership_apply
from mutualist.demo.governance_world import (
    APPLICATIONS,
    MANILA,
    PROPOSALS,
    SENTINEL_TITLE,
    DemoApplication,
    DemoProposal,
    DemoProxy,
    DemoVote,
)
from mutualist.governance.models import Proposal
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_create,
    vote_cast,
)
from mutualist.members.models import User

__all__ = ["GovernanceLoaded", "bylaws_anchor", "governance_is_loaded", "governance_load"]

MANILA_ZONE = ZoneInfo("Asia/Manila")
AT_HOUR = dt.time(10, 0)
# ``mutualist tick`` runs every few minutes: a proposal closes a little after its deadline.
TICK_DELAY = dt.timedelta(minutes=3)
# Without invoices to fit around, Manila's new bylaws took effect this many days ago.
ANCHOR_DAYS_AGO = 5


@dataclass
class GovernanceLoaded:
    """What one load did."""

    proposals: int = 0  # made, the admission votes opened by applications included
    closed: int = 0
    votes: int = 0  # cast by members themselves
    proxies: int = 0


def governance_is_loaded() -> bool:
    return Proposal.objects.filter(collective__slug=MANILA, title=SENTINEL_TITLE).exists()


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Services see ``moment`` as now (never later than the real now)."""
    if moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def bylaws_anchor(collective: Collective) -> dt.date:
    """The day Manila's new bylaws take effect: the day after the last invoice
    it issued, so that no issued invoice was split by a rule that was not in
    force on its issue date. Once the change is decided, the day it proposed:
    invoices issued since (the funds' levied one, or one a coordinator issued
    by hand) do not move it."""
    decided = (
        Proposal.objects.filter(
            collective=collective, title=SENTINEL_TITLE, outcome=Proposal.Outcome.PASSED
        )
        .order_by("pk")
        .first()
    )
    if decided is not None and "effective_from" in decided.payload:
        return dt.date.fromisoformat(decided.payload["effective_from"])
    last: dt.date | None = Invoice.objects.filter(
        collective=collective, issue_date__isnull=False
    ).aggregate(last=Max("issue_date"))["last"]
    if last is None:
        return timezone.localdate() - dt.timedelta(days=ANCHOR_DAYS_AGO)
    return last + dt.timedelta(days=1)


def governance_load(
    *, users: Mapping[str, User], collectives: Mapping[str, Collective]
) -> GovernanceLoaded:
    """Make the demo's decisions; call inside the demo's transaction, after
    its billing (``mutualist.demo.billing``), whose invoice dates place
    Manila's bylaws change. ``users`` maps demo logins to accounts."""
    return _History(users=users, collectives=collectives).run()


class _History:
    def __init__(self, *, users: Mapping[str, User], collectives: Mapping[str, Collective]) -> None:
        self.users = users
        self.collectives = collectives
        self.anchors = {
            "bylaws": bylaws_anchor(collectives[MANILA]),
            "today": timezone.localdate(),
        }
        self.proposals: dict[str, Proposal] = {}
        self.loaded = GovernanceLoaded()

    def opening(self, anchor: str, opens: int) -> dt.datetime:
        day = self.anchors[anchor] + dt.timedelta(days=opens)
        return dt.datetime.combine(day, AT_HOUR, tzinfo=MANILA_ZONE)

    def run(self) -> GovernanceLoaded:
        steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []

        def add(moment: dt.datetime, step: Callable[[], Any]) -> None:
            # In the order they happened; at the same moment, as listed.
            steps.append((moment, len(steps), step))

        for spec in PROPOSALS:
            opened = self.opening(spec.anchor, spec.opens)
            add(opened, partial(self.propose, spec, opened))
            for proxy in spec.proxies:
                add(opened + dt.timedelta(hours=proxy.hours), partial(self.proxy, spec, proxy))
            for vote in spec.votes:
                add(opened + dt.timedelta(hours=vote.hours), partial(self.vote, spec.key, vote))
            if spec.outcome:
                closes = opened + dt.timedelta(days=spec.days_open)
                add(closes + TICK_DELAY, partial(self.close, spec.key, closes + TICK_DELAY))
        for application in APPLICATIONS:
            opened = self.opening(application.anchor, application.opens)
            add(opened, partial(self.apply, application))
            for vote in application.votes:
                add(
                    opened + dt.timedelta(hours=vote.hours),
                    partial(self.vote, application.key, vote),
                )
        for moment, _, step in sorted(steps, key=lambda item: (item[0], item[1])):
            with _at(moment):
                step()
        return self.loaded

    def propose(self, spec: DemoProposal, opened: dt.datetime) -> None:
        payload = dict(spec.payload)
        if spec.effective is not None:
            effective = self.anchors[spec.anchor] + dt.timedelta(days=spec.effective)
            payload["effective_from"] = effective.isoformat()
        self.proposals[spec.key] = proposal_create(
            collective=self.collectives[spec.slug],
            author=self.users[spec.author],
            kind=spec.kind,
            title=spec.title,
            body=spec.body,
            payload=payload,
            method=spec.method,
            quorum_percent=spec.quorum,
            threshold_percent=spec.threshold,
            closes_at=opened + dt.timedelta(days=spec.days_open),
            results_visibility=spec.results,
            reasons_required=spec.reasons_required,
        )
        self.loaded.proposals += 1

    def proxy(self, spec: DemoProposal, proxy: DemoProxy) -> None:
        period = proxy.period_days is not None
        today = timezone.localdate()
        delegation_create(
            collective=self.collectives[spec.slug],
            delegator=self.users[proxy.delegator],
            delegate=self.users[proxy.delegate],
            proposal=None if period else self.proposals[spec.key],
            starts_on=today if period else None,
            ends_on=today + dt.timedelta(days=proxy.period_days or 0) if period else None,
        )
        self.loaded.proxies += 1

    def vote(self, key: str, vote: DemoVote) -> None:
        proposal = self.proposals.get(key)
        if proposal is None:  # an application someone made by hand before
            return
        vote_cast(
            proposal=proposal,
            voter=self.users[vote.login],
            choice=vote.choice,
            reason=vote.reason,
        )
        self.loaded.votes += 1

    def close(self, key: str, moment: dt.datetime) -> None:
        # What ``mutualist tick`` does at that moment, for this proposal only.
        if proposal_close(proposal_id=self.proposals[key].pk, now=moment):
            self.loaded.closed += 1

    def apply(self, application: DemoApplication) -> None:
        """The application opens its admission vote (the collective's
        bylaws say the members vote), through the receiver as on the site."""
        collective = self.collectives[application.slug]
        user = self.users[application.login]
        if Membership.objects.filter(collective=collective, user=user).exists():
            return  # someone exploring the demo applied (or joined) already
        membership = membership_apply(collective=collective, user=user, note=application.note)
        proposal = Proposal.objects.get(
            collective=membership.collective,
            kind=Proposal.Kind.ADMISSION,
            state=Proposal.State.OPEN,
            payload__membership_id=membership.pk,
        )
        self.proposals[application.key] = proposal
        self.loaded.proposals += 1
