"""Pitches: a collective's offer of a team for a job, from draft to decision.

Lifecycle: ``draft`` (coordinators edit the team, rates and terms) ->
``sent`` (the client's contacts see it) -> ``accepted`` or ``declined`` by a
client contact; a coordinator may ``withdraw`` a draft or a sent pitch.
Every change of state is a conditional ``UPDATE ... WHERE state = ...``
whose row count is checked, so two people deciding at once cannot both
win: a client accepting while a coordinator withdraws ends with exactly one
of them done and the other refused (``pitch_not_sent`` / ``pitch_closed``).

Accepting creates the engagement (``engagements.engagement_create_from_pitch``)
and version 1 of the written agreement (``agreements.agreement_create``),
which the accepting contact accepts for the client in the same act: the
pitch page shows them that agreement's terms before they accept. The
collective's coordinators accept it next; then the engagement is active.

Decisions taken here:

- A pay rate may not exceed the role's bill rate (``pay_above_bill``): the
  difference funds the collective's treasury and mutual funds, so paying a
  member more than the client pays would charge the loss to the others,
  which is for the members to decide together, not for one draft.
- A member may appear on two roles of a draft (the live check shows the
  combined load), but not of a sent pitch (``member_on_two_roles``): an
  engagement seat is one per person with one bill rate and one pay rate,
  and silently merging two roles' rates would misstate the agreement.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import to_minor_units
from mutualist.members.models import User
from mutualist.work.coverage import HourWindow, hour_windows_parse
from mutualist.work.models import (
    AgreementAcceptance,
    ClientContact,
    Engagement,
    Job,
    JobRole,
    Pitch,
    PitchMember,
    PitchRole,
    PitchShift,
)
from mutualist.work.selectors.access import (
    is_active_member,
    is_client_contact,
    is_coordinator,
    job_get_for_user,
)
from mutualist.work.selectors.pitches import DraftLine, DraftTeam, job_roles_of

MESSAGE_MAX = 5000
NOTE_MAX = 2000
PAYMENT_METHOD_MAX = 120
PAYMENT_TERMS_MAX = 365
# A collective has at most one of these per job (the database's partial unique index).
LIVE_STATES = (Pitch.State.DRAFT, Pitch.State.SENT, Pitch.State.ACCEPTED)
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


# --- Who may act --------------------------------------------------------------------


def coordinator_only(by: User, collective_id: int, *, thing: str) -> None:
    """Coordinators of the collective act; another active member is refused
    (403 ``not_coordinator``), anyone else does not know the thing (404)."""
    if is_coordinator(by, collective_id):
        return
    if is_active_member(by, collective_id):
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    raise NotFound(f"No such {thing}.")


def _client_only(by: User, pitch: Pitch) -> None:
    """A contact of the job's client decides on a sent pitch; the pitching
    collective's members may see it but not decide (403 ``not_the_client``)."""
    if pitch.sent_at is not None and is_client_contact(by, pitch.job.client_id):
        return
    if is_active_member(by, pitch.collective_id):
        raise PermissionDenied(
            "Only the client's contacts can accept or decline a pitch.", code="not_the_client"
        )
    raise NotFound("No such pitch.")


# --- Input helpers ------------------------------------------------------------------


# Control characters but newline and tab (and the surrogates no UTF-8 text
# holds): PostgreSQL refuses a NUL in text (a 500), SQLite would store it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def text_clean(value: object, *, field: str, max_length: int, required: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if _CONTROL.search(text.replace("\r\n", "\n")):
        raise ValidationFailed(
            "Use plain text: no control characters other than new lines and tabs.",
            code="invalid_characters",
            field=field,
        )
    if required and not text:
        raise ValidationFailed("This is required.", code="required", field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            f"Use at most {max_length} characters.", code="too_long", field=field
        )
    return text


def rate_parse(value: object, currency: str, *, field: str) -> Money:
    """An hourly rate in ``currency``: a plain decimal string ("25.00"), a
    ``Decimal`` or an int; never negative, never more decimals than the
    currency has."""
    if isinstance(value, Money):
        if value.currency != currency:
            raise ValidationFailed(
                f"Give the rate in {currency}.", code="currency_mismatch", field=field
            )
        amount = value.amount
    elif isinstance(value, Decimal) and value.is_finite():
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    else:
        raise ValidationFailed(
            f"{value!r} is not an hourly rate; write it like 25.00.",
            code="invalid_amount",
            field=field,
        )
    if amount < 0:
        raise ValidationFailed("A rate cannot be negative.", code="negative_rate", field=field)
    return Money.from_minor(to_minor_units(amount, currency, field=field), currency)


