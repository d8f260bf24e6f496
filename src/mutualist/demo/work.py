"""Post the demo's work (``mutualist.demo.work_world``) through the work services.

The history is made the way it would have happened: the demo travels back
in time (``time_machine``) to post the jobs a week before they start, pitch
and accept them, and to submit and approve each past week on the Monday
after it; the current week's entries run up to the moment of loading. So
every rule of the services holds for the demo (no start date in the past,
no entry in the future, no week approved before it was submitted).

Loading is all or nothing and runs once: the work world is there when the
first demo client is (``work_is_loaded``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.demo.work_world import (
    ADJUSTMENT,
    CLIENTS,
    CONTACTS,
    JOBS,
    LEAD_CLIENTS,
    WEEK_FATES,
    DemoClient,
    DemoContact,
    DemoJob,
    DemoPitch,
)
from mutualist.members.models import User
from mutualist.work.coverage import monday_of
from mutualist.work.models import (
    Agreement,
    Client,
    Engagement,
    EngagementMember,
    Job,
    JobRole,
    Pitch,
    TimeEntry,
    Timesheet,
)
from mutualist.work.selectors.shifts import shift_occurrences
from mutualist.work.services.agreements import agreement_accept
from mutualist.work.services.clients import client_record, client_register
from mutualist.work.services.jobs import job_post, job_record_lead
from mutualist.work.services.pitches import pitch_accept, pitch_create, pitch_send, pitch_update
from mutualist.work.services.time import time_entry_adjust, time_entry_record
from mutualist.work.services.timesheets import timesheet_approve, week_submit

SENTINEL_CLIENT = CLIENTS[0].name
MANILA = ZoneInfo("Asia/Manila")


def work_is_loaded() -> bool:
    return Client.objects.filter(name=SENTINEL_CLIENT).exists()


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Services see ``moment`` as now (never later than the real now)."""
    real = timezone.now()
    if moment >= real:
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def work_load(
    *,
    users: Mapping[str, User],
    collectives: Mapping[str, Collective],
    contacts: Mapping[str, User],
) -> int:
    """Create the demo's work; returns the number of time entries recorded.

    ``users`` maps demo logins (members and client contacts) to accounts;
    call inside the demo's transaction."""
    people = {**users, **contacts}
    # The week of the day the services see as today (``timezone.localdate``),
    # as the billing, decisions and funds built on the work count their days:
    # on a Monday morning in Manila, still Sunday in UTC, Manila's new week
    # has not begun for them, and an invoice due on Saturday is only one day
    # overdue (a guarantee claim the next day would be refused).
    this_monday = monday_of(timezone.localdate())
    first_monday = this_monday + dt.timedelta(weeks=min(j.starts_in_weeks for j in JOBS))
    # A week before the first start: the clients register and post, the
    # collective pitches, the clients accept.
    posting_day = dt.datetime.combine(
        first_monday - dt.timedelta(days=7), dt.time(1, 0), tzinfo=dt.UTC
    )
    clients: dict[str, Client] = {}
    jobs: dict[str, Job] = {}
    with _at(posting_day):
        for spec in CLIENTS:
            clients[spec.key] = _client(spec, people[spec.contact])
        for lead in LEAD_CLIENTS:
            clients[lead.client.key] = _lead_client(
                lead.client, collectives[lead.collective], people[lead.coordinator]
            )
        for job_spec in JOBS:
            if job_spec.starts_in_weeks < 0:
                jobs[job_spec.key] = _job(job_spec, clients, people, collectives, this_monday)
    with _at(posting_day + dt.timedelta(days=2)):
        for job_spec in JOBS:
            if job_spec.key in jobs:
                for pitch_spec in job_spec.pitches:
                    _pitch(pitch_spec, jobs[job_spec.key], people, collectives, clients)
    # Jobs that start later are posted today, and pitched for today.
    for job_spec in JOBS:
        if job_spec.key not in jobs:
            jobs[job_spec.key] = _job(job_spec, clients, people, collectives, this_monday)
            for pitch_spec in job_spec.pitches:
                _pitch(pitch_spec, jobs[job_spec.key], people, collectives, clients)
    return _weeks(jobs, people, this_monday)


def _client(spec: DemoClient, contact: User) -> Client:
    return client_register(
        user=contact,
        name=spec.name,
        country=spec.country,
        timezone=spec.timezone,
        currency=spec.currency,
        billing_address=spec.billing_address,
        tax_id=spec.tax_id,
    )


