"""The pitch builder's adapter to the team matching engine.

Pure: no database. ``work.selectors.matching.match_facts`` reads the rows (a
pitch's job roles, the collective's active members with their skills, rate,
capacity, availability and shifts elsewhere) into ``RoleFacts`` and
``MemberFacts``; ``instance_build`` turns them, with the coordinator's
``Choices``, into an engine ``Instance`` for one week; ``proposal_read``
turns the engine's ``MatchResult`` back into pitch terms: team lines in
``work.services.pitches.pitch_team_parse``'s shape (weekly shifts in the
job's time zone), what each role gets, the price, the pay cost and the
margin. ``work.services.proposals`` calls the engine between the two.

The product's choices (``docs/work/pitches.md`` says them for people):

- Eligibility is decided here, per role, not by skill name: each role gets a
  skill of its own (``role-<job role id>``) and a member gets it when they
  have the role's skill and their pay rate is not above the role's bill rate
  (a pitch refuses ``pay_above_bill``) when the draft has one.
- A member's rate is their profile's when it is in the pitch's currency; the
  coordinator may give one (``Choices.rates``), the only way to consider a
  member with no rate or a rate in another currency: the work app converts
  no money (the exchange rates are the ledger's), so those are left out with
  a note rather than converted behind the coordinator's back.
- Capacity is the member's weekly capacity less the hours committed on their
  other live engagements (the live check's ``committed_hours``), never below 0.
- Free time is their availability (weeks either side, as the live check reads
  it) less their shifts on other engagements, passed to the engine as real
  intervals: it never proposes someone at an hour they already work. A member
  who has recorded no availability has no free hour: flexible roles only.
- One role per member, always: an engagement seat has one bill rate and one
  pay rate, and a pitch with someone on two roles cannot be sent.
"""

from __future__ import annotations

from mutualist.work.matching.answer import (
    Proposal,
    ProposalLine,
    ProposalRole,
    engine_words,
    proposal_read,
    slot_windows,
    window_item,
)
from mutualist.work.matching.facts import (
    CONSIDERED,
    EXCLUDED,
    NO_RATE,
    NO_SKILL,
    OPEN_PREFIX,
    PINNED,
    RATE_ABOVE_BILL,
    Built,
    Candidate,
    Choices,
    MemberFacts,
    OpenHours,
    RoleFacts,
    candidates_of,
    free_intervals,
    instance_build,
    open_roles,
    role_skill,
    subtract,
)

__all__ = [
    "CONSIDERED",
    "EXCLUDED",
    "NO_RATE",
    "NO_SKILL",
    "OPEN_PREFIX",
    "PINNED",
    "RATE_ABOVE_BILL",
    "Built",
    "Candidate",
    "Choices",
    "MemberFacts",
    "OpenHours",
    "Proposal",
    "ProposalLine",
    "ProposalRole",
    "RoleFacts",
    "candidates_of",
    "engine_words",
    "free_intervals",
    "instance_build",
    "open_roles",
    "proposal_read",
    "role_skill",
    "slot_windows",
    "subtract",
    "window_item",
]