def _whole_number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def payment_terms_clean(value: object, *, field: str = "payment_terms_days") -> int:
    days = _whole_number(value)
    if days is None or not 0 <= days <= PAYMENT_TERMS_MAX:
        raise ValidationFailed(
            f"Payment terms are a number of days from 0 to {PAYMENT_TERMS_MAX} (net 30 is 30).",
            code="invalid_payment_terms",
            field=field,
        )
    return days


def active_members_of(collective_id: int) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(
            collective_id=collective_id, state=Membership.State.ACTIVE, user__is_active=True
        ).select_related("user__profile")
    ]


def team_members_active(collective_id: int, users: Sequence[User]) -> None:
    """Refuse (``team_member_left``) a team naming someone who is no longer
    an active member of the collective: a pitch drafted before they left
    must not be sent, nor become a seat."""
    active = {user.pk for user in active_members_of(collective_id)}
    gone = sorted({user.display_name for user in users if user.pk not in active})
    if gone:
        raise Conflict(
            f"{', '.join(gone)} {'is' if len(gone) == 1 else 'are'} no longer an active "
            "member of the collective; change the team.",
            code="team_member_left",
        )


def member_resolve(value: object, members: Sequence[User], *, field: str) -> User:
    """A user id (int) or a handle (str) naming one of ``members``."""
    for user in members:
        if (isinstance(value, int) and not isinstance(value, bool) and user.pk == value) or (
            isinstance(value, str) and value.strip() and user.profile.handle == value.strip()
        ):
            return user
    raise ValidationFailed(
        f"{value!r} is not an active member of the collective.",
        code="team_member_unknown",
        field=field,
    )


def _job_role(value: object, roles: Mapping[int, JobRole], *, field: str) -> JobRole:
    key = _whole_number(value)
    if key is None or key not in roles:
        raise ValidationFailed(
            f"{value!r} is not a role of this job.", code="pitch_role_unknown", field=field
        )
    return roles[key]


def _coverage_keys(windows: Sequence[HourWindow]) -> set[int]:
    return {(day % 7) * 24 + hour for window in windows for day, hour in window.local_hours()}


def shifts_outside(shifts: Sequence[HourWindow], coverage: Sequence[HourWindow]) -> list[str]:
    """Labels of the shifts with an hour outside ``coverage`` (wall clock)."""
    allowed = _coverage_keys(coverage)
    return [
        shift.label()
        for shift in shifts
        if any((day % 7) * 24 + hour not in allowed for day, hour in shift.local_hours())
    ]


# --- The team -----------------------------------------------------------------------


