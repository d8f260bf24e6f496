"""The work domain's tables, one module per area, re-exported here."""

from __future__ import annotations

from mutualist.work.models.clients import (
    Client,
    ClientContact,
    CoverageWindow,
    Job,
    JobRole,
)
from mutualist.work.models.engagements import (
    Agreement,
    AgreementAcceptance,
    Engagement,
    EngagementMember,
    EngagementShift,
)
from mutualist.work.models.pitches import Pitch, PitchMember, PitchRole, PitchShift
from mutualist.work.models.time import CalendarFeed, TimeEntry, Timesheet

__all__ = [
    "Agreement",
    "AgreementAcceptance",
    "CalendarFeed",
    "Client",
    "ClientContact",
    "CoverageWindow",
    "Engagement",
    "EngagementMember",
    "EngagementShift",
    "Job",
    "JobRole",
    "Pitch",
    "PitchMember",
    "PitchRole",
    "PitchShift",
    "TimeEntry",
    "Timesheet",
]
