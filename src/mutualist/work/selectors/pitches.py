"""Reads of pitches, engagements and written agreements, scoped by who is asking.

- A collective's active members see all its pitches, drafts included; a
  client's contacts see a pitch to their client once it was sent (also if
  it was withdrawn afterwards), never a draft.
- Engagements and agreements: the collective's active members and the
  client's contacts (``access.engagement_get_for_user``). Pay rates are the
  members' business: coordinators see everyone's, a member their own, a
  client none.
- The live staffing check's adapter (``pitch_check``) turns rows into the
  pure ``work.pitch_check`` input; the agreement's terms snapshot is built
  here from the pitch or the engagement, and rendered to its document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from mutualist.collectives.models import Collective
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.members.availability import Window
from mutualist.members.models import Skill, User
from mutualist.work import pitch_check as check
from mutualist.work.coverage import HourWindow, monday_of
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    Client,
    Engagement,
    EngagementMember,
    Job,
    JobRole,
    Pitch,
    PitchMember,
)
from mutualist.work.selectors.access import (
    Viewer,
    active_collective_ids,
    client_ids_of_contact,
    engagement_get_for_user,
    engagements_visible_to,
    is_active_member,
    is_client_contact,
    is_coordinator,
)
from mutualist.work.selectors.shifts import committed_hours, seats_of, shift_occurrences

# Pitch states a client sees in the portal: what they were sent and decided.
RECEIVED = (Pitch.State.SENT, Pitch.State.ACCEPTED, Pitch.State.DECLINED)
LIVE_PITCH = (Pitch.State.DRAFT, Pitch.State.SENT)
# The weeks a staffing check may look at.
WEEK_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
# A database id fits a signed 64-bit integer; a larger one matches no row.
ID_MAX = 2**63 - 1


# --- A team, saved or typed --------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    """A proposed member on one role of a pitch, validated
    (``work.services.pitches.pitch_team_parse``) but not necessarily saved."""

    user: User
    job_role: JobRole
    pay_rate: Money
    hours: int | None = None  # a flexible role's hours a week
    shifts: tuple[HourWindow, ...] = ()  # a coverage role's shifts, in the job's time zone

    @property
    def weekly_hours(self) -> int:
        """Hours a week on the wall clock: the flexible hours, or the shifts'
        nominal length (a week with a clock change has one more or less)."""
        if self.job_role.kind == JobRole.Kind.FLEXIBLE:
            return self.hours or 0
        return sum(window.hours for window in self.shifts)


@dataclass(frozen=True)
class DraftTeam:
    """Bill rates by job role id, and the team lines."""

    rates: Mapping[int, Money]
    lines: tuple[DraftLine, ...]


# --- Pitches ----------------------------------------------------------------------


def pitches_visible_to(user: Viewer) -> QuerySet[Pitch]:
    if not isinstance(user, User):
        return Pitch.objects.none()
    return Pitch.objects.filter(
        Q(collective_id__in=active_collective_ids(user))
        | Q(job__client_id__in=client_ids_of_contact(user), sent_at__isnull=False)
    )


def _pitch_rows(rows: QuerySet[Pitch]) -> QuerySet[Pitch]:
    return rows.select_related(
        "job__client", "collective", "created_by__profile", "decided_by__profile"
    )


def pitch_get_for_user(*, user: Viewer, pk: int) -> Pitch:
    """A pitch the viewer may see; 404 for everyone else."""
    pitch = _pitch_rows(pitches_visible_to(user)).filter(pk=pk).first()
    if pitch is None:
        raise Http404("No such pitch.")
    return pitch


def pitch_side(user: Viewer, pitch: Pitch) -> str | None:
    """ "coordinator" or "member" (of the pitching collective), "client" (a
    contact of the job's client, once the pitch was sent), or None."""
    if is_coordinator(user, pitch.collective_id):
        return "coordinator"
    if is_active_member(user, pitch.collective_id):
        return "member"
    if pitch.sent_at is not None and is_client_contact(user, pitch.job.client_id):
        return "client"
    return None


def pitch_list_for_collective(*, collective: Collective) -> QuerySet[Pitch]:
    """Every pitch of ``collective``, newest first; for its active members (get
    the collective through ``collective_get_for_member`` first)."""
    return _pitch_rows(Pitch.objects.filter(collective=collective)).order_by("-created_at", "-pk")


def pitch_list_received(*, user: Viewer) -> QuerySet[Pitch]:
    """Pitches sent to the clients the viewer acts for: sent, accepted or
    declined (never a draft, nor one withdrawn)."""
    return _pitch_rows(
        Pitch.objects.filter(job__client_id__in=client_ids_of_contact(user), state__in=RECEIVED)
    ).order_by("-sent_at", "-pk")


def job_roles_of(job: Job) -> list[JobRole]:
    return list(
        JobRole.objects.filter(job=job)
        .select_related("skill")
        .prefetch_related("coverage")
        .order_by("position", "pk")
    )


def pitch_team(*, pitch: Pitch) -> DraftTeam:
    """The saved team of ``pitch`` in the shape the check and the forms use."""
    rates = {
        row.job_role_id: Money.from_minor(row.bill_rate_minor, pitch.currency)
        for row in pitch.roles.all()
    }
    lines = tuple(
        DraftLine(
            user=line.user,
            job_role=line.job_role,
            pay_rate=Money.from_minor(line.pay_rate_minor, pitch.currency),
            hours=line.flexible_hours,
            shifts=tuple(
                HourWindow(s.weekday, s.start_hour, s.end_hour)
                for s in sorted(line.shifts.all(), key=lambda s: (s.weekday, s.start_hour))
            ),
        )
        for line in PitchMember.objects.filter(pitch=pitch)
        .select_related("user__profile", "job_role__skill")
        .prefetch_related("shifts")
        .order_by("job_role__position", "job_role_id", "pk")
    )
    return DraftTeam(rates=rates, lines=lines)


def pitch_check(
    *, pitch: Pitch, week: dt.date | None = None, team: DraftTeam | None = None
) -> check.CheckResult:
    """The live staffing check of ``pitch``'s team (or of ``team``, typed but
    not saved) for the week of ``week`` (default: the job's start week),
    which lies within ``WEEK_RANGE`` (``invalid_date`` otherwise).

    Hours the members have committed elsewhere and their shifts elsewhere
    leave out the engagement this very pitch became, if it was accepted.
    """
    if week is not None and not WEEK_RANGE[0] <= week <= WEEK_RANGE[1]:
        # Near year 1 or 9999 the week's Monday and its UTC bounds overflow (a 500).
        raise ValidationFailed(
            f"Pick a week from {WEEK_RANGE[0].year} to {WEEK_RANGE[1].year}.",
            code="invalid_date",
            field="week",
        )
    team = team if team is not None else pitch_team(pitch=pitch)
    job = pitch.job
    monday = monday_of(week or job.start_date)
    roles = job_roles_of(job)
    role_inputs = tuple(
        check.RoleInput(
            key=role.pk,
            title=str(role),
            kind=role.kind,
            coverage=tuple(
                HourWindow(w.weekday, w.start_hour, w.end_hour) for w in role.coverage.all()
            ),
            flexible_hours=role.flexible_hours,
            bill_rate=team.rates.get(role.pk),
        )
        for role in roles
    )
    zone = ZoneInfo(job.timezone)
    week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    users = list({line.user.pk: line.user for line in team.lines}.values())
    members = tuple(
        _member_input(user, pitch=pitch, start=week_start - dt.timedelta(days=1), days=9)
        for user in users
    )
    lines = tuple(
        check.LineInput(
            member=line.user.pk, role=line.job_role.pk, shifts=line.shifts, hours=line.hours
        )
        for line in team.lines
    )
    return check.pitch_check(
        check.CheckInput(
            timezone=job.timezone,
            week=monday,
            currency=pitch.currency,
            roles=role_inputs,
            lines=lines,
            members=members,
        )
    )


def _member_input(user: User, *, pitch: Pitch, start: dt.datetime, days: int) -> check.MemberInput:
    profile = user.profile
    seats = [seat for seat in seats_of(user) if seat.engagement.pitch_id != pitch.pk]
    busy = shift_occurrences(
        user=user, start=start, end=start + dt.timedelta(days=days), seats=seats
    )
    return check.MemberInput(
        key=user.pk,
        name=user.display_name,
        timezone=profile.timezone,
        availability=tuple(Window(w.weekday, w.start, w.end) for w in profile.availability.all()),
        capacity_hours=profile.weekly_capacity_hours,
        committed_hours=committed_hours(seats=seats),
        busy=tuple((occurrence.start, occurrence.end) for occurrence in busy),
    )


# --- Engagements ------------------------------------------------------------------


def _engagement_rows(rows: QuerySet[Engagement]) -> QuerySet[Engagement]:
    return rows.select_related("client", "collective", "job", "pitch")


def engagement_list_for_user(*, user: Viewer) -> QuerySet[Engagement]:
    """Engagements of the viewer's collectives and of the clients they act for."""
    return _engagement_rows(engagements_visible_to(user)).order_by("-created_at", "-pk")


def engagement_list_for_collective(*, collective: Collective) -> QuerySet[Engagement]:
    """For the collective's active members (``collective_get_for_member`` first)."""
    return _engagement_rows(Engagement.objects.filter(collective=collective)).order_by(
        "-created_at", "-pk"
    )


def engagement_list_for_clients(*, user: Viewer) -> QuerySet[Engagement]:
    """Engagements of the clients the viewer acts for."""
    return _engagement_rows(
        Engagement.objects.filter(client_id__in=client_ids_of_contact(user))
    ).order_by("-created_at", "-pk")


def engagement_team(
    *, engagement: Engagement, include_left: bool = False
) -> list[EngagementMember]:
    """The engagement's seats, current ones first (in the order they were
    made), then those who left."""
    seats = EngagementMember.objects.filter(engagement=engagement)
    if not include_left:
        seats = seats.filter(left_at__isnull=True)
    return sorted(
        seats.select_related("user__profile", "skill").prefetch_related("shifts"),
        key=lambda seat: (seat.left_at is not None, seat.pk),
    )


def seat_get(*, engagement: Engagement, user_id: int) -> EngagementMember:
    """The seat of ``user_id`` on ``engagement`` (which the caller got through
    a permission-scoped selector); 404 when they have none (and for an id
    no row can have: SQLite raises ``OverflowError`` on one past 64 bits)."""
    if not 0 < user_id <= ID_MAX:
        raise Http404("No such team member.")
    seat = (
        EngagementMember.objects.filter(engagement=engagement, user_id=user_id)
        .select_related("user__profile", "engagement__collective", "engagement__client")
        .first()
    )
    if seat is None:
        raise Http404("No such team member.")
    return seat


def pay_rate_visible(*, viewer: Viewer, side: str | None, seat: EngagementMember) -> bool:
    """Pay rates are the members' business: coordinators see every seat's,
    a member their own; a client never."""
    if side == "coordinator":
        return True
    return side == "member" and isinstance(viewer, User) and seat.user_id == viewer.pk


# --- Agreements -------------------------------------------------------------------


def agreement_list(*, engagement: Engagement) -> QuerySet[Agreement]:
    """Every version, newest first, with their acceptances."""
    return (
        Agreement.objects.filter(engagement=engagement)
        .select_related("created_by__profile")
        .prefetch_related(
            Prefetch(
                "acceptances",
                queryset=AgreementAcceptance.objects.order_by("accepted_at", "pk"),
            )
        )
        .order_by("-version")
    )


def agreement_latest(*, engagement: Engagement) -> Agreement | None:
    return agreement_list(engagement=engagement).first()


def agreement_get_for_user(*, user: Viewer, engagement_pk: int, version: int) -> Agreement:
    """One version of a visible engagement's agreement; 404 otherwise."""
    engagement = engagement_get_for_user(user=user, pk=engagement_pk)
    agreement = agreement_list(engagement=engagement).filter(version=version).first()
    if agreement is None:
        raise Http404("No such agreement.")
    agreement.engagement = engagement
    return agreement


def accepted_parties(agreement: Agreement) -> set[str]:
    return {acceptance.party for acceptance in agreement.acceptances.all()}


def agreements_awaiting_client(*, user: Viewer) -> list[Agreement]:
    """The latest agreement version of each engagement of the viewer's
    clients that their client has not accepted yet (engagements not ended)."""
    awaiting = []
    for engagement in engagement_list_for_clients(user=user).exclude(
        status=Engagement.Status.ENDED
    ):
        latest = agreement_latest(engagement=engagement)
        if latest is not None and AgreementAcceptance.Party.CLIENT not in accepted_parties(latest):
            latest.engagement = engagement
            awaiting.append(latest)
    return awaiting


def agreement_party_of(user: Viewer, engagement: Engagement) -> list[str]:
    """The parties ``user`` may accept an agreement for: "client" as a contact
    of the engagement's client, "collective" as a coordinator of its collective."""
    parties = []
    if is_client_contact(user, engagement.client_id):
        parties.append(AgreementAcceptance.Party.CLIENT.value)
    if is_coordinator(user, engagement.collective_id):
        parties.append(AgreementAcceptance.Party.COLLECTIVE.value)
    return parties


# --- The agreement's terms and document -------------------------------------------


@dataclass(frozen=True)
class ServiceItem:
    member: str
    role: str
    skill: str
    weekly_hours: int
    bill_rate: Money
    shifts: tuple[HourWindow, ...] = ()


def payment_terms_text(days: int) -> tuple[str, str]:
    """ "Net 30 days" and the payment date rule it stands for."""
    if days == 0:
        return "Due on receipt", "Each invoice is due on the day it is issued."
    return (
        f"Net {days} days",
        f"Each invoice is due {days} days after the date it is issued; approved hours "
        "are invoiced in arrears.",
    )


def _terms(
    *,
    version: int,
    job: Job | None,
    title: str,
    message: str,
    client: Client,
    collective: Collective,
    currency: str,
    tz: str,
    items: Sequence[ServiceItem],
    payment_method: str,
    payment_terms_days: int,
    start_date: dt.date,
) -> dict[str, Any]:
    total = Money.zero(currency)
    services = []
    for item in items:
        value = item.bill_rate * item.weekly_hours
        total = total + value
        services.append(
            {
                "member": item.member,
                "role": item.role,
                "skill": item.skill,
                "weekly_hours": item.weekly_hours,
                "shifts": [window.label() for window in item.shifts],
                "bill_rate": str(item.bill_rate.amount),
                "weekly_value": str(value.amount),
            }
        )
    terms_label, payment_date = payment_terms_text(payment_terms_days)
    return {
        "version": version,
        "title": title,
        "description": job.description if job is not None else "",
        "duration_weeks": job.duration_weeks if job is not None else None,
        "message": message,
        "client": {
            "name": client.name,
            "address": client.billing_address,
            "country": client.country,
            "tax_id": client.tax_id,
        },
        "collective": {
            "name": collective.name,
            "address": collective.postal_address,
            "slug": collective.slug,
        },
        "currency": currency,
        "timezone": tz,
        "services": services,
        "total_weekly_value": str(total.amount),
        "rate_basis": "per hour worked and approved",
        "payment_method": payment_method,
        "payment_terms_days": payment_terms_days,
        "payment_terms": terms_label,
        "payment_date": payment_date,
        "start_date": start_date.isoformat(),
    }


def agreement_terms_for_pitch(*, pitch: Pitch, start_date: dt.date | None = None) -> dict[str, Any]:
    """The terms an agreement made from ``pitch`` would carry (version 1): what
    the client sees before accepting, and what acceptance snapshots."""
    team = pitch_team(pitch=pitch)
    job = pitch.job
    items = [
        ServiceItem(
            member=line.user.display_name,
            role=str(line.job_role),
            skill=line.job_role.skill.name,
            weekly_hours=line.weekly_hours,
            bill_rate=team.rates.get(line.job_role.pk, Money.zero(pitch.currency)),
            shifts=line.shifts,
        )
        for line in team.lines
    ]
    return _terms(
        version=1,
        job=job,
        title=job.title,
        message=pitch.message,
        client=job.client,
        collective=Collective.objects.get(pk=pitch.collective_id),
        currency=pitch.currency,
        tz=job.timezone,
        items=items,
        payment_method=pitch.payment_method,
        payment_terms_days=pitch.payment_terms_days,
        start_date=start_date or engagement_start(job),
    )


def seat_proposal(seat: EngagementMember) -> dict[str, Any]:
    """One seat as an agreement version carries it in ``terms["seats"]``."""
    return {
        "user_id": seat.user_id,
        "role_title": seat.role_title,
        "skill": seat.skill.slug if seat.skill is not None else None,
        "bill_rate_minor": seat.bill_rate_minor,
        "pay_rate_minor": seat.pay_rate_minor,
        "weekly_cap_hours": seat.weekly_cap_hours,
        "shifts": [
            [s.weekday, s.start_hour, s.end_hour]
            for s in sorted(seat.shifts.all(), key=lambda s: (s.weekday, s.start_hour))
        ],
        "joined_at": seat.joined_at.isoformat() if seat.joined_at is not None else None,
        "left_at": None,
    }


def engagement_team_proposed(*, engagement: Engagement) -> list[dict[str, Any]]:
    """The team as the next agreement version should start from: the seats
    proposed by the latest version while both parties have not accepted it
    yet (a later proposal supersedes it, so it builds on it), otherwise the
    current seats. Seats change only when both accept a version
    (``agreements.agreement_accept``)."""
    latest = agreement_latest(engagement=engagement)
    if (
        latest is not None
        and "seats" in latest.terms
        and accepted_parties(latest)
        != {AgreementAcceptance.Party.CLIENT.value, AgreementAcceptance.Party.COLLECTIVE.value}
    ):
        return [dict(seat) for seat in latest.terms["seats"]]
    return [seat_proposal(seat) for seat in engagement_team(engagement=engagement)]


def agreement_terms_for_engagement(
    *, engagement: Engagement, version: int, seats: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The terms of a new version proposing ``seats`` (default: the team as
    proposed, ``engagement_team_proposed``); ``terms["seats"]`` keeps them
    so that accepting the version applies them."""
    currency = engagement.currency
    proposed = (
        [dict(seat) for seat in seats]
        if seats is not None
        else engagement_team_proposed(engagement=engagement)
    )
    users = User.objects.select_related("profile").in_bulk([s["user_id"] for s in proposed])
    skills = {
        skill.slug: skill
        for skill in Skill.objects.filter(slug__in=[s["skill"] for s in proposed if s["skill"]])
    }
    items = [
        ServiceItem(
            member=users[seat["user_id"]].display_name,
            role=seat["role_title"],
            skill=skills[seat["skill"]].name if seat["skill"] in skills else "",
            weekly_hours=seat["weekly_cap_hours"],
            bill_rate=Money.from_minor(seat["bill_rate_minor"], currency),
            shifts=tuple(HourWindow(day, start, end) for day, start, end in seat["shifts"]),
        )
        for seat in proposed
    ]
    pitch = engagement.pitch
    terms = _terms(
        version=version,
        job=engagement.job,
        title=engagement.title,
        message=pitch.message if pitch is not None else "",
        client=Client.objects.get(pk=engagement.client_id),
        collective=Collective.objects.get(pk=engagement.collective_id),
        currency=currency,
        tz=engagement.timezone,
        items=items,
        payment_method=engagement.payment_method,
        payment_terms_days=engagement.payment_terms_days,
        start_date=engagement.starts_on,
    )
    terms["seats"] = proposed
    return terms


def engagement_start(job: Job) -> dt.date:
    """An engagement starts on the job's start date, or today (in the job's
    time zone) if that has passed."""
    today = timezone.now().astimezone(ZoneInfo(job.timezone)).date()
    return max(job.start_date, today)


def agreement_document(terms: Mapping[str, Any]) -> str:
    """The agreement's document (an HTML fragment) as rendered from ``terms``;
    stored once at creation and never rendered again for that version."""
    return render_to_string("work/agreements/document.html", {"terms": terms})


def agreement_pdf(agreement: Agreement) -> bytes:
    """The version as a PDF: its stored document with the acceptances below
    it, rendered by WeasyPrint. ``agreement.engagement`` must be loaded with
    its client and collective (``agreement_get_for_user`` does)."""
    import weasyprint  # type: ignore[import-untyped]  # heavy: imported when a PDF is asked for

    html = agreement_pdf_html(agreement)
    pdf: bytes = weasyprint.HTML(string=html, base_url=settings.SITE_URL).write_pdf()
    return pdf


def agreement_pdf_html(agreement: Agreement) -> str:
    """The HTML handed to WeasyPrint for ``agreement_pdf``: the stored
    document, then who accepted it when (names of the parties as the
    version's terms state them)."""
    return render_to_string(
        "work/agreements/pdf.html",
        {"agreement": agreement, "acceptances": list(agreement.acceptances.all())},
    )


def agreement_pdf_filename(agreement: Agreement) -> str:
    return f"agreement-{agreement.engagement_id}-v{agreement.version}.pdf"
