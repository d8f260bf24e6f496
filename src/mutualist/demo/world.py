"""The demo world as plain data: its people and its three collectives.

Only the shapes and the values live here; ``mutualist.demo.data`` loads them
through the real services. Logins are the part of an email address before
``@demo.mutualist.coop`` and tie people to the collectives they coordinate,
join, apply to or are invited to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from mutualist.collectives.models import Bylaws
from mutualist.collectives.services import CoworkingInput
from mutualist.members.availability import DAY_NAMES

DEMO_DOMAIN = "demo.mutualist.coop"


@dataclass(frozen=True)
class DemoWindow:
    """Weekly availability: ``days`` like ``"mon-fri"`` or ``"mon,wed,fri"``; an
    ``end`` at or before ``start`` runs past midnight."""

    days: str
    start: str
    end: str

    def expand(self) -> list[dict[str, object]]:
        return [{"weekday": day, "start": self.start, "end": self.end} for day in _days(self.days)]


def _days(spec: str) -> list[str]:
    days: list[str] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        i = DAY_NAMES.index(first)
        j = DAY_NAMES.index(last) if last else i
        days.extend(DAY_NAMES[i : j + 1])
    return days


@dataclass(frozen=True)
class DemoPerson:
    login: str  # the part of the email before @demo.mutualist.coop
    name: str
    city: str
    country: str
    timezone: str
    headline: str
    bio: str
    languages: tuple[str, ...]
    skills: Mapping[str, int]  # skill slug -> level 1 (learning) .. 3 (expert)
    rate: str  # hourly, in ``currency``
    currency: str
    capacity: int  # hours per week
    availability: tuple[DemoWindow, ...]
    is_public: bool = True

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoCollective:
    slug: str
    name: str
    description: str
    coordinator: str  # login of the founding coordinator
    base_currency: str
    is_remote: bool = False
    city: str = ""
    country: str = ""
    admission_rule: str = Bylaws.AdmissionRule.COORDINATOR
    treasury_percent: str = "10"
    coworking: CoworkingInput | None = None
    # Where the collective can be written to (written agreements name it).
    postal_address: str = ""
    # When the coordinator created it (ISO 8601, with the UTC offset of its
    # home): the founding members sign up and join from then, a minute apart,
    # in the order of ``members``; empty: the moment the demo is loaded. The
    # collectives' books open on 30 June 2026, so they were founded before.
    founded: str = ""
    # Joined through the real flow: an accepted invitation, or an application
    # under open admission.
    members: tuple[str, ...] = ()
    # (login, note): applications waiting for a coordinator.
    applicants: tuple[tuple[str, str], ...] = ()
    # (login, message): invitations left open.
    invited: tuple[tuple[str, str], ...] = ()

    @property
    def founded_at(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.founded) if self.founded else None

    @property
    def founders(self) -> tuple[str, ...]:
        """The coordinator, then the members who joined at the founding."""
        return (self.coordinator, *self.members)


W = DemoWindow

PEOPLE: tuple[DemoPerson, ...] = (
    # --- Manila Virtual Assistants -------------------------------------------------
    DemoPerson(
        login="ana",
        name="Ana Reyes",
        city="Manila",
        country="PH",
        timezone="Asia/Manila",
        headline="Executive assistant for founders in three time zones",
        bio="Ten years of calendars, inboxes and travel for busy founders. "
        "Coordinator of Manila Virtual Assistants.",
        languages=("en", "fil"),
        skills={
            "calendar_management": 3,
            "inbox_management": 3,
            "travel_planning": 3,
            "project_management": 2,
        },
        rate="650",
        currency="PHP",
        capacity=40,
        availability=(W("mon-fri", "08:00", "17:00"),),
    ),
    DemoPerson(
        login="paolo",
        name="Paolo Santos",
        city="Quezon City",
        country="PH",
        timezone="Asia/Manila",
        headline="Night-shift customer support for US e-commerce",
        bio="I cover the US business day from Manila: chat, email and returns.",
        languages=("en", "fil"),
        skills={"customer_support": 3, "live_chat": 3, "email_support": 2, "ecommerce": 1},
        rate="450",
        currency="PHP",
        capacity=40,
        # The graveyard shift: 22:00 to 06:00 the next morning, Manila time.
        availability=(W("mon-fri", "22:00", "06:00"),),
    ),
    DemoPerson(
        login="bea",
        name="Bea Mendoza",
        city="Makati",
        country="PH",
        timezone="Asia/Manila",
        headline="Bookkeeper (Xero, QuickBooks) for small agencies",
        bio="Monthly close, payroll runs and chasing unpaid invoices politely.",
        languages=("en", "fil"),
        skills={"bookkeeping": 3, "invoicing": 3, "payroll": 2, "tax_preparation": 1},
        rate="800",
        currency="PHP",
        capacity=30,
        availability=(W("mon-fri", "09:00", "15:00"),),
    ),
    DemoPerson(
        login="carlo",
        name="Carlo Bautista",
        city="Pasig",
        country="PH",
        timezone="Asia/Manila",
        headline="Social media and short video for lifestyle brands",
        bio="Content calendars, Reels and TikTok edits, community replies.",
        languages=("en", "fil"),
        skills={"social_media": 3, "video_editing": 2, "graphic_design": 2, "content_writing": 2},
        rate="550",
        currency="PHP",
        capacity=35,
        availability=(W("mon-thu", "13:00", "21:00"), W("sat", "10:00", "14:00")),
    ),
    DemoPerson(
        login="liza",
        name="Liza Garcia",
        city="Taguig",
        country="PH",
        timezone="Asia/Manila",
        headline="Data entry and transcription, fast and careful",
        bio="Part-time while studying accountancy; evenings and weekends.",
        languages=("en", "fil"),
        skills={"data_entry": 3, "transcription": 3, "web_research": 2},
        rate="380",
        currency="PHP",
        capacity=20,
        availability=(W("mon,wed,fri", "18:00", "23:00"), W("sat-sun", "09:00", "13:00")),
    ),
    DemoPerson(
        login="rico",
        name="Rico Dela Cruz",
        city="Manila",
        country="PH",
        timezone="Asia/Manila",
        headline="Appointment setter for US real-estate teams",
        bio="Cold calls and booked meetings during US mornings.",
        languages=("en", "fil"),
        skills={"cold_calling": 3, "appointment_setting": 3, "lead_generation": 2},
        rate="500",
        currency="PHP",
        capacity=40,
        availability=(W("mon-fri", "21:00", "05:00"),),
    ),
    DemoPerson(
        login="marisol",
        name="Marisol Dizon",
        city="Davao City",
        country="PH",
        timezone="Asia/Manila",
        headline="WordPress and SEO for service businesses",
        bio="Site care plans, technical SEO audits and page speed work.",
        languages=("ceb", "en", "fil"),
        skills={"wordpress": 3, "seo": 3, "web_development": 2},
        rate="700",
        currency="PHP",
        capacity=40,
        availability=(W("mon-fri", "10:00", "18:00"),),
    ),
    # --- Remote Crew ------------------------------------------------------------------
    DemoPerson(
        login="joy",
        name="Joy Villanueva",
        city="Cebu City",
        country="PH",
        timezone="Asia/Manila",
        headline="Operations manager for remote teams; HubSpot admin",
        bio="I keep projects, CRMs and newsletters running. Coordinator of Remote Crew.",
        languages=("ceb", "en", "fil"),
        skills={"project_management": 3, "crm_administration": 3, "email_marketing": 2},
        rate="900",
        currency="PHP",
        capacity=40,
        availability=(W("mon-fri", "07:00", "12:00"), W("mon-fri", "19:00", "22:00")),
    ),
    DemoPerson(
        login="jun",
        name="Jun Abellana",
        city="Cebu City",
        country="PH",
        timezone="Asia/Manila",
        headline="Tier-2 technical support, SaaS and hosting",
        bio="Ticket triage, DNS and email deliverability problems, on the US clock.",
        languages=("ceb", "en"),
        skills={"technical_support": 3, "customer_support": 2, "live_chat": 2},
        # Remote Crew invoices in US dollars, and its members quote in them.
        rate="8.50",
        currency="USD",
        capacity=40,
        # Monday to Friday nights, the American business day; Friday's shift
        # ends on Saturday morning (07:00-15:00 in San Francisco in winter).
        availability=(W("mon-fri", "23:00", "07:00"),),
    ),
    DemoPerson(
        login="ramil",
        name="Ramil Gonzaga",
        city="Davao City",
        country="PH",
        timezone="Asia/Manila",
        headline="Video editor and motion graphics",
        bio="YouTube long-form, podcasts cut into clips, explainer animations.",
        languages=("ceb", "en", "fil"),
        skills={"video_editing": 3, "graphic_design": 3},
        rate="600",
        currency="PHP",
        capacity=30,
        availability=(W("mon-fri", "13:00", "19:00"),),
    ),
    DemoPerson(
        login="tunde",
        name="Tunde Adebayo",
        city="Lagos",
        country="NG",
        timezone="Africa/Lagos",
        headline="Shopify and WordPress developer",
        bio="Store builds, theme fixes and payment integrations for African and UK shops.",
        languages=("en", "yo"),
        skills={"web_development": 3, "ecommerce": 3, "wordpress": 2},
        rate="15000",
        currency="NGN",
        capacity=40,
        availability=(W("mon-fri", "09:00", "17:00"),),
    ),
    DemoPerson(
        login="funmi",
        name="Funmilayo Adeyemi",
        city="Lagos",
        country="NG",
        timezone="Africa/Lagos",
        headline="Copywriter for fintech and health brands",
        bio="Landing pages, email sequences and long-form articles that rank.",
        languages=("en", "yo"),
        skills={"copywriting": 3, "content_writing": 3, "seo": 2, "email_marketing": 1},
        rate="12000",
        currency="NGN",
        capacity=30,
        availability=(W("mon-fri", "10:00", "16:00"), W("sat", "10:00", "13:00")),
    ),
    DemoPerson(
        login="chidi",
        name="Chidi Eze",
        city="Lagos",
        country="NG",
        timezone="Africa/Lagos",
        headline="Tax and bookkeeping for freelancers",
        bio="Quarterly filings, expense tracking and year-end accounts.",
        languages=("en", "ig"),
        skills={"tax_preparation": 3, "bookkeeping": 2, "invoicing": 2},
        rate="14000",
        currency="NGN",
        capacity=25,
        availability=(W("mon-thu", "08:00", "14:00"),),
        # Visible only to fellow members of Remote Crew.
        is_public=False,
    ),
    DemoPerson(
        login="sofia",
        name="Sofía Álvarez",
        city="Mexico City",
        country="MX",
        timezone="America/Mexico_City",
        headline="Bilingual support and translation (English/Spanish)",
        bio="Support inboxes and help-centre translation for Latin American launches.",
        languages=("en", "es"),
        skills={"customer_support": 3, "translation": 3, "email_support": 2},
        rate="13.00",
        currency="USD",
        capacity=35,
        # Mornings, and late afternoons into the Pacific afternoon (no daylight
        # saving in Mexico City: 15:00-19:00 is 13:00-17:00 in San Francisco
        # in winter, 14:00-18:00 in summer).
        availability=(W("mon-fri", "08:00", "13:00"), W("mon-fri", "15:00", "19:00")),
    ),
    DemoPerson(
        login="priya",
        name="Priya Nair",
        city="Kochi",
        country="IN",
        timezone="Asia/Kolkata",
        headline="Market and web research, competitor analysis",
        bio="Desk research with sources you can check, delivered as clear briefs.",
        languages=("en", "hi", "ml"),
        skills={"market_research": 3, "research": 3, "web_research": 3, "data_entry": 1},
        rate="900",
        currency="INR",
        capacity=30,
        availability=(W("mon-fri", "10:30", "16:30"),),
    ),
    # --- Nairobi Virtual Office ---------------------------------------------------------
    DemoPerson(
        login="wanjiru",
        name="Wanjiru Kamau",
        city="Nairobi",
        country="KE",
        timezone="Africa/Nairobi",
        headline="Project manager and bookkeeper for NGOs",
        bio="Donor reporting, budgets and keeping small teams on schedule. "
        "Coordinator of Nairobi Virtual Office.",
        languages=("en", "ki", "sw"),
        skills={"project_management": 3, "bookkeeping": 2, "research": 2},
        rate="1500",
        currency="KES",
        capacity=40,
        availability=(W("mon-fri", "08:00", "17:00"),),
    ),
    DemoPerson(
        login="otieno",
        name="Otieno Odhiambo",
        city="Nairobi",
        country="KE",
        timezone="Africa/Nairobi",
        headline="Evening and overnight live-chat support",
        bio="Covering European evenings and US afternoons from Nairobi.",
        languages=("en", "luo", "sw"),
        skills={"live_chat": 3, "customer_support": 3, "email_support": 2},
        rate="900",
        currency="KES",
        capacity=40,
        # Sunday to Thursday, 20:00 until 04:00 the next morning.
        availability=(W("sun", "20:00", "04:00"), W("mon-thu", "20:00", "04:00")),
    ),
    DemoPerson(
        login="amina",
        name="Amina Hassan",
        city="Mombasa",
        country="KE",
        timezone="Africa/Nairobi",
        headline="Translator and transcriber: Swahili, English, Arabic",
        bio="Interviews, subtitles and documents, with a second reader on every job.",
        languages=("ar", "en", "sw"),
        skills={"translation": 3, "transcription": 3},
        rate="1200",
        currency="KES",
        capacity=30,
        availability=(W("mon-fri", "09:00", "13:00"), W("mon-thu", "15:00", "18:00")),
    ),
    DemoPerson(
        login="kevin",
        name="Kevin Mutua",
        city="Nairobi",
        country="KE",
        timezone="Africa/Nairobi",
        headline="Data entry, lead lists and CRM clean-up",
        bio="Spreadsheets tidied, duplicates merged, lists verified.",
        languages=("en", "sw"),
        skills={"data_entry": 3, "lead_generation": 2, "market_research": 2},
        rate="800",
        currency="KES",
        capacity=40,
        availability=(W("mon-sat", "07:00", "13:00"),),
    ),
    DemoPerson(
        login="faith",
        name="Faith Njeri",
        city="Nairobi",
        country="KE",
        timezone="Africa/Nairobi",
        headline="Community manager for creator brands",
        bio="Discord and Facebook groups, newsletters and social calendars.",
        languages=("en", "ki", "sw"),
        skills={"community_management": 3, "social_media": 3, "email_marketing": 2},
        rate="1300",
        currency="KES",
        capacity=35,
        availability=(W("mon-fri", "11:00", "19:00"),),
    ),
    DemoPerson(
        login="brian",
        name="Brian Kiprop",
        city="Nairobi",
        country="KE",
        timezone="Africa/Nairobi",
        headline="CRM administrator (Salesforce, Zoho) and web developer",
        bio="Pipelines, automations and the small integrations between them.",
        languages=("en", "sw"),
        skills={"crm_administration": 3, "web_development": 2, "project_management": 1},
        rate="1800",
        currency="KES",
        capacity=40,
        availability=(W("mon-fri", "09:00", "18:00"),),
    ),
    DemoPerson(
        login="daniel",
        name="Daniel Mensah",
        city="Accra",
        country="GH",
        timezone="Africa/Accra",
        headline="Payroll and bookkeeping across West Africa",
        bio="Multi-country payroll, statutory filings and reconciliations.",
        languages=("ak", "en"),
        skills={"payroll": 3, "bookkeeping": 3, "invoicing": 2},
        rate="180",
        currency="GHS",
        capacity=30,
        availability=(W("mon-fri", "09:00", "16:00"),),
    ),
    # --- Applicants and people not (yet) in a collective -----------------------------
    DemoPerson(
        login="grace",
        name="Grace Villareal",
        city="Baguio",
        country="PH",
        timezone="Asia/Manila",
        headline="Virtual assistant: inbox, calendar, travel",
        bio="Former hotel front-office supervisor, now a full-time VA.",
        languages=("en", "fil"),
        skills={"inbox_management": 2, "calendar_management": 2, "travel_planning": 3},
        rate="420",
        currency="PHP",
        capacity=40,
        availability=(W("mon-fri", "08:00", "16:00"),),
    ),
    DemoPerson(
        login="mark",
        name="Mark Tan",
        city="Iloilo City",
        country="PH",
        timezone="Asia/Manila",
        headline="Lead generation and LinkedIn outreach",
        bio="Researched prospect lists and polite, personal outreach.",
        languages=("en", "fil", "hil"),
        skills={"lead_generation": 3, "web_research": 2, "cold_calling": 1},
        rate="400",
        currency="PHP",
        capacity=40,
        availability=(W("mon-fri", "20:00", "02:00"),),
    ),
    DemoPerson(
        login="emily",
        name="Emily Clarke",
        city="Sydney",
        country="AU",
        timezone="Australia/Sydney",
        headline="Agency owner looking for a reliable support team",
        bio="Runs a small digital agency; evaluating collectives for overflow work.",
        languages=("en",),
        skills={"project_management": 3, "copywriting": 2},
        rate="95",
        currency="AUD",
        capacity=20,
        availability=(W("mon-fri", "09:00", "13:00"),),
    ),
    DemoPerson(
        login="lucas",
        name="Lucas Ferreira",
        city="Lisbon",
        country="PT",
        timezone="Europe/Lisbon",
        headline="Graphic designer, brand identities",
        bio="Logos, brand guides and pitch decks for early-stage startups.",
        languages=("en", "es", "pt"),
        skills={"graphic_design": 3, "video_editing": 1},
        rate="35",
        currency="EUR",
        capacity=25,
        availability=(W("mon-fri", "10:00", "18:00"),),
    ),
)

COLLECTIVES: tuple[DemoCollective, ...] = (
    DemoCollective(
        slug="manila-va",
        name="Manila Virtual Assistants",
        description="A cooperative of virtual assistants in Metro Manila and beyond: "
        "executive support, customer care around the clock, bookkeeping and social media.",
        coordinator="ana",
        base_currency="PHP",
        city="Manila",
        country="PH",
        treasury_percent="10",
        coworking=CoworkingInput(
            name="Salcedo Hub Co-working",
            address="7/F Salcedo Tower, 169 H.V. dela Costa Street, Salcedo Village, "
            "Makati City, 1227 Metro Manila, Philippines",
            opening_hours="Mon-Fri 07:00-23:00; Sat 09:00-18:00; night-shift members: "
            "24 hours with a key card",
        ),
        postal_address="Manila Virtual Assistants Cooperative\n7/F Salcedo Tower, "
        "169 H.V. dela Costa Street\nSalcedo Village, Makati City 1227\nPhilippines",
        founded="2026-06-01T09:00:00+08:00",
        members=("paolo", "bea", "carlo", "liza", "rico", "marisol"),
        applicants=(
            ("grace", "Five years in hotel front office; I would love to join the EA team."),
            ("mark", "I do lead generation on Philippine nights; can cover US mornings."),
        ),
    ),
    DemoCollective(
        slug="remote-crew",
        name="Remote Crew",
        description="Fully remote, spread from Cebu and Davao to Lagos: web, support, "
        "content and finance for small businesses. We invoice in US dollars.",
        coordinator="joy",
        base_currency="USD",
        is_remote=True,
        treasury_percent="8",
        # Marisol also belongs to Manila Virtual Assistants.
        postal_address="Remote Crew Cooperative\nUnit 4B, Ayala Center Cebu\n"
        "Cebu Business Park, Cebu City 6000\nPhilippines",
        founded="2026-04-06T09:00:00+08:00",
        members=("jun", "ramil", "tunde", "funmi", "chidi", "sofia", "priya", "marisol"),
        invited=(("amina", "We need Swahili and Arabic translation for a new client; join us?"),),
    ),
    DemoCollective(
        slug="nairobi-vo",
        name="Nairobi Virtual Office",
        description="Virtual office services from Nairobi and Mombasa: support, "
        "translation, data and CRM work. Open admission: anyone may join.",
        coordinator="wanjiru",
        base_currency="KES",
        city="Nairobi",
        country="KE",
        admission_rule=Bylaws.AdmissionRule.OPEN,
        treasury_percent="12.5",
        founded="2026-05-11T09:00:00+03:00",
        members=("otieno", "amina", "kevin", "faith", "brian", "daniel"),
    ),
)