def _lead_client(spec: DemoClient, collective: Collective, coordinator: User) -> Client:
    return client_record(
        collective=collective,
        by=coordinator,
        name=spec.name,
        country=spec.country,
        timezone=spec.timezone,
        currency=spec.currency,
        billing_address=spec.billing_address,
        tax_id=spec.tax_id,
    )


def _job(
    spec: DemoJob,
    clients: Mapping[str, Client],
    people: Mapping[str, User],
    collectives: Mapping[str, Collective],
    this_monday: dt.date,
) -> Job:
    client = clients[spec.client]
    budget = Money(spec.budget, client.currency) if spec.budget is not None else None
    start = this_monday + dt.timedelta(weeks=spec.starts_in_weeks)
    roles = [dict(role) for role in spec.roles]
    if spec.lead_of is not None:
        lead = next(x for x in LEAD_CLIENTS if x.collective == spec.lead_of)
        return job_record_lead(
            collective=collectives[spec.lead_of],
            by=people[lead.coordinator],
            client=client,
            title=spec.title,
            description=spec.description,
            start_date=start,
            duration_weeks=spec.duration_weeks,
            budget_kind=spec.budget_kind,
            budget=budget,
            roles=roles,
        )
    contact = next(c.contact for c in CLIENTS if c.key == spec.client)
    return job_post(
        client=client,
        by=people[contact],
        title=spec.title,
        description=spec.description,
        start_date=start,
        duration_weeks=spec.duration_weeks,
        budget_kind=spec.budget_kind,
        budget=budget,
        visibility=Job.Visibility.PUBLIC,
        roles=roles,
    )


def _pitch(
    spec: DemoPitch,
    job: Job,
    people: Mapping[str, User],
    collectives: Mapping[str, Collective],
    clients: Mapping[str, Client],
) -> Pitch:
    coordinator = people[spec.coordinator]
    pitch = pitch_create(job=job, collective=collectives[spec.collective], by=coordinator)
    roles = list(JobRole.objects.filter(job=job).order_by("position", "pk"))
    team = []
    for line in spec.team:
        item: dict[str, object] = {
            "member": people[line.login].pk,
            "job_role": roles[line.role].pk,
            "pay_rate": line.pay_rate,
        }
        if line.shifts:
            item["shifts"] = [dict(shift) for shift in line.shifts]
        else:
            item["hours"] = line.hours
        team.append(item)
    pitch = pitch_update(
        pitch=pitch,
        by=coordinator,
        message=spec.message,
        payment_terms_days=30,
        payment_method="Bank transfer (Wise) to the collective's account",
        roles=[
            {"job_role": roles[i].pk, "bill_rate": rate} for i, rate in enumerate(spec.bill_rates)
        ],
        team=team,
    )
    if spec.outcome == "draft":
        return pitch
    pitch = pitch_send(pitch=pitch, by=coordinator)
    if spec.outcome == "accepted":
        key = next(key for key, client in clients.items() if client.pk == job.client_id)
        contact = people[next(c.contact for c in CLIENTS if c.key == key)]
        engagement = pitch_accept(pitch=pitch, by=contact)
        agreement = Agreement.objects.filter(engagement=engagement).order_by("-version").first()
        assert agreement is not None  # noqa: S101 - pitch_accept always writes version 1
        agreement_accept(agreement=agreement, by=coordinator, party="collective")
    return pitch


def _weeks(jobs: Mapping[str, Job], people: Mapping[str, User], this_monday: dt.date) -> int:
    """Record each member's weeks on the accepted jobs, submit the past ones
    on the Monday after, and have the clients approve those ``WEEK_FATES``
    says; returns the number of entries recorded."""
    key_of = {job.pk: key for key, job in jobs.items()}
    specs = {spec.key: spec for spec in JOBS}
    contact_of = {c.name: people[c.contact] for c in CLIENTS}
    seats = list(
        EngagementMember.objects.filter(
            engagement__job__in=list(jobs.values()), engagement__status=Engagement.Status.ACTIVE
        )
        .select_related("engagement", "engagement__client", "user")
        .order_by("engagement_id", "pk")
    )
    blocks: dict[int, tuple[tuple[int, str, str], ...]] = {}
    for seat in seats:
        job_key = key_of[seat.engagement.job_id]  # type: ignore[index]
        login = next(login for login, user in people.items() if user.pk == seat.user_id)
        for pitch in specs[job_key].pitches:
            for line in pitch.team:
                if line.login == login and line.blocks:
                    blocks[seat.pk] = line.blocks
    recorded = 0
    for offset in [*sorted(WEEK_FATES), 0]:
        monday = this_monday + dt.timedelta(weeks=offset)
        week_begins = dt.datetime.combine(monday, dt.time(0), tzinfo=MANILA)
        week_ends = week_begins + dt.timedelta(days=7)
        # The Monday after, 10:00 in Manila: the past week is logged and submitted.
        moment = week_ends + dt.timedelta(hours=10) if offset < 0 else timezone.now()
        with _at(moment):
            now = timezone.now()
            for seat in seats:
                recorded += _log_week(
                    seat, blocks.get(seat.pk, ()), week_begins, min(week_ends, now)
                )
            if offset < 0:
                for member in {seat.user for seat in seats}:
                    if Timesheet.objects.filter(member=member, week_start=monday).exists():
                        week_submit(member=member, week_start=monday)
        if WEEK_FATES.get(offset) == "approved":
            with _at(moment + dt.timedelta(hours=20)):
                _approve_week(monday, contact_of)
    _adjust(jobs, people, this_monday, contact_of)
    return recorded


