"""Jobs: posted on the board by a client contact, or recorded as a lead by a
coordinator.

A job has one or more roles. A role is a skill plus either coverage windows
(weekly hours in the job's time zone that someone must staff, in whole hours,
see docs/work/hours.md) or a number of flexible hours a week. Roles come in as
plain specs, the API's shape::

    {"skill": "customer_support", "title": "Support",
     "coverage": [{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}]}
    {"skill": "bookkeeping", "title": "Books", "hours": 6}

and a refusal names the input at fault the same way: ``roles[0].coverage[1].start``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone as django_timezone

from mutualist.collectives.models import Collective
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import validate_timezone
from mutualist.members.models import Skill, User
from mutualist.work.coverage import HourWindow, hour_windows_parse
from mutualist.work.models import Client, CoverageWindow, Job, JobRole
from mutualist.work.selectors.access import is_client_contact, is_coordinator
from mutualist.work.selectors.clients import client_visible_to_collective

TITLE_MAX = 120  # Job.title
DESCRIPTION_MAX = 20_000
ROLE_TITLE_MAX = 80  # JobRole.title
MAX_ROLES = 20
MAX_DURATION_WEEKS = 520  # ten years; longer is "ongoing" (no duration)
# How far ahead a job may start, in years from the client's today. Work is
# posted to be staffed soon; and a date near the calendar's end (9999-12-31)
# made the coverage of its start week overflow ``datetime`` and took the job
# board down for everyone.
MAX_START_YEARS_AHEAD = 2
HOURS_PER_WEEK = 168

RoleSpecs = Sequence[Mapping[str, object]]


@dataclass(frozen=True)
class RoleInput:
    """One role, checked: ``windows`` for a coverage role, ``hours`` for a flexible one."""

    skill: Skill
    title: str
    windows: tuple[HourWindow, ...] | None
    hours: int | None


@dataclass(frozen=True)
class JobDetails:
    title: str
    description: str
    start_date: dt.date
    duration_weeks: int | None
    budget_kind: str
    budget_minor: int | None
    visibility: str
    timezone: str
    currency: str  # the client's, as the budget was checked against it


# --- Checking input ---------------------------------------------------------------------


def roles_parse(roles: RoleSpecs) -> list[RoleInput]:
    """Check role specs (see the module docstring). At least one role
    (``no_roles``), at most ``MAX_ROLES`` (``too_many_roles``); each with a
    known skill (``unknown_skill``), a title of at most 80 characters, and
    exactly one of ``coverage`` and ``hours`` (``coverage_or_hours``); hours
    are 1 to 168 (``invalid_hours``); windows as ``coverage.hour_windows_parse``
    rules (``not_whole_hour``, ``empty_window``, ``overlapping_windows``...)."""
    if isinstance(roles, str | bytes) or not isinstance(roles, Sequence) or not roles:
        raise ValidationFailed(
            "Give the job at least one role: a skill with coverage hours or flexible hours.",
            code="no_roles",
            field="roles",
        )
    if len(roles) > MAX_ROLES:
        raise ValidationFailed(
            f"A job has at most {MAX_ROLES} roles.", code="too_many_roles", field="roles"
        )
    slugs = {spec.get("skill") for spec in roles if isinstance(spec, Mapping)}
    skills = {
        skill.slug: skill
        for skill in Skill.objects.filter(slug__in=[s for s in slugs if isinstance(s, str)])
    }
    parsed = []
    for index, spec in enumerate(roles):
        where = f"roles[{index}]"
        if not isinstance(spec, Mapping):
            raise ValidationFailed(
                "A role is an object with a skill and coverage or hours.",
                code="coverage_or_hours",
                field=where,
            )
        slug = spec.get("skill")
        skill = skills.get(slug) if isinstance(slug, str) else None
        if skill is None:
            raise ValidationFailed(
                f"Unknown skill {slug!r}; use a slug from GET /api/v1/skills.",
                code="unknown_skill",
                field=f"{where}.skill",
            )
        raw_title = spec.get("title", "")
        if raw_title is None:
            raw_title = ""
        if not isinstance(raw_title, str):
            raise ValidationFailed(
                "A role's title is text.", code="too_long", field=f"{where}.title"
            )
        title = raw_title.strip()
        if len(title) > ROLE_TITLE_MAX:
            raise ValidationFailed(
                f"A role's title has at most {ROLE_TITLE_MAX} characters.",
                code="too_long",
                field=f"{where}.title",
            )
        coverage, hours = spec.get("coverage"), spec.get("hours")
        if (coverage is None) == (hours is None):
            raise ValidationFailed(
                "Give a role either coverage windows or a number of flexible hours a week, "
                "not both and not neither.",
                code="coverage_or_hours",
                field=where,
            )
        if hours is not None:
            if (
                isinstance(hours, bool)
                or not isinstance(hours, int)
                or not 1 <= hours <= HOURS_PER_WEEK
            ):
                raise ValidationFailed(
                    f"Flexible hours are a whole number from 1 to {HOURS_PER_WEEK} a week.",
                    code="invalid_hours",
                    field=f"{where}.hours",
                )
            parsed.append(RoleInput(skill=skill, title=title, windows=None, hours=hours))
            continue
        if not isinstance(coverage, list | tuple) or not coverage:
            raise ValidationFailed(
                "Give at least one coverage window, such as "
                '{"days": ["mon"], "start": "09:00", "end": "17:00"}.',
                code="coverage_or_hours",
                field=f"{where}.coverage",
            )
        if not all(isinstance(item, Mapping) for item in coverage):
            raise ValidationFailed(
                'A coverage window is an object {"days": [...], "start": "HH:00", "end": "HH:00"}.',
                code="coverage_or_hours",
                field=f"{where}.coverage",
            )
        windows = hour_windows_parse(coverage, field=f"{where}.coverage")
        parsed.append(RoleInput(skill=skill, title=title, windows=tuple(windows), hours=None))
    return parsed


def latest_start_date(today: dt.date) -> dt.date:
    """The last start date a job posted ``today`` may have: the same day
    ``MAX_START_YEARS_AHEAD`` years on (29 February to 28 February)."""
    year = today.year + MAX_START_YEARS_AHEAD
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def job_details_validate(
    *,
    client: Client,
    title: str,
    description: str,
    start_date: dt.date,
    duration_weeks: int | None,
    budget_kind: str,
    budget: Money | None,
    visibility: str,
    timezone: str | None,
    keep_start_date: dt.date | None = None,
) -> JobDetails:
    """Check a job's own fields. The start date may not be in the past, "today"
    being the client's (``start_date_in_past``), unless it is
    ``keep_start_date`` (an edit that leaves it alone); nor more than
    ``MAX_START_YEARS_AHEAD`` years after that today (``start_date_too_far``),
    kept or not. The budget is in the client's currency (``currency_mismatch``)
    and not negative (``negative_budget``); ``None`` is an open budget."""
    clean_title = (title or "").strip()
    if not clean_title:
        raise ValidationFailed("Give the job a title.", code="required", field="title")
    if len(clean_title) > TITLE_MAX:
        raise ValidationFailed(
            f"A job's title has at most {TITLE_MAX} characters.", code="too_long", field="title"
        )
    clean_description = (description or "").strip()
    if not clean_description:
        raise ValidationFailed(
            "Describe the work: what, for whom, with which tools.",
            code="required",
            field="description",
        )
    if len(clean_description) > DESCRIPTION_MAX:
        raise ValidationFailed(
            f"A job's description has at most {DESCRIPTION_MAX} characters.",
            code="too_long",
            field="description",
        )
    zone = validate_timezone(timezone if timezone is not None else client.timezone)
    if not isinstance(start_date, dt.date) or isinstance(start_date, dt.datetime):
        raise ValidationFailed(
            "Give the start date as a date.", code="invalid_date", field="start_date"
        )
    today = django_timezone.now().astimezone(ZoneInfo(client.timezone)).date()
    if start_date < today and start_date != keep_start_date:
        raise ValidationFailed(
            f"The start date {start_date:%Y-%m-%d} is in the past (it is {today:%Y-%m-%d} "
            f"in {client.timezone}).",
            code="start_date_in_past",
            field="start_date",
        )
    latest = latest_start_date(today)
    if start_date > latest:
        raise ValidationFailed(
            f"The start date {start_date:%Y-%m-%d} is too far ahead; a job starts within "
            f"{MAX_START_YEARS_AHEAD} years, by {latest:%Y-%m-%d} (in {client.timezone}).",
            code="start_date_too_far",
            field="start_date",
        )
    if duration_weeks is not None and (
        isinstance(duration_weeks, bool)
        or not isinstance(duration_weeks, int)
        or not 1 <= duration_weeks <= MAX_DURATION_WEEKS
    ):
        raise ValidationFailed(
            f"The duration is 1 to {MAX_DURATION_WEEKS} weeks; leave it empty for ongoing work.",
            code="invalid_duration",
            field="duration_weeks",
        )
    if budget_kind not in Job.BudgetKind.values:
        raise ValidationFailed(
            "The budget is a maximum hourly rate (hourly) or a total (total).",
            code="invalid_budget_kind",
            field="budget_kind",
        )
    budget_minor: int | None = None
    if budget is not None:
        if budget.currency != client.currency:
            raise ValidationFailed(
                f"{client.name} pays in {client.currency}; give the budget in {client.currency}, "
                f"not {budget.currency}.",
                code="currency_mismatch",
                field="budget",
            )
        if budget.amount < 0:
            raise ValidationFailed(
                "A budget cannot be negative.", code="negative_budget", field="budget"
            )
        budget_minor = budget.minor_units
    if visibility not in Job.Visibility.values:
        raise ValidationFailed(
            "Visibility is public (on the job board) or private.",
            code="invalid_visibility",
            field="visibility",
        )
    return JobDetails(
        title=clean_title,
        description=clean_description,
        start_date=start_date,
        duration_weeks=duration_weeks,
        budget_kind=budget_kind,
        budget_minor=budget_minor,
        visibility=visibility,
        timezone=zone,
        currency=client.currency,
    )


# --- Writing ----------------------------------------------------------------------------


def _roles_create(job: Job, roles: Sequence[RoleInput]) -> None:
    windows: list[CoverageWindow] = []
    for position, spec in enumerate(roles):
        role = JobRole.objects.create(
            job=job,
            position=position,
            skill=spec.skill,
            title=spec.title,
            kind=JobRole.Kind.COVERAGE if spec.windows is not None else JobRole.Kind.FLEXIBLE,
            flexible_hours=spec.hours,
        )
        windows.extend(
            CoverageWindow(
                role=role, weekday=w.weekday, start_hour=w.start_hour, end_hour=w.end_hour
            )
            for w in spec.windows or ()
        )
    CoverageWindow.objects.bulk_create(windows)


def _job_create(
    *,
    client: Client,
    by: User,
    collective: Collective | None,
    details: JobDetails,
    roles: list[RoleInput],
) -> Job:
    with transaction.atomic():
        # Read the currency under the client's row lock: client_update may
        # not change it while a job in it is being written.
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if locked.currency != details.currency:
            raise Conflict(
                f"{locked.name}'s currency changed meanwhile; try again.", code="state_changed"
            )
        job = Job.objects.create(
            client=locked,
            collective=collective,
            posted_by=by,
            title=details.title,
            description=details.description,
            start_date=details.start_date,
            duration_weeks=details.duration_weeks,
            timezone=details.timezone,
            budget_kind=details.budget_kind,
            budget_minor=details.budget_minor,
            currency=details.currency,
            visibility=details.visibility,
        )
        _roles_create(job, roles)
    return job


def job_post(
    *,
    client: Client,
    by: User,
    title: str,
    description: str,
    start_date: dt.date,
    duration_weeks: int | None,
    budget_kind: str,
    budget: Money | None,
    visibility: str,
    roles: RoleSpecs,
    timezone: str | None = None,
) -> Job:
    """A client contact posts a job: public (on the job board) or private.

    ``by`` must act for ``client`` (``not_client_contact``). The job's currency
    is the client's; its time zone, in which the coverage windows are read,
    is the client's unless ``timezone`` names another. See
    ``job_details_validate`` and ``roles_parse`` for the rules; nothing is
    written unless all of them hold.
    """
    if not is_client_contact(by, client.pk):
        raise PermissionDenied(
            f"Only people who act for {client.name} can post its jobs.", code="not_client_contact"
        )
    details = job_details_validate(
        client=client,
        title=title,
        description=description,
        start_date=start_date,
        duration_weeks=duration_weeks,
        budget_kind=budget_kind,
        budget=budget,
        visibility=visibility,
        timezone=timezone,
    )
    parsed = roles_parse(roles)
    return _job_create(client=client, by=by, collective=None, details=details, roles=parsed)


def job_record_lead(
    *,
    collective: Collective,
    by: User,
    client: Client,
    title: str,
    description: str,
    start_date: dt.date,
    duration_weeks: int | None,
    budget_kind: str,
    budget: Money | None,
    roles: RoleSpecs,
    timezone: str | None = None,
) -> Job:
    """A coordinator records work a client wants as the collective's lead:
    always private, never on the board, seen only by the collective's active
    members. The client must be one the collective recorded or works with
    (``client_visible_to_collective``); any other is ``not_found``."""
    if not is_coordinator(by, collective.pk):
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    if not client_visible_to_collective(client=client, collective=collective):
        raise NotFound("No such client.", code="not_found", field="client_id")
    details = job_details_validate(
        client=client,
        title=title,
        description=description,
        start_date=start_date,
        duration_weeks=duration_weeks,
        budget_kind=budget_kind,
        budget=budget,
        visibility=Job.Visibility.PRIVATE,
        timezone=timezone,
    )
    parsed = roles_parse(roles)
    return _job_create(client=client, by=by, collective=collective, details=details, roles=parsed)


def job_may_edit(*, user: User, job: Job) -> bool:
    """A lead: its collective's coordinators. A posted job: its client's contacts."""
    if job.collective_id is not None:
        return is_coordinator(user, job.collective_id)
    return is_client_contact(user, job.client_id)


def _require_editor(job: Job, by: User) -> None:
    if job.collective_id is not None:
        if not is_coordinator(by, job.collective_id):
            raise PermissionDenied(
                "Only a coordinator of this collective can do that.", code="not_coordinator"
            )
    elif not is_client_contact(by, job.client_id):
        raise PermissionDenied(
            "Only people who act for the client can change its jobs.", code="not_client_contact"
        )


def job_update(
    *,
    job: Job,
    by: User,
    title: str,
    description: str,
    start_date: dt.date,
    duration_weeks: int | None,
    budget_kind: str,
    budget: Money | None,
    visibility: str,
    timezone: str,
    roles: RoleSpecs | None = None,
) -> Job:
    """Replace an open job's details; ``roles`` (if given) replaces its roles.

    Who may: ``job_may_edit``. Only an open job changes (``job_not_open``).
    A lead stays private (``lead_is_private``). Once a collective has pitched
    for the job (a pitch in any state, drafts included), what the pitch is
    built on is fixed (``job_has_pitches``, naming the field): its roles, its
    time zone (the pitched shifts are hours in it: another zone moves every
    one of them) and its start date (the pitch's first week); the same values
    given again are no change. A client who needs other terms closes the job
    and posts a new one. An unchanged start date may lie in the past by now.
    """
    _require_editor(job, by)
    if job.collective_id is not None and visibility != Job.Visibility.PRIVATE:
        raise ValidationFailed(
            "A lead is the collective's private note; it cannot go on the job board.",
            code="lead_is_private",
            field="visibility",
        )
    client = Client.objects.get(pk=job.client_id)
    details = job_details_validate(
        client=client,
        title=title,
        description=description,
        start_date=start_date,
        duration_weeks=duration_weeks,
        budget_kind=budget_kind,
        budget=budget,
        visibility=visibility,
        timezone=timezone,
        keep_start_date=job.start_date,
    )
    parsed = roles_parse(roles) if roles is not None else None
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != Job.State.OPEN:
            raise Conflict(
                f"This job is {locked.get_state_display().lower()}; only an open job changes.",
                code="job_not_open",
            )
        moved = [
            field
            for field, changed in (
                ("timezone", details.timezone != locked.timezone),
                ("start_date", details.start_date != locked.start_date),
            )
            if changed
        ]
        if moved and locked.pitches.exists():
            # A pitch started at this same moment (pitch_create takes no job
            # lock) is an empty draft: its shifts are added later, read in the
            # job as this update leaves it. So this check needs no more than
            # it has; the roles below do (a pitch's rows hold them).
            what = "time zone" if moved[0] == "timezone" else "start date"
            raise Conflict(
                f"A collective has pitched for this job; its {what} cannot change now (every "
                "pitched shift is set in its time zone from its start date). Close the job "
                "and post a new one instead.",
                code="job_has_pitches",
                field=moved[0],
            )
        if parsed is not None and _same_roles(locked, parsed):
            # The form sends the roles back with every edit: the same roles
            # again are no replacement, and do not need the job unpitched.
            parsed = None
        if parsed is not None:
            if locked.pitches.exists():
                raise Conflict(
                    "A collective has pitched for this job's roles; they cannot be replaced now. "
                    "Close the job and post a new one instead.",
                    code="job_has_pitches",
                    field="roles",
                )
            try:
                with transaction.atomic():
                    JobRole.objects.filter(job=locked).delete()
            except ProtectedError:
                # A pitch written between the check and the delete holds them.
                raise Conflict(
                    "A collective has pitched for this job's roles; they cannot be replaced now.",
                    code="job_has_pitches",
                    field="roles",
                ) from None
            _roles_create(locked, parsed)
        Job.objects.filter(pk=locked.pk).update(
            title=details.title,
            description=details.description,
            start_date=details.start_date,
            duration_weeks=details.duration_weeks,
            timezone=details.timezone,
            budget_kind=details.budget_kind,
            budget_minor=details.budget_minor,
            visibility=details.visibility,
        )
    job.refresh_from_db()
    return job


def _role_key(
    skill_id: int, title: str, windows: Sequence[HourWindow] | None, hours: int | None
) -> tuple[object, ...]:
    return (skill_id, title, tuple(sorted(windows)) if windows is not None else None, hours)


def _same_roles(job: Job, roles: Sequence[RoleInput]) -> bool:
    """Whether ``roles`` are exactly the job's roles, in order."""
    current = [
        _role_key(
            role.skill_id,
            role.title,
            [HourWindow(w.weekday, w.start_hour, w.end_hour) for w in role.coverage.all()]
            if role.kind == JobRole.Kind.COVERAGE
            else None,
            role.flexible_hours,
        )
        for role in JobRole.objects.filter(job=job)
        .prefetch_related("coverage")
        .order_by("position")
    ]
    given = [_role_key(spec.skill.pk, spec.title, spec.windows, spec.hours) for spec in roles]
    return current == given


def job_close(*, job: Job, by: User) -> Job:
    """Close an open job: it leaves the board and takes no new pitches. Who
    may: ``job_may_edit``. A job that is no longer open: ``job_not_open``
    (a conditional update, so two closes at once close it once)."""
    _require_editor(job, by)
    closed = Job.objects.filter(pk=job.pk, state=Job.State.OPEN).update(state=Job.State.CLOSED)
    if closed != 1:
        job.refresh_from_db()
        raise Conflict(
            f"This job is {job.get_state_display().lower()} already; only an open job closes.",
            code="job_not_open",
        )
    job.refresh_from_db()
    return job
