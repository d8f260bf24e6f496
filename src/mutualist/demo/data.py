"""The demo world that `mutualist demo` loads: three collectives and their people.

Everything is built through the real services (sign-up, profile edits,
collective creation, invitations, applications), so the demo data obeys the
same rules as anything a member types in, and a service that changes its rules
breaks the demo loudly instead of leaving it subtly wrong.

A collective is created at its founding (``DemoCollective.founded``, months
before the books, work and votes of the demo), its founders sign up then and
join a minute apart, travelling back in time (``time_machine``) as the other
demo loaders do: so a member has been in the collective since before the
demo's history began, as a rule that counts months of membership (the
income-gap fund's) expects. Applications and invitations still waiting are
made on the day the demo is loaded.

Loading is idempotent: a person is looked up by email, a collective by slug, a
membership by (collective, person) and an invitation by (collective, email)
before anything is created, so a second run creates nothing. The books
(``mutualist.demo.books``) are posted through the ledger's services under
idempotency keys, so a second run posts nothing either.

The demo never sends email: the addresses are made up (``@demo.mutualist.coop``)
and a real SMTP server must not be asked to deliver to them.

The people and collectives themselves are plain data in
``mutualist.demo.world``, re-exported here; their books are data in
``mutualist.demo.books_world``, posted by ``mutualist.demo.books``. The demo
app sits on top of every app; no app imports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import time_machine
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Invitation,
    Membership,
)
from mutualist.collectives.services import (
    CoworkingInput,
    collective_create,
    collective_update,
    invitation_accept,
    invitation_create,
    invitation_token,
    membership_apply,
)
from mutualist.demo.billing import billing_is_loaded, billing_load
from mutualist.demo.books import BOOKS, DemoBooks, books_ensure, books_keys, rates_ensure
from mutualist.demo.community import community_is_loaded, community_load
from mutualist.demo.governance import governance_is_loaded, governance_load
from mutualist.demo.governance_world import CREW, MANILA
from mutualist.demo.mutual import mutual_is_loaded, mutual_load
from mutualist.demo.work import contacts_ensure, work_is_loaded, work_load
from mutualist.demo.work_world import CLIENTS, CONTACTS, LEAD_CLIENTS
from mutualist.demo.world import (
    COLLECTIVES,
    DEMO_DOMAIN,
    PEOPLE,
    DemoCollective,
    DemoPerson,
    DemoWindow,
)
from mutualist.ledger.models import Transaction
from mutualist.members.models import User
from mutualist.members.services.accounts import email_mark_verified, user_signup
from mutualist.members.services.profiles import (
    profile_set_availability,
    profile_set_skills,
    profile_update,
)

__all__ = [
    "BOOKS",
    "CLIENTS",
    "COLLECTIVES",
    "CONTACTS",
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "DEMO_SENTINEL_EMAIL",
    "PEOPLE",
    "DemoBooks",
    "DemoCollective",
    "DemoLogin",
    "DemoPerson",
    "DemoResult",
    "DemoWindow",
    "demo_is_loaded",
    "demo_load",
    "demo_logins",
    "demo_logins_table",
]

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published on purpose: the demo login
# The account whose presence means "the demo has been loaded" (see ``demo_is_loaded``).
DEMO_SENTINEL_EMAIL = f"ana@{DEMO_DOMAIN}"

_NO_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# The founding members of a collective join this long after one another.
_JOINING_GAP = dt.timedelta(minutes=1)


@dataclass
class DemoResult:
    """What one load created; all zeros on a repeated run."""

    people: int = 0
    collectives: int = 0
    memberships: int = 0
    applications: int = 0
    invitations: int = 0
    transactions: int = 0  # ledger transactions posted
    clients: int = 0
    time_entries: int = 0
    invoices: int = 0  # issued, with their credit notes
    payments: int = 0
    payouts: int = 0
    proposals: int = 0
    votes: int = 0  # cast by members themselves
    proxies: int = 0
    funds: int = 0  # Manila's mutual funds, set up with their history
    fund_claims: int = 0
    posts: int = 0  # the blog's
    comments: int = 0

    @property
    def anything(self) -> bool:
        counts = (self.people, self.collectives, self.memberships, self.applications)
        billed = (self.invoices, self.payments, self.payouts)
        return (
            any(counts)
            or self.invitations > 0
            or self.transactions > 0
            or self.clients > 0
            or any(billed)
            or self.proposals > 0
            or self.funds > 0
            or self.posts > 0
            or self.comments > 0
        )

    def summary(self) -> str:
        if not self.anything:
            return "Demo data already present; nothing created."
        return (
            f"Demo data loaded: {self.people} people, {self.collectives} collectives, "
            f"{self.memberships} memberships, {self.applications} pending applications, "
            f"{self.invitations} pending invitations created; "
            f"{self.transactions} ledger transactions posted; "
            f"{self.clients} clients with their jobs, pitches and engagements, "
            f"{self.time_entries} time entries recorded; "
            f"{self.invoices} invoices and credit notes issued, "
            f"{self.payments} payments and {self.payouts} payouts recorded; "
            f"{self.proposals} proposals made, with {self.votes} votes and "
            f"{self.proxies} proxies."
            + (
                f" {self.funds} mutual funds set up, with {self.fund_claims} claims on them."
                if self.funds
                else ""
            )
            + (
                f" {self.posts} blog posts and {self.comments} comments written."
                if self.posts or self.comments
                else ""
            )
        )


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: str


@dataclass
class _World:
    users: dict[str, User] = field(default_factory=dict)
    collectives: dict[str, Collective] = field(default_factory=dict)


def demo_is_loaded() -> bool:
    """Ana is there and so is every demo transaction. A database loaded before
    the demo had books counts as not loaded, so ``demo --once`` adds them."""
    if not User.objects.filter(email__iexact=DEMO_SENTINEL_EMAIL).exists():
        return False
    keys = books_keys()
    if Transaction.objects.filter(idempotency_key__in=keys).count() != len(keys):
        return False
    return (
        work_is_loaded()
        and billing_is_loaded()
        and governance_is_loaded()
        and mutual_is_loaded()
        and community_is_loaded()
    )


def demo_load(
    *,
    people: Iterable[DemoPerson] = PEOPLE,
    collectives: Iterable[DemoCollective] = COLLECTIVES,
    books: Iterable[DemoBooks] = BOOKS,
    with_work: bool = True,
    with_billing: bool = True,
    with_governance: bool = True,
    with_mutual: bool = True,
    with_community: bool = True,
) -> DemoResult:
    """Create whatever of the demo world is missing, in one transaction.

    ``with_work`` adds the clients, jobs, pitches, engagements and weeks of
    time of ``mutualist.demo.work`` (it needs the default people and
    collectives). ``with_billing`` (which needs the work) adds billing
    settings, invoices, payments and payouts (``mutualist.demo.billing``).
    ``with_governance`` adds the decisions of Manila and Remote Crew
    (``mutualist.demo.governance``: proposals passed, failed, blocked and
    open, with votes and proxies); it needs the billing, after whose
    invoices Manila's bylaws change takes effect. ``with_mutual`` adds
    Manila's mutual funds (``mutualist.demo.mutual``: a sick member paid, a
    guarantee claim refilled, a top-up, a rule change under vote); it needs
    the decisions, whose 12 % bylaws its levies amend. ``with_community``
    adds the blog (``mutualist.demo.community``: posts with comments, one
    held for moderation), after the transaction, which it cannot run inside.
    Raises ``DomainError`` if a service refuses a piece of demo data (then
    nothing is written, but for the blog's posts and comments made before
    the refusal, which the next run completes).
    """
    result = DemoResult()
    world = _World()
    collectives = list(collectives)
    books_by_slug = {b.slug: b for b in books}
    signed_up = _sign_up_moments(collectives)
    with override_settings(EMAIL_BACKEND=_NO_EMAIL_BACKEND), transaction.atomic():
        for person in people:
            with _at(signed_up.get(person.login)):
                world.users[person.login] = _person_ensure(person, result)
        for spec in collectives:
            world.collectives[spec.slug] = _collective_ensure(spec, world, result)
        for spec in collectives:
            _memberships_ensure(spec, world, result)
        with_books = [spec for spec in collectives if spec.slug in books_by_slug]
        if with_books:
            rates_ensure()
        for spec in with_books:
            result.transactions += books_ensure(
                books=books_by_slug[spec.slug],
                collective=world.collectives[spec.slug],
                members={login: world.users[login] for login in spec.founders},
                coordinator=world.users[spec.coordinator],
            )
        contacts = contacts_ensure()
        if with_work and not work_is_loaded():
            result.time_entries += work_load(
                users=world.users, collectives=world.collectives, contacts=contacts
            )
            result.clients += len(CLIENTS) + len(LEAD_CLIENTS)
        if with_work and with_billing and not billing_is_loaded():
            billed = billing_load(users=world.users, collectives=world.collectives)
            result.invoices += billed.invoices + billed.credit_notes
            result.payments += billed.payments
            result.payouts += billed.payouts
        # After the billing, whose invoice dates place Manila's bylaws change.
        if (
            with_governance
            and {MANILA, CREW} <= world.collectives.keys()
            and billing_is_loaded()
            and not governance_is_loaded()
        ):
            decided = governance_load(users=world.users, collectives=world.collectives)
            result.proposals += decided.proposals
            result.votes += decided.votes
            result.proxies += decided.proxies
        if (
            with_mutual
            and MANILA in world.collectives
            and governance_is_loaded()
            and not mutual_is_loaded()
        ):
            funded = mutual_load(users=world.users, collectives=world.collectives)
            result.funds += funded.funds
            result.fund_claims += funded.claims
    # The blog, after the transaction: a visitor's comment spends its sum in
    # a transaction of its own (mutualist.demo.community).
    if with_community:
        with override_settings(EMAIL_BACKEND=_NO_EMAIL_BACKEND):
            blogged = community_load(users=world.users, collectives=world.collectives)
        result.posts += blogged.posts
        result.comments += blogged.comments
    return result


@contextmanager
def _at(moment: dt.datetime | None) -> Iterator[None]:
    """Services see ``moment`` as now (never later than the real now; None: now)."""
    if moment is None or moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def _sign_up_moments(collectives: Iterable[DemoCollective]) -> dict[str, dt.datetime]:
    """When each founder signed up: at the founding of the first collective
    they helped found. Everyone else signs up on the day the demo is loaded."""
    moments: dict[str, dt.datetime] = {}
    for spec in collectives:
        founded = spec.founded_at
        if founded is None:
            continue
        for login in spec.founders:
            if login not in moments or founded < moments[login]:
                moments[login] = founded
    return moments


def _person_ensure(person: DemoPerson, result: DemoResult) -> User:
    existing = User.objects.filter(email__iexact=person.email).first()
    if existing is not None:
        # Left as it is: someone exploring the demo may have edited their profile.
        return existing
    user = user_signup(
        email=person.email,
        password=DEMO_PASSWORD,
        display_name=person.name,
        timezone=person.timezone,
    )
    # The addresses are made up, so no one could follow a link; demo logins
    # behave like members who confirmed theirs (and no link is mailed).
    email_mark_verified(user=user)
    profile_update(
        user=user,
        display_name=person.name,
        headline=person.headline,
        bio=person.bio,
        country=person.country,
        city=person.city,
        timezone=person.timezone,
        languages=person.languages,
        rate=Decimal(person.rate),
        rate_currency=person.currency,
        weekly_capacity_hours=person.capacity,
        is_public=person.is_public,
    )
    profile_set_skills(user=user, skills=person.skills)
    profile_set_availability(
        user=user, windows=[item for window in person.availability for item in window.expand()]
    )
    result.people += 1
    return user


def _collective_ensure(spec: DemoCollective, world: _World, result: DemoResult) -> Collective:
    existing = Collective.objects.filter(slug=spec.slug).first()
    if existing is not None and (existing.postal_address or not spec.postal_address):
        return existing
    # A demo loaded before collectives kept a postal address gets the demo's
    # (written agreements need it); anything else someone edited stays.
    collective = existing
    if collective is None:
        with _at(spec.founded_at):
            collective = collective_create(
                creator=world.users[spec.coordinator],
                name=spec.name,
                slug=spec.slug,
                base_currency=spec.base_currency,
                description=spec.description,
                is_remote=spec.is_remote,
                city=spec.city,
                country=spec.country,
                treasury_percent=Decimal(spec.treasury_percent),
                admission_rule=spec.admission_rule,
                coworking=spec.coworking,
            )
    if spec.postal_address:
        collective = collective_update(
            collective=collective,
            actor=world.users[spec.coordinator],
            name=spec.name,
            description=spec.description,
            is_remote=spec.is_remote,
            city=spec.city,
            country=spec.country,
            coworking=spec.coworking if existing is None else _space_of(collective),
            postal_address=spec.postal_address,
        )
    if existing is None:
        result.collectives += 1
    return collective


def _space_of(collective: Collective) -> CoworkingInput | None:
    space = CoworkingSpace.objects.filter(collective=collective).first()
    if space is None:
        return None
    return CoworkingInput(name=space.name, address=space.address, opening_hours=space.opening_hours)


def _has_membership(collective: Collective, user: User) -> bool:
    return Membership.objects.filter(collective=collective, user=user).exists()


def _memberships_ensure(spec: DemoCollective, world: _World, result: DemoResult) -> None:
    collective = world.collectives[spec.slug]
    coordinator = world.users[spec.coordinator]
    founded = spec.founded_at
    if founded is not None and collective.created_at > founded:
        # Made by a demo from before founding dates: a member it lacks joins
        # today, not before the collective existed.
        founded = None
    for position, login in enumerate(spec.members, start=1):
        user = world.users[login]
        if _has_membership(collective, user):
            continue
        with _at(founded + _JOINING_GAP * position if founded is not None else None):
            if spec.admission_rule == Bylaws.AdmissionRule.OPEN:
                membership_apply(collective=collective, user=user, note="")
            else:
                invitation = invitation_create(
                    collective=collective, inviter=coordinator, email=user.email
                )
                invitation_accept(token=invitation_token(invitation), user=user)
        result.memberships += 1
    for login, note in spec.applicants:
        user = world.users[login]
        if _has_membership(collective, user):
            continue
        membership_apply(collective=collective, user=user, note=note)
        result.applications += 1
    for login, message in spec.invited:
        user = world.users[login]
        if (
            _has_membership(collective, user)
            or Invitation.objects.filter(collective=collective, email__iexact=user.email).exists()
        ):
            continue
        invitation_create(
            collective=collective, inviter=coordinator, email=user.email, message=message
        )
        result.invitations += 1


_ROLE_WORDS = {
    Membership.State.APPLIED: "applied to",
    Membership.State.INVITED: "invited to",
    Membership.State.LEFT: "left",
}


def _role(memberships: Iterable[Membership]) -> str:
    parts = []
    for membership in memberships:
        if membership.state == Membership.State.ACTIVE:
            words = "coordinator of" if membership.is_coordinator else "member of"
        else:
            words = _ROLE_WORDS[Membership.State(membership.state)]
        parts.append(f"{words} {membership.collective.slug}")
    return "; ".join(parts) or "no collective"


def demo_logins(*, people: Iterable[DemoPerson] = PEOPLE) -> list[DemoLogin]:
    """The demo accounts that exist, in the order of ``people`` and then the
    client contacts, with their roles."""
    order = [person.email for person in people] + [contact.email for contact in CONTACTS]
    users = {
        user.email: user
        for user in User.objects.filter(email__in=order)
        .select_related("profile")
        .prefetch_related("memberships__collective", "client_contacts__client")
    }
    logins = []
    for email in order:
        user = users.get(email)
        if user is None:
            continue
        memberships = sorted(
            user.memberships.all(),
            key=lambda m: (not m.is_coordinator, m.state != Membership.State.ACTIVE, m.pk),
        )
        role = _role(memberships)
        clients = [contact.client.name for contact in user.client_contacts.all()]
        if clients:
            acting = "contact of " + ", ".join(clients)
            role = acting if role == "no collective" else f"{role}; {acting}"
        logins.append(DemoLogin(email=email, name=user.display_name, role=role))
    return logins


def demo_logins_table(logins: Iterable[DemoLogin]) -> str:
    """A plain-text table of the logins, with the shared password above it."""
    rows = [("Email", "Name", "Role")] + [(x.email, x.name, x.role) for x in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]

    def line(cells: tuple[str, str, str]) -> str:
        return "  " + "  ".join(
            cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
        )

    rule = ("-" * widths[0], "-" * widths[1], "-" * widths[2])
    body = [line(rows[0]), line(rule)] + [line(row) for row in rows[1:]]
    header = f"Demo logins (every account's password: {DEMO_PASSWORD})"
    return "\n".join([header, "", *(text.rstrip() for text in body)])
