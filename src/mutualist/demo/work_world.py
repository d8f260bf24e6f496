"""The demo's work, as plain data: clients and their contacts, jobs, pitches,
and the weekly rhythm of the members who work on the accepted ones.

``mutualist.demo.work`` posts it through the work services. Dates are
relative to the day the demo is loaded: the accepted jobs started four
weeks before the current week, so there are several weeks of time entries
to look at, some approved, one waiting for the client, and the current
week still open.
"""

from __future__ import annotations

from dataclasses import dataclass

from mutualist.demo.world import DEMO_DOMAIN


@dataclass(frozen=True)
class DemoContact:
    """A person who acts for a client (no collective). ``emily`` is already
    among the demo people; the others are made here, unpublished."""

    login: str
    name: str
    timezone: str
    country: str
    city: str

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoClient:
    key: str
    name: str
    country: str
    timezone: str
    currency: str
    billing_address: str
    tax_id: str
    contact: str  # login


@dataclass(frozen=True)
class DemoTeamLine:
    login: str
    role: int  # index into the job's roles
    pay_rate: str
    shifts: tuple[dict[str, object], ...] = ()  # coverage roles, in the job's zone
    hours: int | None = None  # flexible roles
    # Flexible work, when the member logs it: (weekday 0-6, "HH:MM", "HH:MM")
    # in the member's own time zone, every week; on the same weekday in the
    # client's zone too, summer and winter (the first Monday's block may not
    # fall on the Sunday before the engagement began).
    blocks: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class DemoPitch:
    collective: str  # slug
    coordinator: str  # login
    message: str
    bill_rates: tuple[str, ...]  # per role, in the job's currency
    team: tuple[DemoTeamLine, ...]
    outcome: str  # "accepted", "sent" or "draft"


@dataclass(frozen=True)
class DemoJob:
    key: str
    client: str  # DemoClient.key
    title: str
    description: str
    starts_in_weeks: int  # from the Monday of the week the demo is loaded
    duration_weeks: int | None
    budget_kind: str
    budget: str | None
    roles: tuple[dict[str, object], ...]
    pitches: tuple[DemoPitch, ...] = ()
    # A coordinator's private lead instead of a posted job: the collective's slug.
    lead_of: str | None = None


@dataclass(frozen=True)
class DemoLeadClient:
    collective: str
    coordinator: str
    client: DemoClient


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]

CONTACTS: tuple[DemoContact, ...] = (
    DemoContact("marcus", "Marcus Webb", "America/Chicago", "US", "Austin"),
    DemoContact("harriet", "Harriet Cole", "Europe/London", "GB", "London"),
    DemoContact("diego", "Diego Alvarez", "America/Los_Angeles", "US", "San Francisco"),
)

CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        key="bondi",
        name="Bondi Surf Supply Pty Ltd",
        country="AU",
        timezone="Australia/Sydney",
        currency="AUD",
        billing_address="12 Campbell Parade\nBondi Beach NSW 2026\nAustralia",
        tax_id="ABN 83 914 571 673",
        contact="emily",
    ),
    DemoClient(
        key="lonestar",
        name="Lone Star Dental Group",
        country="US",
        timezone="America/Chicago",
        currency="USD",
        billing_address="4100 Guadalupe St\nAustin, TX 78751\nUnited States",
        tax_id="EIN 74-3029184",
        contact="marcus",
    ),
    DemoClient(
        key="camden",
        name="Camden Lock Books Ltd",
        country="GB",
        timezone="Europe/London",
        currency="GBP",
        billing_address="54 Chalk Farm Road\nLondon NW1 8AN\nUnited Kingdom",
        tax_id="GB 284 9173 55",
        contact="harriet",
    ),
    DemoClient(
        key="pacific",
        name="Pacific Pet Supplies Inc.",
        country="US",
        timezone="America/Los_Angeles",
        currency="USD",
        billing_address="88 Mission St\nSan Francisco, CA 94105\nUnited States",
        tax_id="",
        contact="diego",
    ),
)

