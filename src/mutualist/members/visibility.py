"""Who else may see an unpublished profile: rules other apps contribute.

A member's unpublished profile is visible to the people they work with, and
"working with" is defined by apps that depend on members (collectives: fellow
active members). They register a rule here in ``AppConfig.ready()``, so
members never imports them (DESIGN.md's arrows).

A rule takes the viewer and returns a ``Q`` over ``Profile`` rows that the
viewer may see; the rules are OR-ed together.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from mutualist.members.models import User

VisibilityRule = Callable[[User], Q]

_rules: dict[str, VisibilityRule] = {}


def register_profile_visibility(name: str, rule: VisibilityRule) -> None:
    _rules[name] = rule


def profiles_shared_with(viewer: User) -> Q:
    """Profiles that registered rules open to ``viewer``; nothing when none match."""
    combined = Q(pk__in=[])
    for rule in _rules.values():
        combined |= rule(viewer)
    return combined
