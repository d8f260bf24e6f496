"""`mutualist member ...`: look at and correct a member's profile from the shell.

Calls the same services as the web UI and the API; a refusal is one line on
stderr and exit status 1, and changes nothing.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mutualist.core.errors import DomainError
from mutualist.core.reference import from_minor_units
from mutualist.members.availability import weekly_hours
from mutualist.members.models import User
from mutualist.members.selectors import profile_get_own, profile_windows
from mutualist.members.services.profiles import profile_set_availability, profile_update


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No account with the email {email!r}.")
    return user


def _parse_window(text: str) -> dict[str, object]:
    """``"mon 09:00-17:00"`` to the mapping the availability service takes."""
    try:
        day, span = text.split()
        start, end = span.split("-")
    except ValueError:
        raise CommandError(f"{text!r} is not a window; write it like 'mon 09:00-17:00'.") from None
    return {"weekday": day, "start": start, "end": end}


class Command(BaseCommand):
    help = "Show a member's profile, or set their time zone, rate, capacity or availability."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="Print a member's profile.")
        show.add_argument("email")

        profile = sub.add_parser("profile", help="Change profile fields; others stay as they are.")
        profile.add_argument("email")
        profile.add_argument("--timezone")
        profile.add_argument("--rate", help="Hourly rate, e.g. 12.50")
        profile.add_argument("--currency", help="Currency of the rate, ISO 4217")
        profile.add_argument("--capacity", type=int, help="Weekly capacity in hours")

        availability = sub.add_parser(
            "availability",
            help="Replace weekly availability, e.g. 'mon 09:00-17:00' 'fri 22:00-06:00'.",
        )
        availability.add_argument("email")
        availability.add_argument("windows", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        user = _user(options["email"])
        try:
            with transaction.atomic(durable=True):
                if options["action"] == "profile":
                    self._profile(user, options)
                elif options["action"] == "availability":
                    profile_set_availability(
                        user=user, windows=[_parse_window(w) for w in options["windows"]]
                    )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self._show(user)

    def _profile(self, user: User, options: dict[str, Any]) -> None:
        profile = profile_get_own(user=user)
        currency = options["currency"] or profile.rate_currency
        if options["rate"] is not None:
            rate: str | None = options["rate"]
        elif profile.rate_minor is not None:
            rate = str(from_minor_units(profile.rate_minor, profile.rate_currency))
        else:
            rate = None
        profile_update(
            user=user,
            display_name=profile.display_name,
            headline=profile.headline,
            bio=profile.bio,
            country=profile.country,
            city=profile.city,
            timezone=options["timezone"] or profile.timezone,
            languages=[language.code for language in profile.languages.all()],
            rate=rate,
            rate_currency=currency,
            weekly_capacity_hours=(
                options["capacity"]
                if options["capacity"] is not None
                else profile.weekly_capacity_hours
            ),
            is_public=profile.is_public,
        )

    def _show(self, user: User) -> None:
        profile = profile_get_own(user=user)
        rate = (
            f"{from_minor_units(profile.rate_minor, profile.rate_currency)} {profile.rate_currency}/h"
            if profile.rate_minor is not None
            else "not set"
        )
        windows = profile_windows(profile)
        self.stdout.write(f"{profile.display_name} (@{profile.handle})")
        self.stdout.write(f"  time zone   {profile.timezone}")
        self.stdout.write(f"  rate        {rate}")
        self.stdout.write(f"  capacity    {profile.weekly_capacity_hours} h/week")
        self.stdout.write(f"  available   {weekly_hours(windows)} h/week")
        for window in windows:
            self.stdout.write(f"              {window.label()}")