LEAD_CLIENTS: tuple[DemoLeadClient, ...] = (
    DemoLeadClient(
        collective="manila-va",
        coordinator="ana",
        client=DemoClient(
            key="casaverde",
            name="Casa Verde Restaurant",
            country="PH",
            timezone="Asia/Manila",
            currency="PHP",
            billing_address="21 Jupiter Street\nBel-Air, Makati City 1209\nPhilippines",
            tax_id="TIN 008-231-554-000",
            contact="",
        ),
    ),
)

MANILA_PITCH = (
    "We are Manila Virtual Assistants, a cooperative: the people below work for you "
    "every week, and cover for each other when one of them is sick or on leave."
)

JOBS: tuple[DemoJob, ...] = (
    DemoJob(
        key="bondi-ea",
        client="bondi",
        title="Executive assistant for the founders",
        description="Keep the two founders' calendars straight across suppliers, surf "
        "comps and trade shows, and clear the shared inbox every day.",
        starts_in_weeks=-4,
        duration_weeks=26,
        budget_kind="hourly",
        budget="40.00",
        roles=(
            {
                "skill": "calendar_management",
                "title": "Founders' calendar",
                "coverage": [{"days": WEEKDAYS, "start": "11:00", "end": "15:00"}],
            },
            {"skill": "inbox_management", "title": "Shared inbox", "hours": 4},
        ),
        pitches=(
            DemoPitch(
                collective="manila-va",
                coordinator="ana",
                message=MANILA_PITCH,
                bill_rates=("32.00", "30.00"),
                team=(
                    DemoTeamLine(
                        "ana",
                        0,
                        "26.00",
                        shifts=({"days": WEEKDAYS, "start": "11:00", "end": "15:00"},),
                    ),
                    DemoTeamLine(
                        "liza",
                        1,
                        "24.00",
                        hours=4,
                        blocks=((0, "18:00", "20:00"), (2, "18:00", "20:00")),
                    ),
                ),
                outcome="accepted",
            ),
        ),
    ),
    DemoJob(
        key="lonestar-front",
        client="lonestar",
        title="Patient inbox and appointment setting",
        description="Answer the booking line's messages, confirm tomorrow's appointments "
        "and keep the patient inbox at zero for four clinics in Austin.",
        starts_in_weeks=-4,
        duration_weeks=None,
        budget_kind="hourly",
        budget="28.00",
        roles=(
            {
                "skill": "appointment_setting",
                "title": "Front desk (remote)",
                "coverage": [{"days": WEEKDAYS, "start": "08:00", "end": "12:00"}],
            },
            {"skill": "inbox_management", "title": "Patient inbox", "hours": 8},
        ),
        pitches=(
            DemoPitch(
                collective="manila-va",
                coordinator="ana",
                message=MANILA_PITCH,
                bill_rates=("24.00", "24.00"),
                team=(
                    DemoTeamLine(
                        "rico",
                        0,
                        "19.00",
                        shifts=({"days": WEEKDAYS, "start": "08:00", "end": "12:00"},),
                    ),
                    DemoTeamLine(
                        "ana",
                        1,
                        "19.00",
                        hours=8,
                        # 15:00 in Manila is the same morning in Austin, winter
                        # and summer: at 13:00 the first Monday's block would be
                        # Sunday in Austin once US daylight saving ends, the day
                        # before the engagement began, and be refused.
                        blocks=tuple((day, "15:00", "17:00") for day in range(4)),
                    ),
                ),
                outcome="accepted",
            ),
        ),
    ),
    DemoJob(
        key="camden-tour",
        client="camden",
        title="Author tour travel and bookkeeping",
        description="Book trains and hotels for our authors' spring tour, and keep the "
        "shop's books in Xero up to date.",
        starts_in_weeks=-4,
        duration_weeks=12,
        budget_kind="total",
        budget="6000.00",
        roles=(
            {"skill": "travel_planning", "title": "Tour travel", "hours": 5},
            {"skill": "bookkeeping", "title": "Books", "hours": 6},
        ),
        pitches=(
            DemoPitch(
                collective="manila-va",
                coordinator="ana",
                message=MANILA_PITCH,
                bill_rates=("30.00", "30.00"),
                team=(
                    DemoTeamLine(
                        "ana",
                        0,
                        "24.00",
                        hours=5,
                        # After her Bondi shift, before her Lone Star inbox.
                        blocks=(
                            (1, "13:00", "15:00"),
                            (3, "13:00", "15:00"),
                            (4, "13:00", "14:00"),
                        ),
                    ),
                    DemoTeamLine(
                        "bea",
                        1,
                        "24.00",
                        hours=6,
                        blocks=tuple((day, "09:00", "11:00") for day in (0, 2, 4)),
                    ),
                ),
                outcome="accepted",
            ),
        ),
    ),
    DemoJob(
        key="bondi-weekend",
        client="bondi",
        title="Weekend live chat",
        description="Our web shop is busiest on weekends. Answer live chat on Saturdays "
        "and Sundays, Sydney time: sizes, orders, returns.",
        starts_in_weeks=2,
        duration_weeks=12,
        budget_kind="hourly",
        budget="30.00",
        roles=(
            {
                "skill": "live_chat",
                "title": "Weekend chat",
                "coverage": [{"days": ["sat", "sun"], "start": "09:00", "end": "17:00"}],
            },
        ),
        pitches=(
            DemoPitch(
                collective="manila-va",
                coordinator="ana",
                message=MANILA_PITCH
                + " Liza and Carlo share your weekends; the early Sydney morning is "
                "still open and we are recruiting for it.",
                bill_rates=("26.00",),
                team=(
                    DemoTeamLine(
                        "liza",
                        0,
                        "21.00",
                        shifts=({"days": ["sat", "sun"], "start": "12:00", "end": "16:00"},),
                    ),
                    DemoTeamLine(
                        "carlo",
                        0,
                        "21.00",
                        shifts=({"days": ["sat"], "start": "16:00", "end": "17:00"},),
                    ),
                ),
                outcome="sent",
            ),
        ),
    ),
    DemoJob(
        key="pacific-support",
        client="pacific",
        title="Customer support, California business hours",
        description="Email and chat support for a pet-food subscription shop, Monday to "
        "Friday 9 to 5 in San Francisco.",
        starts_in_weeks=1,
        duration_weeks=None,
        budget_kind="hourly",
        budget="26.00",
        roles=(
            {
                "skill": "customer_support",
                "title": "Support",
                "coverage": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
            },
        ),
        pitches=(
            DemoPitch(
                collective="remote-crew",
                coordinator="joy",
                # A draft without a team: "Propose a team" on it gives Jun's
                # nights in Cebu (08:00/09:00-15:00/16:00 in San Francisco)
                # and Sofía's late afternoons in Mexico City.
                message="Remote Crew covers the whole Pacific day from Cebu and Mexico City.",
                bill_rates=("22.00",),
                team=(),
                outcome="draft",
            ),
        ),
    ),
    DemoJob(
        key="pacific-social",
        client="pacific",
        title="Social media for a pet store",
        description="Three posts a week on Instagram and TikTok, replies to comments, "
        "and a monthly report.",
        starts_in_weeks=1,
        duration_weeks=24,
        budget_kind="total",
        budget="4800.00",
        roles=({"skill": "social_media", "title": "Social media", "hours": 10},),
    ),
    DemoJob(
        key="casaverde-books",
        client="casaverde",
        title="Month-end bookkeeping clean-up",
        description="A restaurant in Makati whose owner asked Ana about catching up on "
        "six months of receipts. Not posted anywhere: our lead.",
        starts_in_weeks=3,
        duration_weeks=6,
        budget_kind="total",
        budget="45000.00",
        roles=({"skill": "bookkeeping", "title": "Catch-up", "hours": 10},),
        lead_of="manila-va",
    ),
)

# Weeks before the current one, oldest first, and what happened to each:
# approved by the client, submitted and waiting, or still open.
WEEK_FATES: dict[int, str] = {-4: "approved", -3: "approved", -2: "approved", -1: "submitted"}


@dataclass(frozen=True)
class DemoAdjustment:
    job: str  # DemoJob.key
    login: str
    week: int  # relative to the current week
    minutes: int
    note: str


# One correction, to show how an approved week is changed: Ana's first Bondi
# shift ran 30 minutes short (a power cut in Manila).
ADJUSTMENT = DemoAdjustment(
    job="bondi-ea",
    login="ana",
    week=-4,
    minutes=-30,
    note="Power cut in Manila: the first Monday's shift ended 30 minutes early.",
)