def pitch_team_parse(
    *,
    pitch: Pitch,
    roles: Sequence[Mapping[str, object]],
    team: Sequence[Mapping[str, object]],
) -> DraftTeam:
    """Validate a team for ``pitch`` without writing anything.

    ``roles``: ``[{"job_role": id, "bill_rate": "25.00"}]``, at most one per
    role of the job. ``team``: ``[{"member": user id or handle, "job_role":
    id, "pay_rate": "20.00", "hours": 6}]`` for a flexible role, or with
    ``"shifts": [{"days": ["mon"], "start": "09:00", "end": "17:00"}]`` (in
    the job's time zone, inside the role's coverage windows) for a coverage
    role. Each member is an active member of the pitching collective, on a
    role that has a bill rate, paid at most that rate; one person's shifts
    do not overlap, also across roles. Raises ``ValidationFailed`` naming the
    input at fault (``team[1].shifts``).
    """
    currency = pitch.currency
    job_roles = {role.pk: role for role in job_roles_of(pitch.job)}
    rates: dict[int, Money] = {}
    for index, item in enumerate(roles):
        where = f"roles[{index}]"
        role = _job_role(item.get("job_role"), job_roles, field=f"{where}.job_role")
        if role.pk in rates:
            raise ValidationFailed(
                f"{role} has two bill rates; give one.", code="duplicate_role", field=where
            )
        rates[role.pk] = rate_parse(item.get("bill_rate"), currency, field=f"{where}.bill_rate")

    members = active_members_of(pitch.collective_id)
    lines: list[DraftLine] = []
    seen: set[tuple[int, int]] = set()
    for index, item in enumerate(team):
        where = f"team[{index}]"
        user = member_resolve(item.get("member"), members, field=f"{where}.member")
        role = _job_role(item.get("job_role"), job_roles, field=f"{where}.job_role")
        if (user.pk, role.pk) in seen:
            raise ValidationFailed(
                f"{user.display_name} is on {role} twice.",
                code="duplicate_team_line",
                field=where,
            )
        seen.add((user.pk, role.pk))
        if role.pk not in rates:
            raise ValidationFailed(
                f"Give {role} a bill rate before proposing people for it.",
                code="bill_rate_required",
                field=f"{where}.job_role",
            )
        pay = rate_parse(item.get("pay_rate"), currency, field=f"{where}.pay_rate")
        if pay > rates[role.pk]:
            raise ValidationFailed(
                f"{user.display_name}'s pay rate ({pay}) is above {role}'s bill rate "
                f"({rates[role.pk]}); the collective would pay out more than the client pays.",
                code="pay_above_bill",
                field=f"{where}.pay_rate",
            )
        raw_hours, raw_shifts = item.get("hours"), item.get("shifts") or []
        if not isinstance(raw_shifts, list | tuple) or not all(
            isinstance(shift, Mapping) for shift in raw_shifts
        ):
            raise ValidationFailed(
                "Shifts are a list of {days, start, end}.",
                code="validation_failed",
                field=f"{where}.shifts",
            )
        if role.kind == JobRole.Kind.COVERAGE:
            if raw_hours not in (None, ""):
                raise ValidationFailed(
                    f"{role} covers set hours: give shifts, not a number of hours.",
                    code="line_kind_mismatch",
                    field=f"{where}.hours",
                )
            if not raw_shifts:
                raise ValidationFailed(
                    f"Give {user.display_name}'s shifts on {role}.",
                    code="shifts_required",
                    field=f"{where}.shifts",
                )
            shifts = tuple(hour_windows_parse(raw_shifts, field=f"{where}.shifts"))
            coverage = [
                HourWindow(w.weekday, w.start_hour, w.end_hour) for w in role.coverage.all()
            ]
            outside = shifts_outside(shifts, coverage)
            if outside:
                hours = ", ".join(window.label() for window in sorted(coverage)) or "none"
                raise ValidationFailed(
                    f"{', '.join(outside)}: outside {role}'s coverage hours ({hours}).",
                    code="shift_outside_coverage",
                    field=f"{where}.shifts",
                )
            lines.append(DraftLine(user=user, job_role=role, pay_rate=pay, shifts=shifts))
        else:
            if raw_shifts:
                raise ValidationFailed(
                    f"{role} is flexible hours: give a number of hours, not shifts.",
                    code="line_kind_mismatch",
                    field=f"{where}.shifts",
                )
            if raw_hours in (None, ""):
                raise ValidationFailed(
                    f"Give {user.display_name}'s hours a week on {role}.",
                    code="hours_required",
                    field=f"{where}.hours",
                )
            flexible = _whole_number(raw_hours)
            if flexible is None or not 1 <= flexible <= 168:
                raise ValidationFailed(
                    "Hours a week are a whole number from 1 to 168.",
                    code="invalid_flexible_hours",
                    field=f"{where}.hours",
                )
            lines.append(DraftLine(user=user, job_role=role, pay_rate=pay, hours=flexible))
    _refuse_overlapping_shifts(lines)
    return DraftTeam(rates=rates, lines=tuple(lines))


def _refuse_overlapping_shifts(lines: Sequence[DraftLine]) -> None:
    """One person cannot work two shifts of one pitch at the same hour."""
    taken: dict[tuple[int, int], str] = {}
    for index, line in enumerate(lines):
        for shift in line.shifts:
            for day, hour in shift.local_hours():
                key = (line.user.pk, (day % 7) * 24 + hour)
                if key in taken:
                    raise ValidationFailed(
                        f"{line.user.display_name}'s shift {shift.label()} on {line.job_role} "
                        f"overlaps their shift {taken[key]}.",
                        code="shifts_overlap",
                        field=f"team[{index}].shifts",
                    )
                taken[key] = f"{shift.label()} on {line.job_role}"


# --- Drafting -----------------------------------------------------------------------


