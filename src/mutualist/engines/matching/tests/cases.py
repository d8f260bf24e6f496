"""Small instances with their optimum worked out by hand (``None``: no team
keeps every rule). Brute force must find each (``test_validator``), and so
must the engine (``test_solve``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mutualist.engines.matching.tests.support import coverage, flexible, instance, member, window

MON_9_13 = window(["mon"], "09:00", "13:00")
CASES: list[tuple[str, dict[str, Any], Decimal | None]] = [
    (
        "the cheaper of two takes the hour",
        instance(
            [coverage("c", "s", "UTC", window(["mon"], "09:00", "10:00"))],
            [member("ana", rate="12"), member("bob", rate="9.50")],
        ),
        Decimal("9.50"),
    ),
    (
        "capacity splits the hours",
        instance(
            [coverage("c", "s", "UTC", MON_9_13)],
            [member("ana", rate="10", capacity=2), member("bob", rate="12")],
        ),
        Decimal("44"),  # 2 x 10 + 2 x 12
    ),
    (
        "a team of one must be the dear generalist",
        instance(
            [coverage("c", "s", "UTC", MON_9_13)],
            [
                member("ana", rate="5", availability=[window(["mon"], "09:00", "11:00")]),
                member("bob", rate="6", availability=[window(["mon"], "11:00", "13:00")]),
                member("cara", rate="9"),
            ],
            max_team_size=1,
        ),
        Decimal("36"),
    ),
    (
        "a team of two may be the cheap specialists",
        instance(
            [coverage("c", "s", "UTC", MON_9_13)],
            [
                member("ana", rate="5", availability=[window(["mon"], "09:00", "11:00")]),
                member("bob", rate="6", availability=[window(["mon"], "11:00", "13:00")]),
                member("cara", rate="9"),
            ],
            max_team_size=2,
        ),
        Decimal("22"),
    ),
    (
        "one role at a time, half an hour apart (Kolkata)",
        instance(
            [
                coverage("c", "s", "UTC", window(["mon"], "04:00", "05:00")),
                coverage("d", "s", "Asia/Kolkata", window(["mon"], "10:00", "11:00")),
            ],
            [member("ana", rate="1"), member("bob", rate="10")],
        ),
        Decimal("11"),
    ),
    (
        "back to back roles are no clash",
        instance(
            [
                coverage("c", "s", "UTC", window(["mon"], "04:00", "05:00")),
                coverage("d", "s", "Asia/Kolkata", window(["mon"], "11:00", "12:00")),
            ],
            [member("ana", rate="1")],
        ),
        Decimal("2"),
    ),
    (
        "one role per member sends the generalist where she saves most",
        instance(
            [coverage("c", "a", "UTC", window(["mon"], "09:00", "11:00")), flexible("f", "b", 2)],
            [
                member("ana", ["a", "b"], rate="1"),
                member("bob", ["a"], rate="5"),
                member("cara", ["b"], rate="7"),
            ],
            one_role_per_member=True,
        ),
        Decimal("12"),  # ana on f (2) and bob on c (10), not ana on c and cara on f (16)
    ),
    (
        "without one role per member the generalist does it all",
        instance(
            [coverage("c", "a", "UTC", window(["mon"], "09:00", "11:00")), flexible("f", "b", 2)],
            [
                member("ana", ["a", "b"], rate="1"),
                member("bob", ["a"], rate="5"),
                member("cara", ["b"], rate="7"),
            ],
        ),
        Decimal("4"),
    ),
    (
        "a pinned dear member gets an hour",
        instance(
            [coverage("c", "s", "UTC", window(["mon"], "09:00", "11:00"))],
            [member("ana", rate="1"), member("zed", rate="100")],
            pinned=["zed"],
        ),
        Decimal("101"),
    ),
    (
        "an excluded cheap member is left out",
        instance(
            [coverage("c", "s", "UTC", window(["mon"], "09:00", "11:00"))],
            [member("ana", rate="1"), member("bob", rate="3")],
            excluded=["ana"],
        ),
        Decimal("6"),
    ),
    (
        "shared capacity goes to the flexible role with the dearer alternative",
        instance(
            [flexible("f1", "a", 2), flexible("f2", "b", 2)],
            [
                member("ana", ["a", "b"], rate="1", capacity=2),
                member("bob", ["a"], rate="3"),
                member("cara", ["b"], rate="2"),
            ],
        ),
        Decimal("6"),  # ana on f1 (2) and cara on f2 (4); ana on f2 leaves bob's 6
    ),
    (
        "a pinned member who can do nothing",
        instance(
            [coverage("c", "s", "UTC", MON_9_13)],
            [member("ana"), member("zed", ["other"])],
            pinned=["zed"],
        ),
        None,
    ),
    (
        "nobody with the skill",
        instance([coverage("c", "s", "UTC", MON_9_13)], [member("ana", ["other"])]),
        None,
    ),
    (
        "a role whose only hour the clocks skip needs nobody",
        instance(
            [coverage("c", "s", "Australia/Sydney", window(["sun"], "02:00", "03:00"))],
            [member("ana")],
            week="2026-09-28",
        ),
        Decimal("0"),
    ),
    (
        "capacity short overall",
        instance(
            [coverage("c", "s", "UTC", MON_9_13), flexible("f", "s", 2)],
            [member("ana", capacity=3), member("bob", capacity=2)],
        ),
        None,
    ),
    (
        "a cent of difference over six decimal places",
        instance(
            [flexible("f", "s", 3)],
            [
                member("ana", rate="10.000002", capacity=2),
                member("bob", rate="10.000001", capacity=2),
                member("cara", rate="10.000003"),
            ],
        ),
        Decimal("30.000004"),  # bob 2 h, ana 1 h
    ),
]
