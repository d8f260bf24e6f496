"""The registry of proposal kinds and what a decision of each kind does.

``governance`` applies outcomes without knowing what they mean: each kind
brings a ``KindHandler`` that checks a proposal's payload when it is made and
acts on the outcome when it closes. This issue registers ``admission``,
``bylaws_change`` and ``general`` (``governance.handlers``); the funds app
registers ``claim_approval``, ``fund_rule_change`` and ``write_off`` from its
``AppConfig.ready()`` in the same way::

    from mutualist.governance.kinds import KindHandler, register

    register(KindHandler(kind="claim_approval", validate=..., on_passed=..., on_rejected=...))

A kind with no handler registered cannot be proposed (``kind_unavailable``).

The contract:

- ``validate(draft) -> dict`` runs when a proposal is made, before anything
  is written; ``draft`` carries the collective, the author, the closing time
  and the payload as given. It returns the payload to store (checked,
  normalised, JSON-ready) or raises ``ValidationFailed`` naming the field
  (``payload.<name>``, or the name alone for the web form).
- ``on_passed(proposal) -> str`` and ``on_rejected(proposal) -> str`` run
  inside the closing transaction, exactly once per proposal (the closing is
  claimed by a conditional update first). They return one line for the
  record. A ``DomainError`` they raise (the applicant's account was closed
  meanwhile) is recorded as the note and does not undo the closing; any other
  exception rolls the closing back, so the next tick tries again.
- ``describe(proposal) -> list[tuple[str, str]]`` gives label/value rows for
  the proposal's page and the API ("Treasury share": "12.00 %").
- ``check_open(proposal) -> None`` (optional) runs before a vote is taken and
  may refuse it (the application it is about was withdrawn).
- ``also_told(proposal) -> list[int]`` (optional) names the accounts beyond
  the members who hear the outcome (the applicant of an admission vote). It
  runs at closing before the outcome is applied, while what it reads is still
  there (a first-time applicant turned down leaves no membership row).
- ``may_vote(proposal, voter) -> None`` (optional) runs before a member's
  own vote is taken and may refuse that member (a claimant does not vote on
  their own claim).
- ``members_may_propose``: whether members make such proposals themselves
  (``admission`` proposals are also opened by applications).
- ``panel(proposal) -> (template, context) | None`` (optional) gives the
  proposal page a section of the kind's own, below the details: the name
  of a template (the kind's app's) and the context it is rendered with
  (``panel`` in it), or None for no section (a closed proposal, say). It
  runs on every view of the page, so it must be cheap: anything slow is
  better loaded by the template with htmx from the kind's app's own URL
  (the funds' rule changes do that for their solvency projection).
  Governance includes the template without knowing what it shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from mutualist.collectives.models import Collective
    from mutualist.governance.models import Proposal
    from mutualist.members.models import User


def _describe_nothing(proposal: Proposal) -> list[tuple[str, str]]:
    return []


def _record_only(proposal: Proposal) -> str:
    return ""


def _nobody_else(proposal: Proposal) -> list[int]:
    return []


@dataclass(frozen=True)
class ProposalDraft:
    """A proposal about to be made, as its kind's ``validate`` sees it."""

    collective: Collective
    author: User
    closes_at: dt.datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class KindHandler:
    kind: str
    validate: Callable[[ProposalDraft], dict[str, Any]]
    on_passed: Callable[[Proposal], str] = _record_only
    on_rejected: Callable[[Proposal], str] = _record_only
    describe: Callable[[Proposal], list[tuple[str, str]]] = _describe_nothing
    check_open: Callable[[Proposal], None] | None = None
    may_vote: Callable[[Proposal, User], None] | None = None
    members_may_propose: bool = True
    also_told: Callable[[Proposal], list[int]] = _nobody_else
    panel: Callable[[Proposal], tuple[str, dict[str, Any]] | None] | None = None


_registry: dict[str, KindHandler] = {}


def register(handler: KindHandler) -> KindHandler:
    """Register the handler for its kind. The same handler again is a no-op;
    a different handler for a kind already taken is a configuration error."""
    from mutualist.governance.models import Proposal

    if handler.kind not in Proposal.Kind.values:
        raise ImproperlyConfigured(
            f"{handler.kind!r} is not a proposal kind ({', '.join(Proposal.Kind.values)})."
        )
    existing = _registry.get(handler.kind)
    if existing is not None and existing != handler:
        raise ImproperlyConfigured(f"Proposal kind {handler.kind!r} already has a handler.")
    _registry[handler.kind] = handler
    return handler


def unregister(kind: str) -> None:
    """For tests that register a kind of their own."""
    _registry.pop(kind, None)


def handler_for(kind: str) -> KindHandler | None:
    return _registry.get(kind)


def available_kinds() -> list[str]:
    """The kinds that can be proposed now, in the order of ``Proposal.Kind``."""
    from mutualist.governance.models import Proposal

    return [kind for kind in Proposal.Kind.values if kind in _registry]
