"""`mutualist collective ...`: operate collectives from the command line.

Every sub-command calls the same service as the web UI and the API, so a
refusal reads the same everywhere: one line on stderr and exit status 1.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mutualist.collectives import selectors, services
from mutualist.collectives.models import Bylaws, Collective, Membership
from mutualist.core.errors import DomainError
from mutualist.members.models import User


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No account with the email {email!r}.")
    return user


def _collective(slug: str) -> Collective:
    collective = Collective.objects.filter(slug=slug).first()
    if collective is None:
        raise CommandError(f"No collective with the slug {slug!r}.")
    return collective


class Command(BaseCommand):
    help = "List, create and invite to collectives."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        sub.add_parser("list", help="List collectives with their active member counts.")

        create = sub.add_parser("create", help="Create a collective; the creator coordinates it.")
        create.add_argument("--creator", required=True, help="Email of the creating member.")
        create.add_argument("--name", required=True)
        create.add_argument("--slug", required=True)
        create.add_argument("--currency", required=True, help="Base currency, ISO 4217.")
        create.add_argument("--city", default="")
        create.add_argument("--country", default="", help="ISO 3166 two-letter code.")
        create.add_argument("--remote", action="store_true")
        create.add_argument("--description", default="")
        create.add_argument("--treasury-percent", default="10")
        create.add_argument(
            "--admission", default=Bylaws.AdmissionRule.COORDINATOR, help="coordinator or open"
        )

        invite = sub.add_parser("invite", help="Invite someone by email.")
        invite.add_argument("slug")
        invite.add_argument("email")
        invite.add_argument("--by", required=True, help="Email of the inviting coordinator.")
        invite.add_argument("--role", default=Membership.Role.MEMBER)
        invite.add_argument("--message", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            with transaction.atomic(durable=True):
                getattr(self, f"_{action}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _list(self, options: dict[str, Any]) -> None:
        for collective in selectors.collective_list_directory():
            home = "remote" if collective.is_remote else f"{collective.city}, {collective.country}"
            count = getattr(collective, "active_members", 0)
            self.stdout.write(
                f"{collective.slug:<28} {collective.name:<36} {home:<22} {count} active"
            )

    def _create(self, options: dict[str, Any]) -> None:
        collective = services.collective_create(
            creator=_user(options["creator"]),
            name=options["name"],
            slug=options["slug"],
            base_currency=options["currency"],
            city=options["city"],
            country=options["country"],
            is_remote=options["remote"],
            description=options["description"],
            treasury_percent=options["treasury_percent"],
            admission_rule=options["admission"],
        )
        self.stdout.write(f"Created {collective.name} ({collective.slug}).")

    def _invite(self, options: dict[str, Any]) -> None:
        invitation = services.invitation_create(
            collective=_collective(options["slug"]),
            inviter=_user(options["by"]),
            email=options["email"],
            role=options["role"],
            message=options["message"],
        )
        self.stdout.write(
            f"Invited {invitation.email} to {invitation.collective.slug}; "
            f"the link expires {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        )
