"""Who may see and act on what in the work domain.

- A client's contacts see their client, its jobs, the pitches sent to them,
  its engagements, agreements and timesheets. Never another client's.
- A collective's active members see its clients (those it recorded, sent a
  pitch to or works for) and leads, its pitches (drafts included), its
  engagements and agreements; a member sees their own time, and a
  coordinator the whole team's.
- Everyone sees public, open jobs on the board and the client's name on them.

Everything here answers 404 (``Http404``) to whoever may not know a thing
exists, and 403 (``PermissionDenied``) to someone who may see it but not do
what they asked.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import User
from mutualist.work.models import Client, ClientContact, Engagement, Job

Viewer = User | AnonymousUser


def active_collective_ids(user: Viewer) -> list[int]:
    """Collectives the viewer is an active member of."""
    if not isinstance(user, User):
        return []
    return list(
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values_list(
            "collective_id", flat=True
        )
    )


def coordinated_collective_ids(user: Viewer) -> list[int]:
    if not isinstance(user, User):
        return []
    return list(
        Membership.objects.filter(
            user=user, state=Membership.State.ACTIVE, role=Membership.Role.COORDINATOR
        ).values_list("collective_id", flat=True)
    )


def is_active_member(user: Viewer, collective_id: int) -> bool:
    return isinstance(user, User) and (
        Membership.objects.filter(
            user=user, collective_id=collective_id, state=Membership.State.ACTIVE
        ).exists()
    )


def is_coordinator(user: Viewer, collective_id: int) -> bool:
    return isinstance(user, User) and (
        Membership.objects.filter(
            user=user,
            collective_id=collective_id,
            state=Membership.State.ACTIVE,
            role=Membership.Role.COORDINATOR,
        ).exists()
    )


def require_coordinator(user: Viewer, collective: Collective) -> None:
    """403 for an active member who is not a coordinator (call after a
    selector has shown the viewer may see the thing at all)."""
    if not is_coordinator(user, collective.pk):
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )


def client_ids_of_contact(user: Viewer) -> list[int]:
    """Clients the viewer acts for in the portal."""
    if not isinstance(user, User):
        return []
    return list(ClientContact.objects.filter(user=user).values_list("client_id", flat=True))


def is_client_contact(user: Viewer, client_id: int) -> bool:
    return isinstance(user, User) and (
        ClientContact.objects.filter(user=user, client_id=client_id).exists()
    )


def clients_visible_to(user: Viewer) -> QuerySet[Client]:
    """Clients the viewer acts for, and clients that collectives the viewer is
    active in recorded, sent a pitch to or work for.

    A draft pitch does not count: any coordinator can start one for any
    public job, and it would show the client's billing address, tax id and
    contacts to their whole collective before the client has heard from it.
    """
    if not isinstance(user, User):
        return Client.objects.none()
    collectives = active_collective_ids(user)
    return Client.objects.filter(
        Q(pk__in=client_ids_of_contact(user))
        | Q(collective_id__in=collectives)
        | Q(
            Exists(
                Job.objects.filter(
                    client=OuterRef("pk"),
                    pitches__collective__in=collectives,
                    pitches__sent_at__isnull=False,
                )
            )
        )
        | Q(Exists(Engagement.objects.filter(client=OuterRef("pk"), collective__in=collectives)))
    )


def client_get_for_user(*, user: Viewer, pk: int) -> Client:
    client = clients_visible_to(user).filter(pk=pk).first()
    if client is None:
        raise Http404("No such client.")
    return client


def client_get_for_contact(*, user: Viewer, pk: int) -> Client:
    """A client the viewer acts for; 404 for everyone else."""
    if not is_client_contact(user, pk):
        raise Http404("No such client.")
    return Client.objects.get(pk=pk)


def jobs_visible_to(user: Viewer) -> QuerySet[Job]:
    """Public jobs, the jobs the viewer's clients posted, their collectives'
    leads, and jobs their collectives have pitched for. A lead is the
    collective's private note: the client's own contacts do not see it."""
    public = Q(visibility=Job.Visibility.PUBLIC)
    if not isinstance(user, User):
        return Job.objects.filter(public)
    collectives = active_collective_ids(user)
    return Job.objects.filter(
        public
        | Q(client_id__in=client_ids_of_contact(user), collective__isnull=True)
        | Q(collective_id__in=collectives)
        | Q(Exists(Job.objects.filter(pk=OuterRef("pk"), pitches__collective__in=collectives)))
    )


def job_get_for_user(*, user: Viewer, pk: int) -> Job:
    job = jobs_visible_to(user).select_related("client").filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job


def engagements_visible_to(user: Viewer) -> QuerySet[Engagement]:
    """Engagements of the viewer's collectives and of the clients they act for."""
    if not isinstance(user, User):
        return Engagement.objects.none()
    return Engagement.objects.filter(
        Q(collective_id__in=active_collective_ids(user))
        | Q(client_id__in=client_ids_of_contact(user))
    )


def engagement_get_for_user(*, user: Viewer, pk: int) -> Engagement:
    engagement = (
        engagements_visible_to(user).select_related("client", "collective").filter(pk=pk).first()
    )
    if engagement is None:
        raise Http404("No such engagement.")
    return engagement


def engagement_side(user: Viewer, engagement: Engagement) -> str | None:
    """ "coordinator", "member" (of the collective), "client" (a contact) or None."""
    if is_coordinator(user, engagement.collective_id):
        return "coordinator"
    if is_active_member(user, engagement.collective_id):
        return "member"
    if is_client_contact(user, engagement.client_id):
        return "client"
    return None
