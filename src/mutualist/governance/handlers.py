"""The kinds this app handles itself: admission, bylaws change, general.

The funds app registers ``claim_approval``, ``fund_rule_change`` and
``write_off`` the same way (see ``governance.kinds``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mutualist.collectives.models import Bylaws, Membership
from mutualist.collectives.selectors import bylaws_history, bylaws_in_force
from mutualist.collectives.services import (
    bylaws_enact,
    bylaws_validate,
    membership_admit,
    membership_turn_down,
)
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.governance.kinds import KindHandler, ProposalDraft, register
from mutualist.governance.models import Proposal


def long_date(day: dt.date) -> str:
    """1 December 2026 (no leading zero)."""
    return f"{day.day} {day:%B %Y}"


# --- General: the decision is the record ------------------------------------------------


def _general_validate(draft: ProposalDraft) -> dict[str, Any]:
    if draft.payload:
        raise ValidationFailed(
            "A general proposal carries no payload; put everything in its text.",
            code="invalid_payload",
            field="payload",
        )
    return {}


GENERAL = KindHandler(kind=Proposal.Kind.GENERAL, validate=_general_validate)


# --- Admission ---------------------------------------------------------------------------


def _application(payload: dict[str, Any], collective_id: int) -> Membership:
    raw = payload.get("membership_id")
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
        raise ValidationFailed(
            "Choose the application to vote on.",
            code="membership_required",
            field="membership_id",
        )
    membership = (
        Membership.objects.filter(pk=raw, collective_id=collective_id)
        .select_related("user", "collective")
        .first()
    )
    if membership is None:
        raise ValidationFailed(
            "There is no such application in this collective.",
            code="membership_not_found",
            field="membership_id",
        )
    return membership


def _admission_validate(draft: ProposalDraft) -> dict[str, Any]:
    membership = _application(draft.payload, draft.collective.pk)
    if membership.state != Membership.State.APPLIED:
        raise Conflict(
            f"{membership.user.display_name} has no application waiting for a decision.",
            code="not_applied",
            field="membership_id",
        )
    open_vote = Proposal.objects.filter(
        collective=draft.collective,
        kind=Proposal.Kind.ADMISSION,
        state=Proposal.State.OPEN,
        payload__membership_id=membership.pk,
    )
    if open_vote.exists():
        raise Conflict(
            f"The members are already voting on {membership.user.display_name}'s application.",
            code="admission_vote_open",
            field="membership_id",
        )
    return {"membership_id": membership.pk, "applicant": membership.user.display_name}


def _admission_membership(proposal: Proposal) -> Membership | None:
    return (
        Membership.objects.filter(
            pk=proposal.payload.get("membership_id"), collective_id=proposal.collective_id
        )
        .select_related("user", "collective")
        .first()
    )


def _admission_check_open(proposal: Proposal) -> None:
    membership = _admission_membership(proposal)
    if membership is None or membership.state != Membership.State.APPLIED:
        raise Conflict("This application is no longer waiting for a decision.", code="not_applied")


def _admission_passed(proposal: Proposal) -> str:
    membership = _admission_membership(proposal)
    if membership is None:
        raise Conflict("The application was withdrawn or decided meanwhile.", code="not_applied")
    membership_admit(membership=membership)
    return f"{membership.user.display_name} is now a member."


def _admission_rejected(proposal: Proposal) -> str:
    membership = _admission_membership(proposal)
    if membership is None or membership.state != Membership.State.APPLIED:
        return "The application had already been decided."
    membership_turn_down(membership=membership)
    return f"{membership.user.display_name}'s application was turned down."


def _admission_describe(proposal: Proposal) -> list[tuple[str, str]]:
    membership = _admission_membership(proposal)
    name = proposal.payload.get("applicant", "")
    if membership is None:
        return [("Applicant", f"{name} (application no longer open)")]
    state = membership.get_state_display()
    return [("Applicant", membership.user.display_name), ("Application", state)]


def _admission_applicant(proposal: Proposal) -> list[int]:
    membership = _admission_membership(proposal)
    return [membership.user_id] if membership is not None else []


ADMISSION = KindHandler(
    kind=Proposal.Kind.ADMISSION,
    validate=_admission_validate,
    on_passed=_admission_passed,
    on_rejected=_admission_rejected,
    describe=_admission_describe,
    check_open=_admission_check_open,
    also_told=_admission_applicant,
)


# --- Bylaws change -----------------------------------------------------------------------

NOTES_MAX = 2_000
_BYLAWS_FIELDS = {"effective_from", "shares", "admission_rule", "member_share_basis", "notes"}


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed(
            f"The effective date must be a date (YYYY-MM-DD); got {raw!r}.",
            code="invalid_date",
            field="effective_from",
        ) from None


def _bylaws_validate(draft: ProposalDraft) -> dict[str, Any]:
    """The whole new version, filled in from the newest version where left out."""
    payload = draft.payload
    unknown = sorted(set(payload) - _BYLAWS_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown bylaws field {unknown[0]!r}; the fields are "
            f"{', '.join(sorted(_BYLAWS_FIELDS))}.",
            code="invalid_payload",
            field=unknown[0],
        )
    # A change amends the newest version, which may not be in force yet (a
    # change passed earlier, effective next month): left-out rules come from
    # it, and it is the version this one replaces.
    current = bylaws_history(collective=draft.collective).first() or bylaws_in_force(
        collective=draft.collective
    )
    if "effective_from" not in payload:
        raise ValidationFailed(
            "Say from which day the new bylaws take effect.",
            code="effective_from_required",
            field="effective_from",
        )
    effective_from = _date(payload["effective_from"])
    closing_day = timezone.localdate(draft.closes_at)
    if effective_from < closing_day:
        raise ValidationFailed(
            f"The new bylaws cannot take effect before the vote closes ({long_date(closing_day)}).",
            code="effective_before_close",
            field="effective_from",
        )
    shares_raw = payload.get("shares")
    if shares_raw is None:
        shares_raw = {share.recipient: share.percent for share in current.split_shares.all()}
    if not isinstance(shares_raw, dict):
        raise ValidationFailed(
            "The split shares are a mapping of recipient to percentage.",
            code="invalid_payload",
            field="shares",
        )
    rule = payload.get("admission_rule", current.admission_rule)
    basis = payload.get("member_share_basis", current.member_share_basis)
    notes = payload.get("notes", "")
    if not isinstance(notes, str):
        raise ValidationFailed("Notes are text.", code="invalid_payload", field="notes")
    if len(notes.strip()) > NOTES_MAX:
        raise ValidationFailed(
            f"The notes are {len(notes.strip())} characters; at most {NOTES_MAX}.",
            code="notes_too_long",
            field="notes",
        )
    shares = bylaws_validate(
        effective_from=effective_from,
        shares=shares_raw,
        admission_rule=str(rule),
        member_share_basis=str(basis),
    )
    proposed: dict[str, Any] = {
        "effective_from": effective_from.isoformat(),
        "shares": {recipient: str(percent) for recipient, percent in sorted(shares.items())},
        "admission_rule": str(rule),
        "member_share_basis": str(basis),
        "notes": notes.strip(),
    }
    if _same_as(current, proposed):
        raise ValidationFailed(
            "That is the bylaws as they stand already; change at least one rule.",
            code="bylaws_unchanged",
            field="shares",
        )
    proposed["replaces_version"] = current.version
    return proposed


def _same_as(current: Bylaws, proposed: dict[str, Any]) -> bool:
    shares = {s.recipient: s.percent for s in current.split_shares.all() if s.percent}
    wanted = {k: Decimal(v) for k, v in proposed["shares"].items() if Decimal(v)}
    return (
        shares == wanted
        and current.admission_rule == proposed["admission_rule"]
        and current.member_share_basis == proposed["member_share_basis"]
    )


def _bylaws_passed(proposal: Proposal) -> str:
    payload = proposal.payload
    # The proposal amends the version that was newest when it was made. If
    # another version was adopted since (a second change passed first),
    # enacting this one would quietly undo that decision: it is recorded as
    # not applied, and the members can propose it again on the new basis.
    latest = bylaws_history(collective=proposal.collective).first()
    replaces = payload.get("replaces_version")
    if latest is not None and replaces is not None and latest.version != replaces:
        raise Conflict(
            f"version {latest.version} of the bylaws was adopted after this proposal was made "
            f"(it amended version {replaces}); propose the change again on the bylaws now in force.",
            code="bylaws_changed_meanwhile",
        )
    today = timezone.localdate()
    proposed = dt.date.fromisoformat(payload["effective_from"])
    effective = max(proposed, today)
    bylaws = bylaws_enact(
        collective=proposal.collective,
        created_by=proposal.author,
        effective_from=effective,
        shares={k: Decimal(v) for k, v in payload["shares"].items()},
        admission_rule=payload["admission_rule"],
        member_share_basis=payload["member_share_basis"],
        notes=(payload.get("notes") or f"Adopted by proposal #{proposal.pk}: {proposal.title}"),
    )
    late = "" if effective == proposed else f" (the proposed {long_date(proposed)} had passed)"
    return f"Bylaws version {bylaws.version} is in force from {long_date(effective)}{late}."


_RULE_LABELS = dict(Bylaws.AdmissionRule.choices)
_BASIS_LABELS = dict(Bylaws.ShareBasis.choices)


def _bylaws_describe(proposal: Proposal) -> list[tuple[str, str]]:
    payload = proposal.payload
    rows = [("Takes effect on", long_date(dt.date.fromisoformat(payload["effective_from"])))]
    for recipient, percent in payload.get("shares", {}).items():
        rows.append((f"{recipient.replace('_', ' ').capitalize()} share", f"{percent} %"))
    total = sum((Decimal(v) for v in payload.get("shares", {}).values()), Decimal(0))
    rows.append(("Members who did the work", f"{Decimal(100) - total:.2f} %"))
    rows.append(("Members' part shared", _BASIS_LABELS.get(payload["member_share_basis"], "")))
    rows.append(("Admission", _RULE_LABELS.get(payload["admission_rule"], "")))
    if payload.get("replaces_version"):
        rows.append(("Replaces", f"version {payload['replaces_version']}"))
    return rows


BYLAWS_CHANGE = KindHandler(
    kind=Proposal.Kind.BYLAWS_CHANGE,
    validate=_bylaws_validate,
    on_passed=_bylaws_passed,
    describe=_bylaws_describe,
)


def register_builtin() -> None:
    for handler in (ADMISSION, BYLAWS_CHANGE, GENERAL):
        register(handler)
