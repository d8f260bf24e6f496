"""Written agreements: versioned, immutable documents both sides accept.

Each version carries a ``terms`` snapshot (both parties' names and
addresses, the itemised services with their weekly hours, bill rates and
weekly value, the total, the currency, the method of pay, the payment terms
and the payment date rule, the start date, the work and the pitch's
message: what New York City's Freelance Isn't Free Act asks a written
contract to say), the HTML document rendered from it once, and the SHA-256
of that HTML. Database triggers refuse any UPDATE or DELETE of a version or
an acceptance; a change is a new version.

Acceptance: a client contact accepts for the client, a coordinator for the
collective. Someone who is both must say for which party. Only the latest
version can be accepted; once both parties have accepted it, a ``pending``
engagement becomes ``active``. A revision (a new version from the
engagement's team as proposed) leaves an active engagement active: the
version both accepted before governs until both accept the new one. Each
version keeps the seats it proposes in ``terms["seats"]``; the seats (bill
rates, weekly caps, shifts, who is on the team) change only when both
parties have accepted that version, in the same transaction as the second
acceptance.

Every service here takes the engagement's row lock first, so versions are
numbered one at a time and two acceptances at the same moment (the client's
and the collective's) see each other: the second one activates the
engagement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Collective
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import Skill, User
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    ClientContact,
    Engagement,
    EngagementMember,
    EngagementShift,
)
from mutualist.work.selectors.pitches import (
    agreement_document,
    agreement_party_of,
    agreement_terms_for_engagement,
)
from mutualist.work.services.pitches import coordinator_only, coordinators_of

PARTIES = (AgreementAcceptance.Party.CLIENT.value, AgreementAcceptance.Party.COLLECTIVE.value)


def _lock(engagement: Engagement) -> Engagement:
    """The engagement row, locked for the rest of the transaction (only its
    own row: ``of`` keeps the client's and collective's rows free)."""
    return (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("client", "collective", "job", "pitch")
        .get(pk=engagement.pk)
    )


def agreement_create(
    *,
    engagement: Engagement,
    by: User,
    notify: bool = True,
    seats: Sequence[Mapping[str, Any]] | None = None,
) -> Agreement:
    """Create the next version of ``engagement``'s agreement proposing
    ``seats`` (``selectors.pitches.seat_proposal`` dicts; default: the team
    as proposed so far, ``engagement_team_proposed``) on its terms; both
    parties must accept it, and only then do the seats change.

    No permission check: callers (accepting a pitch, revising, changing the
    team) have made theirs. Refused while the collective has no postal
    address (``postal_address_required``). With ``notify``, the client's
    contacts and the collective's coordinators (but ``by``) are emailed
    after commit.
    """
    with transaction.atomic():
        locked = _lock(engagement)
        if not Collective.objects.get(pk=locked.collective_id).postal_address.strip():
            raise Conflict(
                f"Give {locked.collective.name} a postal address first: the written "
                "agreement names both parties' addresses.",
                code="postal_address_required",
            )
        latest = Agreement.objects.filter(engagement=locked).aggregate(v=Max("version"))["v"]
        version = (latest or 0) + 1
        terms = agreement_terms_for_engagement(engagement=locked, version=version, seats=seats)
        html = agreement_document(terms)
        try:
            with transaction.atomic():
                agreement = Agreement.objects.create(
                    engagement=locked,
                    version=version,
                    terms=terms,
                    html=html,
                    sha256=hashlib.sha256(html.encode()).hexdigest(),
                    created_by=by,
                )
        except IntegrityError:  # a version numbered twice: the lock should prevent it
            raise Conflict(
                "Another version was created at the same moment; try again.",
                code="agreement_version_taken",
            ) from None
        if notify:
            agreement_id, by_id = agreement.pk, by.pk
            transaction.on_commit(lambda: _email_agreement_ready(agreement_id, skip=by_id))
    return agreement


def agreement_revise(*, engagement: Engagement, by: User) -> Agreement:
    """A new version from the engagement's current team and rates
    (coordinators); both sides accept it again. The engagement keeps its
    status; an ended one has no new versions (``engagement_ended``)."""
    coordinator_only(by, engagement.collective_id, thing="engagement")
    with transaction.atomic():
        if _lock(engagement).status == Engagement.Status.ENDED:
            raise Conflict("This engagement has ended.", code="engagement_ended")
        return agreement_create(engagement=engagement, by=by)


def agreement_accept(
    *, agreement: Agreement, by: User, party: str | None = None
) -> AgreementAcceptance:
    """Accept ``agreement`` for the client (a client contact) or the
    collective (a coordinator). ``party`` may be left out unless ``by`` is
    both (``party_required``). Only the latest version
    (``agreement_superseded``), once per party
    (``agreement_already_accepted``). When both parties have accepted it, a
    pending engagement becomes active."""
    engagement = agreement.engagement
    parties = agreement_party_of(by, engagement)
    if party is None or party == "":
        if not parties:
            raise PermissionDenied(
                "Only the client's contacts and the collective's coordinators accept "
                "the agreement.",
                code="not_a_party",
            )
        if len(parties) > 1:
            raise ValidationFailed(
                "You act for both the client and the collective: say for which you accept.",
                code="party_required",
                field="party",
            )
        party = parties[0]
    elif party not in PARTIES:
        raise ValidationFailed(
            "The party is client or collective.", code="invalid_party", field="party"
        )
    elif party not in parties:
        raise PermissionDenied(f"You cannot accept for the {party}.", code="not_a_party")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(engagement)
        if locked.status == Engagement.Status.ENDED:
            raise Conflict("This engagement has ended.", code="engagement_ended")
        latest = Agreement.objects.filter(engagement=locked).aggregate(v=Max("version"))["v"]
        if agreement.version != latest:
            raise Conflict(
                f"Version {agreement.version} was replaced by version {latest}; accept that one.",
                code="agreement_superseded",
            )
        if AgreementAcceptance.objects.filter(agreement=agreement, party=party).exists():
            raise Conflict(
                f"The {party} has already accepted version {agreement.version}.",
                code="agreement_already_accepted",
            )
        try:
            with transaction.atomic():
                acceptance = AgreementAcceptance.objects.create(
                    agreement=agreement,
                    party=party,
                    user=by,
                    name=by.display_name[:120],
                    accepted_at=now,
                )
        except IntegrityError:
            raise Conflict(
                f"The {party} has already accepted version {agreement.version}.",
                code="agreement_already_accepted",
            ) from None
        accepted = set(
            AgreementAcceptance.objects.filter(agreement=agreement).values_list("party", flat=True)
        )
        if accepted >= set(PARTIES):
            if "seats" in agreement.terms:
                _seats_apply(locked, agreement.terms["seats"], now=now)
            Engagement.objects.filter(pk=locked.pk, status=Engagement.Status.PENDING).update(
                status=Engagement.Status.ACTIVE
            )
    return acceptance


def _seats_apply(
    engagement: Engagement, proposed: Sequence[Mapping[str, Any]], *, now: dt.datetime
) -> None:
    """Make the seats what a version both parties accepted says (call under
    the engagement's row lock). A seat not proposed leaves (``left_at``); a
    proposed one is updated, brought back (keeping its first ``joined_at``)
    or created; its shifts are replaced. A current seat keeps its pay rate
    (pay is not in the agreement and changes at once); a new or returning
    one takes the proposed pay rate."""
    wanted = {int(seat["user_id"]): seat for seat in proposed}
    live = {seat.user_id: seat for seat in EngagementMember.objects.filter(engagement=engagement)}
    EngagementMember.objects.filter(engagement=engagement, left_at__isnull=True).exclude(
        user_id__in=list(wanted)
    ).update(left_at=now)
    skills = {
        skill.slug: skill.pk
        for skill in Skill.objects.filter(slug__in=[s["skill"] for s in proposed if s["skill"]])
    }
    for user_id, terms in wanted.items():
        values: dict[str, Any] = {
            "role_title": terms["role_title"],
            "skill_id": skills.get(terms["skill"]) if terms["skill"] else None,
            "bill_rate_minor": terms["bill_rate_minor"],
            "weekly_cap_hours": terms["weekly_cap_hours"],
        }
        seat = live.get(user_id)
        if seat is None:
            seat = EngagementMember.objects.create(
                engagement=engagement,
                user_id=user_id,
                pay_rate_minor=terms["pay_rate_minor"],
                joined_at=now,
                **values,
            )
        else:
            if seat.left_at is not None:
                values["pay_rate_minor"] = terms["pay_rate_minor"]
            EngagementMember.objects.filter(pk=seat.pk).update(left_at=None, **values)
            EngagementShift.objects.filter(member=seat).delete()
        EngagementShift.objects.bulk_create(
            EngagementShift(member=seat, weekday=day, start_hour=start, end_hour=end)
            for day, start, end in terms["shifts"]
        )


# --- Emails (after commit) -------------------------------------------------------------


def _email_agreement_ready(agreement_id: int, *, skip: int | None = None) -> None:
    """To each side that has not accepted the version yet: the client's
    contacts and the collective's coordinators, one message each."""
    agreement = Agreement.objects.select_related(
        "engagement__client", "engagement__collective"
    ).get(pk=agreement_id)
    engagement = agreement.engagement
    accepted = {a.party for a in agreement.acceptances.all()}
    people: list[User] = []
    if AgreementAcceptance.Party.CLIENT not in accepted:
        people += [
            contact.user
            for contact in ClientContact.objects.filter(
                client_id=engagement.client_id, user__is_active=True
            ).select_related("user")
        ]
    if AgreementAcceptance.Party.COLLECTIVE not in accepted:
        people += coordinators_of(engagement.collective_id)
    url = settings.SITE_URL + reverse(
        "work:agreement", kwargs={"pk": engagement.pk, "version": agreement.version}
    )
    body = render_to_string("work/email/agreement_ready.txt", {"agreement": agreement, "url": url})
    for user in {person.pk: person for person in people if person.pk != skip}.values():
        send_mail(
            subject=f"Agreement v{agreement.version} for {engagement.title} is ready to accept",
            message=body,
            from_email=None,
            recipient_list=[user.email],
        )