def pitch_create(*, job: Job, collective: Collective, by: User) -> Pitch:
    """Start a draft pitch of ``collective`` for ``job`` (coordinators).

    The job must be one ``by`` may see (404 otherwise) and one the
    collective may pitch for (a public job, or its own lead), and open. One
    live (draft, sent or accepted) pitch per job and collective:
    ``pitch_exists`` otherwise, decided by the database's unique index when
    two coordinators start one at once. The pitch's currency is the job's.
    """
    if not is_coordinator(by, collective.pk):
        raise PermissionDenied(
            "Only a coordinator of this collective can pitch for it.", code="not_coordinator"
        )
    job = job_get_for_user(user=by, pk=job.pk)  # 404 for a job they may not see
    if job.visibility != Job.Visibility.PUBLIC and job.collective_id != collective.pk:
        raise NotFound("No such job.")
    if job.state != Job.State.OPEN:
        raise Conflict("This job is no longer open for pitches.", code="job_not_open_for_pitches")
    if Pitch.objects.filter(job=job, collective=collective, state__in=LIVE_STATES).exists():
        raise Conflict(f"{collective.name} already has a pitch for this job.", code="pitch_exists")
    try:
        with transaction.atomic():
            return Pitch.objects.create(
                job=job, collective=collective, created_by=by, currency=job.currency
            )
    except IntegrityError:
        # Two coordinators started one at the same moment: the index decided.
        raise Conflict(
            f"{collective.name} already has a pitch for this job.", code="pitch_exists"
        ) from None


def pitch_update(
    *,
    pitch: Pitch,
    by: User,
    message: str,
    payment_terms_days: int | str,
    payment_method: str,
    roles: Sequence[Mapping[str, object]],
    team: Sequence[Mapping[str, object]],
) -> Pitch:
    """Replace a draft's message, terms, bill rates and team (coordinators).

    See ``pitch_team_parse`` for ``roles`` and ``team``. Only a draft
    changes (``pitch_not_draft``): the conditional update on its state is
    the guard against a send at the same moment.
    """
    coordinator_only(by, pitch.collective_id, thing="pitch")
    if pitch.state != Pitch.State.DRAFT:
        raise Conflict("Only a draft pitch can be changed.", code="pitch_not_draft")
    message = text_clean(message, field="message", max_length=MESSAGE_MAX)
    method = text_clean(
        payment_method, field="payment_method", max_length=PAYMENT_METHOD_MAX, required=True
    )
    days = payment_terms_clean(payment_terms_days)
    draft = pitch_team_parse(pitch=pitch, roles=roles, team=team)
    with transaction.atomic():
        if not Pitch.objects.filter(pk=pitch.pk, state=Pitch.State.DRAFT).update(
            message=message, payment_method=method, payment_terms_days=days
        ):
            raise Conflict("Only a draft pitch can be changed.", code="pitch_not_draft")
        PitchRole.objects.filter(pitch=pitch).delete()
        PitchMember.objects.filter(pitch=pitch).delete()  # and their shifts
        PitchRole.objects.bulk_create(
            PitchRole(pitch=pitch, job_role_id=role_id, bill_rate_minor=rate.minor_units)
            for role_id, rate in draft.rates.items()
        )
        for line in draft.lines:
            row = PitchMember.objects.create(
                pitch=pitch,
                job_role=line.job_role,
                user=line.user,
                pay_rate_minor=line.pay_rate.minor_units,
                flexible_hours=line.hours,
            )
            PitchShift.objects.bulk_create(
                PitchShift(
                    member=row,
                    weekday=shift.weekday,
                    start_hour=shift.start_hour,
                    end_hour=shift.end_hour,
                )
                for shift in line.shifts
            )
    pitch.refresh_from_db()
    return pitch


# --- Sending and withdrawing ------------------------------------------------------------


