"""Team proposals: the pitch builder asks the matching engine for the
cheapest team for a draft, and writes it into the draft on request.

``pitch_team_propose`` reads the job's roles and the collective's active
members (``work.selectors.matching``), builds the engine instance
(``work.matching``), solves it and answers in pitch terms (a ``Proposal``);
it writes nothing. ``pitch_team_apply_proposal`` solves again with the same
inputs and replaces the draft's team with the answer through
``pitch_update``, keeping its message, terms and bill rates.

Decisions taken here (``docs/work/pitches.md`` says them for people):

- Coordinators of the pitching collective only (a member gets 403
  ``not_coordinator``, anyone else 404), on a draft only (``pitch_not_draft``).
- Hours no member can staff (no one with the skill is free then, or no one
  may take a flexible role) do not sink the proposal: the engine is asked
  again with those hours left open, and the proposal is the cheapest team
  for the rest, with the open hours listed. Other reasons a team cannot be
  made (the team-size limit, capacity) come back as the engine gave them.
- Applying writes the draft's own bill rates: a role the team works on must
  have one (``bill_rate_required``), since the pitch's pay rates are checked
  against it. It re-solves rather than trusting a team sent back, and refuses
  (``proposal_changed``) when the caller names the team it saw (its digest)
  and the engine now answers another, or when the draft's bill rates changed
  during the solve.
- The solve runs outside any database transaction (it may take the time
  limit, ``WORK_MATCH_TIME_LIMIT`` seconds) and the write is one short one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.engines.matching import INFEASIBLE, InstanceError, MatchResult, solve
from mutualist.members.models import User
from mutualist.work.coverage import HOUR, monday_of, slots_of, slots_to_intervals
from mutualist.work.matching import (
    PINNED,
    Built,
    Choices,
    OpenHours,
    Proposal,
    RoleFacts,
    engine_words,
    instance_build,
    open_roles,
    proposal_read,
)
from mutualist.work.models import Pitch
from mutualist.work.pitch_check import FLEXIBLE
from mutualist.work.selectors.matching import member_facts, role_facts
from mutualist.work.selectors.pitches import WEEK_RANGE, pitch_team
from mutualist.work.services.pitches import (
    active_members_of,
    coordinator_only,
    member_resolve,
    pitch_update,
    rate_parse,
)

# Seconds the engine may search when the settings name none.
DEFAULT_TIME_LIMIT = 5.0
TEAM_SIZE_MAX = 1000


def match_time_limit() -> float:
    """``settings.WORK_MATCH_TIME_LIMIT`` (seconds, above 0), default 5."""
    value = getattr(settings, "WORK_MATCH_TIME_LIMIT", DEFAULT_TIME_LIMIT)
    limit = float(value)
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(
            f"WORK_MATCH_TIME_LIMIT must be a number of seconds above 0, not {value!r}."
        )
    return limit


def _draft_only(pitch: Pitch, by: User) -> None:
    coordinator_only(by, pitch.collective_id, thing="pitch")
    if pitch.state != Pitch.State.DRAFT:
        raise Conflict(
            "Only a draft pitch gets a proposed team; this one was sent or decided.",
            code="pitch_not_draft",
        )


def _week(pitch: Pitch, week: dt.date | None) -> dt.date:
    if week is not None and not WEEK_RANGE[0] <= week <= WEEK_RANGE[1]:
        raise ValidationFailed(
            f"Pick a week from {WEEK_RANGE[0].year} to {WEEK_RANGE[1].year}.",
            code="invalid_date",
            field="week",
        )
    return monday_of(week or pitch.job.start_date)


def _team_size(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        size: int | None = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        size = int(value.strip())
    else:
        size = None
    if size is None or not 1 <= size <= TEAM_SIZE_MAX:
        raise ValidationFailed(
            f"A team size limit is a whole number from 1 to {TEAM_SIZE_MAX}, or none.",
            code="invalid_team_size",
            field="max_team_size",
        )
    return size


def _choices(
    *,
    pitch: Pitch,
    members: Sequence[User],
    max_team_size: object,
    pinned: Sequence[object],
    excluded: Sequence[object],
    rates: Mapping[str, object] | None,
) -> tuple[Choices, dict[int, str]]:
    """The coordinator's choices, validated against the active members;
    also where each pinned member was named (``pinned[1]``)."""
    size = _team_size(max_team_size)
    pinned_at: dict[int, str] = {}
    for index, value in enumerate(pinned):
        user = member_resolve(value, members, field=f"pinned[{index}]")
        pinned_at.setdefault(user.pk, f"pinned[{index}]")
    excluded_keys: set[int] = set()
    for index, value in enumerate(excluded):
        user = member_resolve(value, members, field=f"excluded[{index}]")
        if user.pk in pinned_at:
            raise ValidationFailed(
                f"{user.display_name} is both pinned and excluded; choose one.",
                code="pinned_and_excluded",
                field=f"excluded[{index}]",
            )
        excluded_keys.add(user.pk)
    given: dict[int, Money] = {}
    for key, value in (rates or {}).items():
        where = f"rates.{key}"
        user = member_resolve(key, members, field=where)
        given[user.pk] = rate_parse(value, pitch.currency, field=where)
    if size is not None and len(pinned_at) > size:
        raise ValidationFailed(
            f"{len(pinned_at)} members are pinned, more than the team size limit of {size}.",
            code="too_many_pinned",
            field="max_team_size",
        )
    choices = Choices(
        max_team_size=size,
        pinned=frozenset(pinned_at),
        excluded=frozenset(excluded_keys),
        rates=given,
    )
    return choices, pinned_at


def _solve(built: Built, time_limit: float) -> MatchResult:
    """The engine's answer; an instance it refuses (never expected: the
    adapter builds valid ones) is a 422, not a 500."""
    try:
        return solve(built.instance, time_limit=time_limit)
    except InstanceError as exc:
        raise ValidationFailed(
            f"The matching engine could not take this job and team ({exc}).",
            code="match_input_invalid",
        ) from exc


def pitch_team_propose(
    *,
    pitch: Pitch,
    by: User,
    week: dt.date | None = None,
    max_team_size: int | str | None = None,
    pinned: Sequence[int | str] = (),
    excluded: Sequence[int | str] = (),
    rates: Mapping[str, object] | None = None,
    time_limit: float | None = None,
) -> Proposal:
    """The cheapest team for ``pitch``'s job from its collective's active
    members, for the week of ``week`` (default: the job's start week).
    Writes nothing.

    ``pinned`` and ``excluded`` name members (user id or handle) who must be
    on the team or stay off it; ``rates`` gives pay rates per member (handle,
    or user id as a number: a string key is a handle, so the API, whose JSON
    keys are strings, takes handles; to a decimal string, in the pitch's
    currency), over their profile's; ``max_team_size`` limits the team. Refusals name the input:
    ``pinned[0]`` (``team_member_unknown``, ``pinned_not_eligible``),
    ``excluded[1]`` (``pinned_and_excluded``), ``rates.ana`` (the rate
    codes), ``max_team_size`` (``invalid_team_size``, ``too_many_pinned``),
    ``week`` (``invalid_date``). ``time_limit`` defaults to
    ``WORK_MATCH_TIME_LIMIT``.
    """
    _draft_only(pitch, by)
    monday = _week(pitch, week)
    members = active_members_of(pitch.collective_id)
    choices, pinned_at = _choices(
        pitch=pitch,
        members=members,
        max_team_size=max_team_size,
        pinned=pinned,
        excluded=excluded,
        rates=rates,
    )
    limit = match_time_limit() if time_limit is None else time_limit
    roles = role_facts(pitch=pitch)
    facts = member_facts(pitch=pitch, users=members, week=monday)

    def build(
        open_hours: Mapping[int, OpenHours] | None = None, open_rate: Decimal = Decimal(0)
    ) -> Built:
        return instance_build(
            roles=roles,
            members=facts,
            choices=choices,
            currency=pitch.currency,
            timezone=pitch.job.timezone,
            week=monday,
            open_hours=open_hours,
            open_rate=open_rate,
        )

    built = build()
    for candidate in built.candidates:
        if candidate.member.key in pinned_at and candidate.status != PINNED:
            raise ValidationFailed(
                f"{candidate.reason} They cannot be pinned.",
                code="pinned_not_eligible",
                field=pinned_at[candidate.member.key],
            )
    result = _solve(built, limit)
    if result.status != INFEASIBLE:
        return proposal_read(result, built)
    # Hours no one can staff: ask again with them left open (stand-ins).
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for span in result.uncovered:
        spans.setdefault(int(span.role), []).append((span.start, span.end))
    left_open: dict[int, OpenHours] = {key: tuple(found) for key, found in spans.items()}
    left_open.update(open_roles(roles, built.candidates))
    spent = result.seconds
    why = [engine_words(result.reason, roles)]
    if left_open:
        retry = build(left_open)
        # The time limit is for the whole proposal: the next search gets what
        # the first left (a little at least, as the first stopped short of it).
        again = _solve(retry, max(limit - spent, min(limit, 0.5)))
        if again.found:
            return proposal_read(again, retry)
        spent += again.seconds
        why.append(engine_words(again.reason, roles, stand_ins=len(left_open)))
    reason = " ".join(part for part in why if part) or None
    # Too few hours between the members, too small a team, one role each:
    # the team that leaves the fewest hours open, the cheapest such.
    most = _most_hours(build, roles, built, pitch.job.timezone, monday)
    if most is not None:
        best = _solve(most, max(limit - spent, min(limit, 0.5)))
        if best.found:
            return proposal_read(
                best,
                most,
                reason=(reason or "No team staffs every hour.")
                + " The team below staffs as many hours as any team can, the cheapest way;"
                " the rest are left open.",
            )
    return proposal_read(result, built, reason=reason)


def _most_hours(
    build: Callable[[Mapping[int, OpenHours] | None, Decimal], Built],
    roles: Sequence[RoleFacts],
    built: Built,
    timezone: str,
    monday: dt.date,
) -> Built | None:
    """The instance in which every hour may be left open to a stand-in whose
    hour costs more than the whole team could (so the engine leaves open as
    few as it can, and then pays the least); None when no one has a rate."""
    rates = [c.rate.amount for c in built.candidates if c.considered and c.rate is not None]
    if not rates:
        return None
    every: dict[int, OpenHours] = {}
    for role in roles:
        if role.kind == FLEXIBLE:
            every[role.key] = role.flexible_hours or 0
        else:
            every[role.key] = tuple(slots_to_intervals(slots_of(role.coverage, timezone, monday)))
    hours = sum(
        value if isinstance(value, int) else sum(int((e - s) / HOUR) for s, e in value)
        for value in every.values()
    )
    open_rate = max(rates) * hours + 1
    return build({key: value for key, value in every.items() if value}, open_rate)


def pitch_team_apply_proposal(
    *,
    pitch: Pitch,
    by: User,
    week: dt.date | None = None,
    max_team_size: int | str | None = None,
    pinned: Sequence[int | str] = (),
    excluded: Sequence[int | str] = (),
    rates: Mapping[str, object] | None = None,
    digest: str | None = None,
    time_limit: float | None = None,
) -> Proposal:
    """Solve as ``pitch_team_propose`` does and make the answer the draft's
    team (coordinators, drafts), keeping its message, terms and bill rates.

    Refused without a team (``no_team_found``: the engine found none, or
    only open hours), with a team on a role the draft has no bill rate for
    (``bill_rate_required``, field ``roles.<job role id>.bill_rate``), and
    with ``proposal_changed`` when ``digest`` (``Proposal.digest`` of the
    proposal shown) differs from the team found now or the draft's bill
    rates changed meanwhile. Call it outside a transaction: the solve must
    not hold the database's write lock; the write is atomic on its own.
    """
    proposal = pitch_team_propose(
        pitch=pitch,
        by=by,
        week=week,
        max_team_size=max_team_size,
        pinned=pinned,
        excluded=excluded,
        rates=rates,
        time_limit=time_limit,
    )
    if not proposal.found:
        raise Conflict(
            "The engine proposed no team"
            + (f": {proposal.reason}" if proposal.reason else ".")
            + " Change the choices and propose again.",
            code="no_team_found",
        )
    if digest is not None and digest.strip().lower() != proposal.digest:
        raise Conflict(
            "The proposed team changed since you saw it (someone's availability, rate or "
            "engagements, or the draft's rates); look at the new proposal first.",
            code="proposal_changed",
        )
    if proposal.unpriced:
        role = proposal.unpriced[0]
        raise ValidationFailed(
            f"Give {role.title} a bill rate in the draft before using a team for it: "
            "each pay rate is checked against it.",
            code="bill_rate_required",
            field=f"roles.{role.key}.bill_rate",
        )
    used = {role.role.key: role.role.bill_rate for role in proposal.roles}
    with transaction.atomic():
        # The draft as it is now, its row locked: rates the team was checked
        # against must still be the draft's.
        locked = Pitch.objects.select_for_update().select_related("job").get(pk=pitch.pk)
        rates_now = pitch_team(pitch=locked).rates
        if any(rates_now.get(key) != rate for key, rate in used.items()):
            raise Conflict(
                "The draft's bill rates changed while the team was worked out; propose again.",
                code="proposal_changed",
            )
        pitch_update(
            pitch=locked,
            by=by,
            message=locked.message,
            payment_terms_days=locked.payment_terms_days,
            payment_method=locked.payment_method,
            roles=[
                {"job_role": key, "bill_rate": str(rate.amount)} for key, rate in rates_now.items()
            ],
            team=proposal.team_input(),
        )
    pitch.refresh_from_db()
    return proposal