def _log_week(
    seat: EngagementMember,
    blocks: tuple[tuple[int, str, str], ...],
    begins: dt.datetime,
    ends: dt.datetime,
) -> int:
    engagement = seat.engagement
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for shift in shift_occurrences(user=seat.user, start=begins, end=ends, seats=[seat]):
        spans.append((shift.start, shift.end))
    zone = ZoneInfo(seat.user.profile.timezone)
    for weekday, start, end in blocks:
        day = begins.astimezone(zone).date() + dt.timedelta(days=weekday)
        if day < engagement.starts_on:
            continue
        spans.append(
            (
                dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=zone),
                dt.datetime.combine(day, dt.time.fromisoformat(end), tzinfo=zone),
            )
        )
    count = 0
    for start_at, end_at in sorted(spans):
        if end_at > ends or start_at < begins:
            continue
        time_entry_record(
            engagement=engagement,
            member=seat.user,
            started_at=start_at,
            ended_at=end_at,
            note=f"{seat.role_title}: {_NOTES[count % len(_NOTES)]}",
            recorded_by=seat.user,
        )
        count += 1
    return count


_NOTES = (
    "cleared the queue",
    "follow-ups and scheduling",
    "handover notes for the team",
    "weekly report",
    "calls and confirmations",
)


def _approve_week(monday: dt.date, contact_of: Mapping[str, User]) -> None:
    waiting = Timesheet.objects.filter(
        week_start=monday, state=Timesheet.State.SUBMITTED
    ).select_related("engagement__client")
    for timesheet in waiting.order_by("pk"):
        timesheet_approve(timesheet=timesheet, by=contact_of[timesheet.engagement.client.name])


def _adjust(
    jobs: Mapping[str, Job],
    people: Mapping[str, User],
    this_monday: dt.date,
    contact_of: Mapping[str, User],
) -> None:
    """One correction of an approved week, approved again by the client."""
    monday = this_monday + dt.timedelta(weeks=ADJUSTMENT.week)
    entry = (
        TimeEntry.objects.filter(
            engagement__job=jobs[ADJUSTMENT.job],
            member=people[ADJUSTMENT.login],
            timesheet__week_start=monday,
            approved_at__isnull=False,
        )
        .order_by("started_at")
        .first()
    )
    if entry is None:
        return
    moment = dt.datetime.combine(monday + dt.timedelta(days=9), dt.time(9), tzinfo=MANILA)
    with _at(moment):
        time_entry_adjust(
            entry=entry,
            by=entry.member,
            minutes=ADJUSTMENT.minutes,
            note=ADJUSTMENT.note,
        )
    with _at(moment + dt.timedelta(hours=6)):
        _approve_week(monday, contact_of)


def contacts_ensure(contacts: tuple[DemoContact, ...] = CONTACTS) -> dict[str, User]:
    """The client contacts who are not demo members: signed up, address
    confirmed, profile unpublished (they are clients, not freelancers)."""
    from mutualist.demo.data import DEMO_PASSWORD
    from mutualist.members.services.accounts import email_mark_verified, user_signup
    from mutualist.members.services.profiles import profile_update

    made: dict[str, User] = {}
    for contact in contacts:
        user = User.objects.filter(email__iexact=contact.email).first()
        if user is None:
            user = user_signup(
                email=contact.email,
                password=DEMO_PASSWORD,
                display_name=contact.name,
                timezone=contact.timezone,
            )
            email_mark_verified(user=user)
            profile_update(
                user=user,
                display_name=contact.name,
                country=contact.country,
                city=contact.city,
                timezone=contact.timezone,
                rate_currency="USD",
                weekly_capacity_hours=0,
                is_public=False,
            )
        made[contact.login] = user
    return made