def pitch_send(*, pitch: Pitch, by: User) -> Pitch:
    """Send a draft to the client (coordinators); its contacts are emailed.

    Refused while the collective has no postal address
    (``postal_address_required``: the agreement names it), without a team
    (``pitch_team_required``), with someone no longer an active member
    (``team_member_left``), with a person on two roles
    (``member_on_two_roles``), or once the job is no longer open. Takes the
    job's row lock, then the pitch's (the order ``pitch_accept`` uses).
    """
    coordinator_only(by, pitch.collective_id, thing="pitch")
    with transaction.atomic():
        # The job's row lock first, as ``pitch_accept`` takes it: an accept of
        # another pitch at the same moment either fills the job before this
        # reads its state (refused here) or waits for this send and declines
        # the pitch with the others. Without it, a send could read "open",
        # the accept decline only what was sent by then, and this pitch stay
        # "sent" for a filled job.
        job = Job.objects.select_for_update().get(pk=pitch.job_id)
        # The pitch's row lock keeps the team still between these checks and the send.
        locked = (
            Pitch.objects.select_for_update(of=("self",))
            .select_related("job", "collective")
            .get(pk=pitch.pk)
        )
        if locked.state != Pitch.State.DRAFT:
            raise Conflict("Only a draft pitch can be sent.", code="pitch_not_draft")
        if job.state != Job.State.OPEN:
            raise Conflict(
                "This job is no longer open for pitches.", code="job_not_open_for_pitches"
            )
        if not locked.collective.postal_address.strip():
            raise Conflict(
                f"Give {locked.collective.name} a postal address first: the written "
                "agreement names both parties' addresses.",
                code="postal_address_required",
            )
        lines = list(
            PitchMember.objects.filter(pitch=locked).select_related("user__profile", "job_role")
        )
        if not lines:
            raise Conflict("Propose at least one member first.", code="pitch_team_required")
        team_members_active(locked.collective_id, [line.user for line in lines])
        roles_of: dict[int, list[str]] = {}
        for line in lines:
            roles_of.setdefault(line.user_id, []).append(str(line.job_role.title or "a role"))
        for line in lines:
            if len(roles_of[line.user_id]) > 1:
                raise Conflict(
                    f"{line.user.display_name} is on {len(roles_of[line.user_id])} roles; an "
                    "engagement seat has one bill rate and one pay rate, so keep them on one.",
                    code="member_on_two_roles",
                )
        if not Pitch.objects.filter(pk=pitch.pk, state=Pitch.State.DRAFT).update(
            state=Pitch.State.SENT, sent_at=timezone.now()
        ):
            raise Conflict("Only a draft pitch can be sent.", code="pitch_not_draft")
        pitch_id = pitch.pk
        transaction.on_commit(lambda: _email_client_contacts(pitch_id, "pitch_sent"))
    pitch.refresh_from_db()
    return pitch


def pitch_withdraw(*, pitch: Pitch, by: User) -> Pitch:
    """Withdraw a draft or a sent pitch (coordinators); ``pitch_closed`` once
    it was accepted, declined or withdrawn."""
    coordinator_only(by, pitch.collective_id, thing="pitch")
    if not Pitch.objects.filter(
        pk=pitch.pk, state__in=(Pitch.State.DRAFT, Pitch.State.SENT)
    ).update(state=Pitch.State.WITHDRAWN, decided_at=timezone.now(), decided_by=by):
        raise Conflict(
            "This pitch was already accepted, declined or withdrawn.", code="pitch_closed"
        )
    pitch.refresh_from_db()
    return pitch


# --- The client's decision --------------------------------------------------------------


def pitch_decline(*, pitch: Pitch, by: User, note: str = "") -> Pitch:
    """Decline a sent pitch (the client's contacts), with an optional note
    for the collective; its coordinators are emailed."""
    _client_only(by, pitch)
    note = text_clean(note, field="note", max_length=NOTE_MAX)
    if not Pitch.objects.filter(pk=pitch.pk, state=Pitch.State.SENT).update(
        state=Pitch.State.DECLINED, decided_at=timezone.now(), decided_by=by, decision_note=note
    ):
        raise Conflict("Only a sent pitch can be declined.", code="pitch_not_sent")
    pitch_id = pitch.pk
    transaction.on_commit(lambda: _email_coordinators(pitch_id, "pitch_declined"))
    pitch.refresh_from_db()
    return pitch


