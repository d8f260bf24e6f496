"""The work domain's corner of the outsider suites' world.

Collective A's engagement for Harbour (``mutualist.testing.build_work``) with
something private in every corner: Ben's submitted week with a note, Ana's
approved entry, a draft pitch of A's for a private lead, Ben's calendar feed,
and an invitation for a new contact of Harbour. ``by_name`` gives, per web
URL name, the keyword arguments whose names are ambiguous (``pk`` is a job
on one page and a timesheet on another).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from mutualist.collectives.models import Collective
from mutualist.members.models import User
from mutualist.testing import Cast, build_work
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    CalendarFeed,
    Client,
    ClientContact,
    Engagement,
    EngagementMember,
    Job,
    Pitch,
    PitchMember,
    TimeEntry,
    Timesheet,
)
from mutualist.work.services.agreements import agreement_create
from mutualist.work.services.calendar import calendar_feed_issue
from mutualist.work.services.clients import client_contact_invite, client_record
from mutualist.work.services.jobs import job_record_lead
from mutualist.work.services.pitches import pitch_create
from mutualist.work.services.time import time_entry_record
from mutualist.work.services.timesheets import timesheet_approve, week_submit

# Never shown to Olga or an anonymous visitor, whatever the page.
WORK_PRIVATE = (
    "dana@harbour.example",
    "evan@thames.example",
    "ABN 51 824 753 556",  # Harbour's tax id
    "1 Harbour St",  # Harbour's billing address
    "Ben's secret timesheet note",
    "Ana's approved note",
    "Secret lead for a Makati bakery",
    "Bakery Secreta",  # a client collective A recorded
    "new-contact@harbour.example",
)


def work_world(cast: Cast) -> dict[str, Any]:
    work = build_work(cast)
    now = timezone.now()
    week_start = (now - dt.timedelta(days=10)).date()
    # Entries a week and a half ago: Ben's week submitted, Ana's approved.
    with transaction.atomic():
        # The fixture's engagement starts in the future; its real start is earlier.
        Engagement.objects.filter(pk=work.engagement.pk).update(
            starts_on=week_start - dt.timedelta(days=7)
        )
        work.engagement.refresh_from_db()
        Collective.objects.filter(pk=cast.collective_a.pk).update(
            postal_address="5 Ayala Avenue, Makati"
        )
        ben_entry = time_entry_record(
            engagement=work.engagement,
            member=cast.ben,
            started_at=now - dt.timedelta(days=10, hours=3),
            ended_at=now - dt.timedelta(days=10, hours=1),
            note="Ben's secret timesheet note",
            recorded_by=cast.ben,
        )
        week_submit(member=cast.ben, week_start=ben_entry.timesheet.week_start)
        ana_entry = time_entry_record(
            engagement=work.engagement,
            member=cast.ana,
            started_at=now - dt.timedelta(days=10, hours=6),
            ended_at=now - dt.timedelta(days=10, hours=5),
            note="Ana's approved note",
            recorded_by=cast.ana,
        )
        week_submit(member=cast.ana, week_start=ana_entry.timesheet.week_start)
        timesheet_approve(timesheet=ana_entry.timesheet, by=work.dana)
        agreement = agreement_create(engagement=work.engagement, by=cast.ana, notify=False)
        bakery = client_record(
            collective=cast.collective_a,
            by=cast.ana,
            name="Bakery Secreta",
            country="PH",
            timezone="Asia/Manila",
            currency="PHP",
            billing_address="3 Secret Lane, Makati",
        )
        lead = job_record_lead(
            collective=cast.collective_a,
            by=cast.ana,
            client=bakery,
            title="Secret lead for a Makati bakery",
            description="Books for a bakery; not public.",
            start_date=now.date() + dt.timedelta(days=14),
            duration_weeks=4,
            budget_kind=Job.BudgetKind.TOTAL,
            budget=None,
            roles=[{"skill": "bookkeeping", "title": "Books", "hours": 5}],
        )
        draft = pitch_create(job=lead, collective=cast.collective_a, by=cast.ana)
        feed = calendar_feed_issue(user=cast.ben)
        invitation = client_contact_invite(
            client=work.harbour, by=work.dana, email="new-contact@harbour.example"
        )
    ben_timesheet = Timesheet.objects.get(pk=ben_entry.timesheet_id)
    return {
        # The REST API's path parameters
        "client_id": work.harbour.pk,
        "pitch_id": draft.pk,
        "engagement_id": work.engagement.pk,
        "entry_id": ben_entry.pk,
        "timesheet_id": ben_timesheet.pk,
        "week": ben_timesheet.week_start.isoformat(),
        # and the web pages' (see by_name for the ambiguous ones)
        "job_id": lead.pk,
        "user_id": cast.ben.pk,
        "version": agreement.version,
        "by_name": {
            "work:job": {"pk": lead.pk},
            "work:job_edit": {"pk": lead.pk},
            "work:job_close": {"pk": lead.pk},
            "work:client_contact_accept": {"token": invitation.token},
            "work:client": {"pk": work.harbour.pk},
            "work:client_edit": {"pk": work.harbour.pk},
            "work:client_contact_invite": {"pk": work.harbour.pk},
            "work:client_leave": {"pk": work.harbour.pk},
            "work:pitch": {"pk": draft.pk},
            "work:pitch_check": {"pk": draft.pk},
            "work:pitch_proposal": {"pk": draft.pk},
            "work:pitch_proposal_apply": {"pk": draft.pk},
            "work:pitch_send": {"pk": draft.pk},
            "work:pitch_withdraw": {"pk": draft.pk},
            "work:pitch_accept": {"pk": work.pitch.pk},
            "work:pitch_decline": {"pk": work.pitch.pk},
            "work:engagement": {"pk": work.engagement.pk},
            "work:engagement_status": {"pk": work.engagement.pk},
            "work:engagement_seat_add": {"pk": work.engagement.pk},
            "work:engagement_seat": {"pk": work.engagement.pk},
            "work:agreement_revise": {"pk": work.engagement.pk},
            "work:agreement": {"pk": work.engagement.pk},
            "work:agreement_pdf": {"pk": work.engagement.pk},
            "work:agreement_accept": {"pk": work.engagement.pk},
            "work:entry_edit": {"pk": ben_entry.pk},
            "work:entry_delete": {"pk": ben_entry.pk},
            "work:entry_adjust": {"pk": ana_entry.pk},
            "work:timesheet": {"pk": ben_timesheet.pk},
            "work:timesheet_approve": {"pk": ben_timesheet.pk},
            "work:timesheet_return": {"pk": ben_timesheet.pk},
            "work:calendar_feed": {"token": feed.token},
        },
        "work": work,
    }


def work_snapshot(outsider: User) -> dict[str, Any]:
    """The work domain's rows, but the outsider's own (a calendar feed of hers, say)."""
    return {
        "clients": list(Client.objects.order_by("pk").values()),
        "contacts": list(ClientContact.objects.exclude(user=outsider).order_by("pk").values()),
        "jobs": list(Job.objects.order_by("pk").values()),
        "pitches": list(Pitch.objects.order_by("pk").values()),
        "pitch_team": list(PitchMember.objects.order_by("pk").values()),
        "engagements": list(Engagement.objects.order_by("pk").values()),
        "seats": list(EngagementMember.objects.order_by("pk").values()),
        "agreements": Agreement.objects.count(),
        "acceptances": AgreementAcceptance.objects.count(),
        "timesheets": list(Timesheet.objects.order_by("pk").values()),
        "entries": list(TimeEntry.objects.exclude(member=outsider).order_by("pk").values()),
        # Reading a feed stamps its last_used_at; nothing else may change.
        "feeds": list(
            CalendarFeed.objects.exclude(user=outsider)
            .order_by("pk")
            .values("user_id", "token_hash", "created_at")
        ),
    }


def work_bodies(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bodies that get past the schema for the work operations that read
    theirs before checking who asks, each one a coordinator of A (or, for
    the client's operations, Dana) could send."""
    work = world["work"]
    start = (timezone.now() + dt.timedelta(days=30)).date().isoformat()
    lead = {
        "client_id": work.harbour.pk,
        "title": "An outsider's lead",
        "description": "Nothing.",
        "start_date": start,
        "budget_kind": "total",
        "roles": [{"skill": "bookkeeping", "hours": 2}],
    }
    shift = {"days": ["mon"], "start": "09:00", "end": "10:00"}
    past = timezone.now() - dt.timedelta(days=2)
    return {
        "POST /api/v1/clients/{client_id}/contacts": {"email": "outsider-friend@example.org"},
        "POST /api/v1/collectives/{slug}/clients": {
            "name": "An outsider's client",
            "country": "PH",
            "timezone": "Asia/Manila",
            "currency": "PHP",
            "billing_address": "Nowhere",
        },
        "POST /api/v1/collectives/{slug}/leads": lead,
        "POST /api/v1/jobs": {**lead, "visibility": "public"},
        "POST /api/v1/jobs/{job_id}/pitches": {"collective": "manila-va"},
        "POST /api/v1/engagements/{engagement_id}/status": {"status": "paused"},
        "POST /api/v1/engagements/{engagement_id}/team": {
            "member": work.cast.ben.pk,
            "role_title": "Extra",
            "bill_rate": "1.00",
            "pay_rate": "1.00",
            "weekly_cap_hours": 1,
            "shifts": [shift],
        },
        "POST /api/v1/me/time-entries": {
            "engagement_id": work.engagement.pk,
            "started_at": (past - dt.timedelta(hours=1)).isoformat(),
            "ended_at": past.isoformat(),
        },
        "POST /api/v1/me/timer": {"engagement_id": work.engagement.pk},
        "POST /api/v1/time-entries/{entry_id}/adjustments": {"minutes": -10, "note": "Outsider"},
        "POST /api/v1/timesheets/{timesheet_id}/return": {"comment": "Outsider"},
        "POST /api/v1/client-invitations/accept": {
            "token": world["by_name"]["work:client_contact_accept"]["token"]
        },
    }
