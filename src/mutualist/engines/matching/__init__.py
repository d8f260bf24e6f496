"""The team matching engine: the cheapest team that covers a job's hours.

Pure Python with NumPy and SciPy; never imports Django. The model is a
mixed-integer linear programme solved by HiGHS (``scipy.optimize.milp``):

- every hour slot of a coverage role is staffed by exactly one member who has
  the role's skill and whose availability holds that whole hour;
- a member staffs at most one coverage role at a time;
- a flexible role gets its hours, in any split, from members with its skill;
- a member's hours never exceed their capacity;
- the team (members with at least one hour) has at most ``max_team_size``;
- the cost, the sum of hours x rate, is the least possible.

Public::

    solve(instance, *, time_limit=None) -> MatchResult
    parse_instance(data) -> Instance          # InstanceError names the field

``docs/matching.md`` is the reference for the instance and the answer.
"""

from __future__ import annotations

from mutualist.engines.matching.instance import (
    Instance,
    InstanceError,
    Member,
    Role,
    Window,
    parse_instance,
)
from mutualist.engines.matching.result import (
    FEASIBLE,
    INFEASIBLE,
    OPTIMAL,
    UNKNOWN,
    MatchResult,
    Shift,
    TeamLine,
    Uncovered,
)
from mutualist.engines.matching.solver import solve

__all__ = [
    "FEASIBLE",
    "INFEASIBLE",
    "OPTIMAL",
    "UNKNOWN",
    "Instance",
    "InstanceError",
    "MatchResult",
    "Member",
    "Role",
    "Shift",
    "TeamLine",
    "Uncovered",
    "Window",
    "parse_instance",
    "solve",
]