def pitch_accept(*, pitch: Pitch, by: User, agreement_sha256: str | None = None) -> Engagement:
    """Accept a sent pitch for the client (the client's contacts).

    In one transaction: the pitch is accepted (conditionally: exactly one of
    an accept and a withdrawal at the same moment wins), the job is marked
    filled, other collectives' pitches still waiting for it are declined,
    the engagement is created (``pending``) with a seat per team line, and
    version 1 of the written agreement is created and accepted for the
    client by ``by``. The collective's coordinators are emailed to accept it
    for the collective, which makes the engagement active.

    ``agreement_sha256``, the digest of the agreement document the client
    was shown (the web page always sends it), binds the acceptance to it:
    if version 1 as built now differs (the team, the rates or a party's
    name or address changed since), ``agreement_changed`` and nothing is
    written.
    """
    from mutualist.work.services.agreements import agreement_create
    from mutualist.work.services.engagements import engagement_create_from_pitch

    _client_only(by, pitch)
    now = timezone.now()
    with transaction.atomic():
        # The job's row lock first: two pitches for one job accepted at once
        # take turns (without it, each would wait on the other's pitch row
        # and the one-accepted-per-job index: a deadlock).
        job = Job.objects.select_for_update().get(pk=pitch.job_id)
        try:
            with transaction.atomic():
                accepted = Pitch.objects.filter(pk=pitch.pk, state=Pitch.State.SENT).update(
                    state=Pitch.State.ACCEPTED, decided_at=now, decided_by=by
                )
        except IntegrityError:  # the one-accepted-per-job index: the lock should prevent it
            raise Conflict(
                "The client has already accepted another pitch for this job.",
                code="job_not_open_for_pitches",
            ) from None
        if not accepted:
            raise Conflict(
                "Only a sent pitch can be accepted; this one was withdrawn or decided.",
                code="pitch_not_sent",
            )
        if job.state != Job.State.OPEN or not Job.objects.filter(
            pk=job.pk, state=Job.State.OPEN
        ).update(state=Job.State.FILLED):
            raise Conflict(
                "This job is no longer open for pitches.", code="job_not_open_for_pitches"
            )
        others = list(
            Pitch.objects.filter(job_id=pitch.job_id, state=Pitch.State.SENT)
            .exclude(pk=pitch.pk)
            .values_list("pk", flat=True)
        )
        Pitch.objects.filter(pk__in=others, state=Pitch.State.SENT).update(
            state=Pitch.State.DECLINED,
            decided_at=now,
            decided_by=by,
            decision_note="The client accepted another collective's pitch for this job.",
        )
        pitch.refresh_from_db()
        engagement = engagement_create_from_pitch(pitch=pitch, now=now)
        agreement = agreement_create(engagement=engagement, by=by, notify=False)
        if agreement_sha256 is not None and agreement_sha256.strip().lower() != agreement.sha256:
            raise Conflict(
                "The agreement changed since you read it; read it again before accepting.",
                code="agreement_changed",
            )
        AgreementAcceptance.objects.create(
            agreement=agreement,
            party=AgreementAcceptance.Party.CLIENT,
            user=by,
            name=by.display_name[:120],
            accepted_at=now,
        )
        pitch_id = pitch.pk
        transaction.on_commit(lambda: _email_coordinators(pitch_id, "pitch_accepted"))
        for other in others:
            transaction.on_commit(functools.partial(_email_coordinators, other, "pitch_declined"))
    return engagement


# --- Emails (after commit) -------------------------------------------------------------


def _pitch_url(pitch: Pitch) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}{reverse('work:pitch', kwargs={'pk': pitch.pk})}"


def _send(template: str, subject: str, context: dict[str, object], users: Sequence[User]) -> None:
    """One message per person: no one learns another's address."""
    body = render_to_string(f"work/email/{template}.txt", context)
    for user in users:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])


def _email_client_contacts(pitch_id: int, template: str) -> None:
    pitch = Pitch.objects.select_related("job__client", "collective").get(pk=pitch_id)
    contacts = [
        contact.user
        for contact in ClientContact.objects.filter(
            client_id=pitch.job.client_id, user__is_active=True
        ).select_related("user")
    ]
    _send(
        template,
        f"{pitch.collective.name} pitches for {pitch.job.title}",
        {"pitch": pitch, "url": _pitch_url(pitch)},
        contacts,
    )


def coordinators_of(collective_id: int) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(
            collective_id=collective_id,
            state=Membership.State.ACTIVE,
            role=Membership.Role.COORDINATOR,
            user__is_active=True,
        ).select_related("user")
    ]


def _email_coordinators(pitch_id: int, template: str) -> None:
    pitch = Pitch.objects.select_related("job__client", "collective", "decided_by__profile").get(
        pk=pitch_id
    )
    verb = "accepted" if template == "pitch_accepted" else "declined"
    context: dict[str, object] = {"pitch": pitch, "url": _pitch_url(pitch)}
    engagement = Engagement.objects.filter(pitch=pitch).first()
    if engagement is not None:
        from django.conf import settings

        context["engagement_url"] = settings.SITE_URL + reverse(
            "work:agreement", kwargs={"pk": engagement.pk, "version": 1}
        )
    _send(
        template,
        f"{pitch.job.client.name} {verb} your pitch for {pitch.job.title}",
        context,
        coordinators_of(pitch.collective_id),
    )
