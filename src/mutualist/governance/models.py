"""Proposals, votes and proxies: how a collective decides, on the record.

A proposal is open until its closing time (or until every active member has
voted); ``mutualist tick`` then closes it exactly once, records the outcome
with its tally and the ballots counted, and hands a passed (or refused)
proposal to the handler registered for its kind (``governance.kinds``).

Proxies are not votes: while a proposal is open a delegation only says whose
vote stands in for an absent member. At closing, the delegate's direct vote is
counted once for each member who delegated to them and did not vote
themselves, and written down as a ballot with ``proxy`` set. Delegation does
not chain: only a delegate's own direct vote is passed on.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from mutualist.collectives.models import Collective


class Proposal(models.Model):
    class Kind(models.TextChoices):
        ADMISSION = "admission", "Admission of an applicant"
        BYLAWS_CHANGE = "bylaws_change", "Bylaws change"
        FUND_RULE_CHANGE = "fund_rule_change", "Fund rule change"
        CLAIM_APPROVAL = "claim_approval", "Claim approval"
        WRITE_OFF = "write_off", "Write-off"
        GENERAL = "general", "General"

    class Method(models.TextChoices):
        YES_NO = "yes_no", "Yes or no"
        CONSENT = "consent", "Consent: agree, abstain, disagree or block"

    class Results(models.TextChoices):
        ALWAYS = "always", "Shown to members all along"
        AFTER_VOTE = "after_vote", "Hidden from each member until they have voted"
        AFTER_CLOSE = "after_close", "Hidden from everyone until the vote closes"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Outcome(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        BLOCKED = "blocked", "Blocked"
        NO_QUORUM = "no_quorum", "No quorum"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    # Markdown as written; rendered and sanitized on display (governance.markdown).
    body = models.TextField(blank=True)
    # What the kind's handler acts on (the new bylaws, the application...),
    # as checked and normalised by the handler when the proposal was made.
    payload = models.JSONField(default=dict, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.YES_NO)
    # Share of the active members (at closing) who must vote, 0-100.
    quorum_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("50"))
    # Share of the votes for or against that must be for, 50-100 (and always
    # more than half of them).
    threshold_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("50"))
    results_visibility = models.CharField(
        max_length=16, choices=Results.choices, default=Results.ALWAYS
    )
    reasons_required = models.BooleanField(default=False)
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # The counts at closing: eligible, voted, direct, by_proxy, quorum_needed,
    # and one count per choice.
    tally = models.JSONField(default=dict, blank=True)
    # What the handler did with the outcome, in one line ("Bylaws version 4
    # in force from 1 December 2026"), or why it could not.
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_note = models.TextField(blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "closes_at"], name="governance_proposal_due"),
            models.Index(fields=["collective", "state"], name="governance_proposal_coll"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "admission",
                        "bylaws_change",
                        "fund_rule_change",
                        "claim_approval",
                        "write_off",
                        "general",
                    ]
                ),
                name="governance_proposal_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=["yes_no", "consent"]),
                name="governance_proposal_method_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(results_visibility__in=["always", "after_vote", "after_close"]),
                name="governance_proposal_results_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_percent__gte=0, quorum_percent__lte=100),
                name="governance_proposal_quorum_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold_percent__gte=50, threshold_percent__lte=100),
                name="governance_proposal_threshold_50_100",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opened_at")),
                name="governance_proposal_closes_after_opening",
            ),
            # Open: no outcome. Closed: an outcome and a closing time.
            # Withdrawn: a closing time and no outcome.
            models.CheckConstraint(
                condition=(
                    models.Q(state="open", outcome="", closed_at__isnull=True)
                    | (
                        models.Q(state="closed", closed_at__isnull=False)
                        & models.Q(outcome__in=["passed", "failed", "blocked", "no_quorum"])
                    )
                    | models.Q(state="withdrawn", outcome="", closed_at__isnull=False)
                ),
                name="governance_proposal_state_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


# Choices by method, in the order a ballot shows them.
CHOICES = {
    Proposal.Method.YES_NO: ("yes", "no"),
    Proposal.Method.CONSENT: ("agree", "abstain", "disagree", "block"),
}
CHOICE_LABELS = {
    "yes": "Yes",
    "no": "No",
    "agree": "Agree",
    "abstain": "Abstain",
    "disagree": "Disagree",
    "block": "Block",
}


class Vote(models.Model):
    """One member's ballot on one proposal.

    While the proposal is open there are only direct votes, one per member
    (the constraint), changed in place. At closing, a ballot is added for each
    member whose proxy's vote was counted for them, with ``proxy`` naming the
    delegate.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cast_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposal", "cast_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="governance_vote_once"),
            models.CheckConstraint(
                condition=models.Q(
                    choice__in=["yes", "no", "agree", "abstain", "disagree", "block"]
                ),
                name="governance_vote_choice_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(proxy=models.F("member")),
                name="governance_vote_not_own_proxy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} on #{self.proposal_id}: {self.choice}"


class Delegation(models.Model):
    """A member lets another active member's vote stand for theirs.

    Either for one proposal, or for a period (``starts_on`` to ``ends_on``,
    both inclusive, ``ends_on`` open-ended when empty): the period covers the
    proposals that close within it. A delegation for the proposal beats one
    for the period. Revoked rows stay, for the record.
    """

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="delegations")
    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, null=True, blank=True, related_name="delegations"
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_because = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(delegator=models.F("delegate")),
                name="governance_delegation_not_self",
            ),
            # For one proposal, or for a period from a start date: not both.
            models.CheckConstraint(
                condition=(
                    models.Q(proposal__isnull=False, starts_on__isnull=True, ends_on__isnull=True)
                    | models.Q(proposal__isnull=True, starts_on__isnull=False)
                ),
                name="governance_delegation_proposal_or_period",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="governance_delegation_period_ordered",
            ),
            models.UniqueConstraint(
                fields=["delegator", "proposal"],
                condition=models.Q(proposal__isnull=False, revoked_at__isnull=True),
                name="governance_delegation_one_per_proposal",
            ),
            # One standing period delegation per member and collective: a new
            # one replaces the old.
            models.UniqueConstraint(
                fields=["collective", "delegator"],
                condition=models.Q(proposal__isnull=True, revoked_at__isnull=True),
                name="governance_delegation_one_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} -> {self.delegate}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
