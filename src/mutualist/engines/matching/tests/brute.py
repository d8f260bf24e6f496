"""The cheapest team by brute force, to check the engine's optimum against.

Every team is tried: each subset of the members who are not excluded, up to
``max_team_size``, holding every pinned member. For a team, every way of
giving each coverage slot to one of its members and splitting each flexible
role's hours among them is searched exhaustively (depth first, cutting a
branch only when it cannot beat the cheapest team found so far), and the
assignment counts for that team only if each of its members gets at least
one hour, since the team is the members with hours. So each assignment is
counted under exactly one team, and the least cost over all of them is the
optimum by definition.

The slots and the free time come from ``validate`` (which shares no code
with the engine). Meant for tiny instances: about 6 members, 8 slots and a
few flexible hours.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from mutualist.engines.matching.instance import Instance
from mutualist.engines.matching.tests.validate import HOUR, holds, member_free, role_slots


def brute_force(instance: Instance) -> Decimal | None:
    """The least cost of a team keeping every rule, or ``None`` if there is none."""
    found = cheapest_teams(instance)
    return None if found is None else found[0]


def cheapest_teams(instance: Instance) -> tuple[Decimal, int] | None:
    """The least cost of a team keeping every rule, and the fewest members a
    team of that cost has; ``None`` if there is no such team."""
    monday = instance.week
    members = {m.id: m for m in instance.members if m.id not in instance.excluded}
    free = {member_id: member_free(m, monday) for member_id, m in members.items()}
    slots: list[tuple[str, dt.datetime, list[str]]] = []
    for role in instance.roles:
        for start in role_slots(role, monday):
            able = [
                member_id
                for member_id, m in members.items()
                if role.skill in m.skills and m.capacity > 0 and holds(free[member_id], start)
            ]
            if not able:
                return None
            slots.append((role.id, start, able))
    # Fewest choices first: a dead end shows sooner.
    slots.sort(key=lambda slot: (len(slot[2]), slot[1]))
    flexible = [
        (role.id, role.hours, [i for i, m in members.items() if role.skill in m.skills])
        for role in instance.roles
        if role.hours is not None
    ]
    limit = len(members) if instance.max_team_size is None else instance.max_team_size

    best: Decimal | None = None
    fewest = 0
    # Smaller teams first: a later team of the same cost is no smaller.
    for size in range(min(limit, len(members)) + 1):
        for team in itertools.combinations(members, size):
            if instance.pinned <= set(team):
                cost = _search_team(instance, members, team, slots, flexible, best)
                if cost is not None and (best is None or cost < best):
                    best, fewest = cost, size
    return None if best is None else (best, fewest)


def _search_team(instance, members, team, slots, flexible, bound) -> Decimal | None:
    """The least cost of ``team`` with every member given an hour at least,
    if it is no more than ``bound``."""
    best: list[Decimal | None] = [None]
    on_team = set(team)
    rate = {member_id: members[member_id].rate for member_id in team}
    cheapest = min(rate.values(), default=Decimal(0))
    hours = dict.fromkeys(team, 0)
    worked: dict[str, list[dt.datetime]] = {member_id: [] for member_id in team}
    roles_of: dict[str, set[str]] = {member_id: set() for member_id in team}
    flexible_total = sum(h for _role, h, _able in flexible)

    def may_take(member_id: str, role_id: str) -> bool:
        if hours[member_id] >= members[member_id].capacity:
            return False
        return not (instance.one_role_per_member and roles_of[member_id] - {role_id})

    def hopeless(cost: Decimal, units_left: int) -> bool:
        idle = sum(1 for member_id in team if hours[member_id] == 0)
        if idle > units_left:
            return True  # someone on the team would have no hours: another team's case
        least = cost + units_left * cheapest
        # Ties with the bound go on: another team of that cost may be smaller.
        return (bound is not None and least > bound) or (best[0] is not None and least >= best[0])

    def give(member_id: str, role_id: str, count: int) -> None:
        hours[member_id] += count
        if count:
            roles_of[member_id].add(role_id)

    def take(member_id: str, role_id: str, count: int, had_role: bool) -> None:
        hours[member_id] -= count
        if count and not had_role:
            roles_of[member_id].discard(role_id)

    def cover(index: int, cost: Decimal) -> None:
        if hopeless(cost, len(slots) - index + flexible_total):
            return
        if index == len(slots):
            split(0, 0, flexible[0][1] if flexible else 0, cost)
            return
        role_id, start, able = slots[index]
        for member_id in able:
            if member_id not in on_team or not may_take(member_id, role_id):
                continue
            if any(abs(start - other) < HOUR for other in worked[member_id]):
                continue  # a member staffs one role at a time
            had_role = role_id in roles_of[member_id]
            give(member_id, role_id, 1)
            worked[member_id].append(start)
            cover(index + 1, cost + rate[member_id])
            worked[member_id].pop()
            take(member_id, role_id, 1, had_role)

    def split(role_index: int, at: int, left: int, cost: Decimal) -> None:
        """Give ``left`` hours of flexible role ``role_index`` to its able
        members from the ``at``-th on."""
        later = sum(h for _role, h, _able in flexible[role_index + 1 :])
        if hopeless(cost, left + later):
            return
        if role_index == len(flexible):
            if all(hours[member_id] >= 1 for member_id in team):
                best[0] = cost
            return
        role_id, _hours, able = flexible[role_index]
        if at == len(able):
            if left == 0:
                following = flexible[role_index + 1][1] if role_index + 1 < len(flexible) else 0
                split(role_index + 1, 0, following, cost)
            return
        member_id = able[at]
        if member_id not in on_team:
            split(role_index, at + 1, left, cost)
            return
        had_role = role_id in roles_of[member_id]
        room = members[member_id].capacity - hours[member_id]
        for count in range(min(left, room), -1, -1):
            if count and instance.one_role_per_member and roles_of[member_id] - {role_id}:
                continue
            give(member_id, role_id, count)
            split(role_index, at + 1, left - count, cost + count * rate[member_id])
            take(member_id, role_id, count, had_role)

    cover(0, Decimal(0))
    return best[0]
