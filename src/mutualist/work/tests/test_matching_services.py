"""Team proposals through the services, against the real matching engine:
the cheapest team in pitch terms, the coordinator's choices, hours left
open, applying a team to the draft, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.engines.matching import InstanceError
from mutualist.members.models import Skill
from mutualist.work.coverage import HourWindow
from mutualist.work.models import CoverageWindow, Job, JobRole, Pitch, PitchMember, PitchShift
from mutualist.work.selectors.pitches import pitch_check
from mutualist.work.services.pitches import pitch_create, pitch_send, pitch_update
from mutualist.work.services.proposals import pitch_team_apply_proposal, pitch_team_propose
from mutualist.work.tests.test_matching_world import MatchWorld, build_match_world, set_member
from mutualist.work.tests.test_pitches_world import TODAY

AUD = "AUD"


@pytest.fixture
def world(work, time_machine) -> MatchWorld:
    time_machine.move_to(TODAY, tick=False)
    return build_match_world(work)


def rows(world: MatchWorld) -> dict[str, Any]:
    pitch = Pitch.objects.get(pk=world.pitch.pk)
    return {
        "pitch": (pitch.state, pitch.message, pitch.payment_terms_days, pitch.payment_method),
        "rates": sorted(pitch.roles.values_list("job_role_id", "bill_rate_minor")),
        "team": sorted(
            PitchMember.objects.filter(pitch=pitch).values_list(
                "user_id", "job_role_id", "pay_rate_minor", "flexible_hours"
            )
        ),
        "shifts": sorted(
            PitchShift.objects.filter(member__pitch=pitch).values_list(
                "member__user_id", "weekday", "start_hour", "end_hour"
            )
        ),
    }


def team(proposal: Any) -> list[tuple[str, str, int, list[str]]]:
    return [
        (line.member.handle, line.role.title, line.hours, [w.label() for w in line.shifts])
        for line in proposal.lines
    ]


# --- The cheapest team --------------------------------------------------------------------


def test_ana_is_proposed_the_cheapest_team_and_nothing_is_written(world):
    before = rows(world)

    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana)

    assert (proposal.status, proposal.week, proposal.timezone) == (
        "optimal",
        dt.date(2026, 12, 7),
        "Australia/Sydney",
    )
    # Dev (15.00) gives his 20 hours, Cora (18.00) the other 20, Ben keeps the books.
    assert sorted((h, role, hours) for h, role, hours, _ in team(proposal)) == [
        ("ben-okafor", "Books", 6),
        ("cora-lim", "Support", 20),
        ("dev-patel", "Support", 20),
    ]
    assert proposal.pay_cost == Money("804.00", AUD)
    assert proposal.price == Money("1180.00", AUD)
    assert proposal.margin == Money("376.00", AUD)
    assert proposal.complete and proposal.team_size == 3
    assert [(r.role.title, r.required_hours, r.covered_hours) for r in proposal.roles] == [
        ("Support", 40, 40),
        ("Books", 6, 6),
    ]
    assert rows(world) == before


def test_the_engine_never_proposes_ana_at_the_hours_she_works_for_harbour(world):
    # Ana is the cheapest (10.00), free 06:00-14:00 Manila and has 40 h left,
    # but her Harbour shifts are those hours
    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana)

    ana = next(c for c in proposal.candidates if c.member.handle == "ana-reyes")
    assert (ana.status, ana.capacity, ana.free) == ("considered", 40, ())
    assert "ana-reyes" not in {line.member.handle for line in proposal.lines}


def test_hours_committed_elsewhere_lower_what_a_member_can_give(world):
    # Ben has 40 h and 10 committed on Harbour; at 14 h he has 4 left for 6 of books
    set_member(world.ben, rate="24.00", capacity=14)

    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana)

    ben = next(c for c in proposal.candidates if c.member.handle == "ben-okafor")
    assert ben.capacity == 4
    # No team staffs every hour; the one that staffs the most gives Ben his 4
    assert not proposal.complete
    assert "Books" in (proposal.reason or "")
    assert "staffs as many hours as any team can" in (proposal.reason or "")
    books = next(role for role in proposal.roles if role.role.title == "Books")
    assert (books.required_hours, books.covered_hours) == (6, 4)
    assert ("ben-okafor", 4) in [(line.member.handle, line.hours) for line in proposal.lines]


def test_pinned_and_excluded_members_are_honoured(world):
    # Pin Cora and leave Dev out: Cora takes the 40 hours; with Dev
    # excluded and Cora at 40 h there is no one else
    proposal = pitch_team_propose(
        pitch=world.pitch, by=world.ana, pinned=["cora-lim"], excluded=[world.dev.pk]
    )

    assert sorted((h, hours) for h, _, hours, _ in team(proposal)) == [
        ("ben-okafor", 6),
        ("cora-lim", 40),
    ]
    assert "Dev Patel is left out, as you asked." in proposal.notes


def test_a_pinned_member_is_on_the_team_even_when_dearer(world):
    # With 40 h, Dev (15.00) could take every support hour alone
    set_member(world.dev, rate="15.00", capacity=40)

    cheapest = pitch_team_propose(pitch=world.pitch, by=world.ana)
    pinned = pitch_team_propose(pitch=world.pitch, by=world.ana, pinned=["cora-lim"])

    assert sorted((h, hours) for h, _, hours, _ in team(cheapest)) == [
        ("ben-okafor", 6),
        ("dev-patel", 40),
    ]
    hours = {h: n for h, _, n, _ in team(pinned)}
    assert hours["cora-lim"] >= 1
    assert hours["cora-lim"] + hours["dev-patel"] == 40
    assert pinned.pay_cost > cheapest.pay_cost


def test_a_team_size_limit_is_kept(world):
    # Two: Cora's 40 h of support (dearer than Dev's) and Ben's books
    two = pitch_team_propose(pitch=world.pitch, by=world.ana, max_team_size=2)
    # One person cannot take two roles
    one = pitch_team_propose(pitch=world.pitch, by=world.ana, max_team_size=1)

    assert sorted((h, hours) for h, _, hours, _ in team(two)) == [
        ("ben-okafor", 6),
        ("cora-lim", 40),
    ]
    assert two.pay_cost == Money("864.00", AUD)
    # One person cannot take two roles: the one who staffs the most hours alone
    assert len(one.lines) == 1 and not one.complete
    assert (one.reason or "").startswith("No team of at most 1 member, each on one role,")
    assert "Raise the team size limit" in (one.reason or "")
    assert [(h, hours) for h, _, hours, _ in team(one)] == [("cora-lim", 40)]


def test_a_rate_in_another_currency_is_left_out_unless_the_coordinator_gives_one(world):
    set_member(world.cora, rate="900.00", currency="PHP")

    left_out = pitch_team_propose(pitch=world.pitch, by=world.ana)
    given = pitch_team_propose(pitch=world.pitch, by=world.ana, rates={"cora-lim": "17.50"})

    cora = next(c for c in left_out.candidates if c.member.handle == "cora-lim")
    assert cora.status == "no_rate"
    assert any(note.startswith("Cora Lim's rate is in PHP") for note in left_out.notes)
    # Without Cora, Dev's 20 h cannot cover the 40: why, and the most he can do
    assert not left_out.complete
    assert "“Support” 20 of 40" in (left_out.reason or "")
    support = next(role for role in left_out.roles if role.role.title == "Support")
    assert (support.required_hours, support.covered_hours) == (40, 20)
    cora_line = next(line for line in given.lines if line.member.handle == "cora-lim")
    assert (cora_line.pay_rate, cora_line.hours) == (Money("17.50", AUD), 20)
    assert given.complete


def test_a_rate_above_the_bill_rate_keeps_the_member_off_that_role(world):
    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana, rates={"dev-patel": "26.00"})

    dev = next(c for c in proposal.candidates if c.member.handle == "dev-patel")
    assert dev.status == "rate_above_bill"
    assert "dev-patel" not in {line.member.handle for line in proposal.lines}


# --- Hours no one can staff ------------------------------------------------------------------


def test_hours_no_one_can_staff_are_left_open_and_the_rest_is_still_proposed(world):
    # Cora and Dev are free only from Sydney's 10:00 (07:00 Manila, 04:30 Kolkata)
    set_member(
        world.cora,
        rate="18.00",
        windows=[{"weekday": d, "start": "07:00", "end": "14:00"} for d in range(5)],
    )
    set_member(
        world.dev,
        rate="15.00",
        capacity=20,
        windows=[{"weekday": d, "start": "04:30", "end": "11:30"} for d in range(5)],
    )

    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana)

    support = proposal.roles[0]
    assert (support.covered_hours, support.uncovered_hours) == (35, 5)
    assert {slot.astimezone(dt.UTC).hour for slot in support.uncovered} == {22}  # 09:00 Sydney
    assert proposal.found and not proposal.complete and proposal.left_open
    assert proposal.notes[0].startswith("Support: Mon 09:00-10:00, Tue 09:00-10:00")
    assert proposal.pay_cost == Money("20", AUD) * 15 + Money("15", AUD) * 18 + Money("144", AUD)


def test_applying_an_open_hours_team_leaves_those_hours_unstaffed_in_the_check(world):
    set_member(
        world.cora,
        rate="18.00",
        windows=[{"weekday": d, "start": "07:00", "end": "14:00"} for d in range(5)],
    )

    # Without Dev and Ana, nobody is free at Sydney's 09:00 (Manila's 06:00)
    left_out = ["dev-patel", "ana-reyes"]
    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana, excluded=left_out)
    open_hours = [list(role.uncovered) for role in proposal.roles]
    assert proposal.found and [len(hours) for hours in open_hours] == [5, 0]

    pitch_team_apply_proposal(pitch=world.pitch, by=world.ana, excluded=left_out)

    check = pitch_check(pitch=world.pitch)
    assert [role.unstaffed for role in check.roles] == open_hours  # exactly those hours
    assert not any(load.overloaded for load in check.members)


# --- Applying -----------------------------------------------------------------------------


def test_applying_writes_the_team_whose_live_check_has_no_gap_no_overload_no_clash(world):
    before = rows(world)

    proposal = pitch_team_apply_proposal(pitch=world.pitch, by=world.ana)

    after = rows(world)
    assert after["pitch"] == before["pitch"]  # message and terms kept
    assert after["rates"] == before["rates"]  # the draft's bill rates
    assert sorted((user, hours) for user, _, _, hours in after["team"]) == sorted(
        [(world.cora.pk, None), (world.dev.pk, None), (world.ben.pk, 6)]
    )
    check = pitch_check(pitch=world.pitch)
    assert [(r.required_hours, r.staffed_hours, r.unstaffed) for r in check.roles] == [
        (40, 40, []),
        (6, 6, []),
    ]
    assert not any(load.overloaded or load.outside_availability or load.clashes
                   for load in check.members)  # fmt: skip
    assert check.total == proposal.price
    # and the draft can be sent: one role each
    assert pitch_send(pitch=world.pitch, by=world.ana).state == Pitch.State.SENT


def test_applying_insists_on_the_team_the_coordinator_saw(world):
    seen = pitch_team_propose(pitch=world.pitch, by=world.ana)
    set_member(world.dev, rate="16.00", capacity=20)  # Dev raised his rate meanwhile
    before = rows(world)

    with pytest.raises(Conflict) as refused:
        pitch_team_apply_proposal(pitch=world.pitch, by=world.ana, digest=seen.digest)

    assert refused.value.code == "proposal_changed"
    assert rows(world) == before


def test_applying_the_team_seen_works_when_nothing_changed(world):
    seen = pitch_team_propose(pitch=world.pitch, by=world.ana, excluded=["dev-patel"])

    done = pitch_team_apply_proposal(
        pitch=world.pitch, by=world.ana, excluded=["dev-patel"], digest=seen.digest.upper()
    )

    assert done.digest == seen.digest
    assert not PitchMember.objects.filter(pitch=world.pitch, user=world.dev).exists()


def test_applying_refuses_a_team_on_a_role_without_a_bill_rate(world):
    pitch_update(
        pitch=world.pitch,
        by=world.ana,
        message="Keep me.",
        payment_terms_days=14,
        payment_method="Wise",
        roles=[{"job_role": world.pitch_world.books.pk, "bill_rate": "30.00"}],
        team=[],
    )
    before = rows(world)

    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana)
    with pytest.raises(ValidationFailed) as refused:
        pitch_team_apply_proposal(pitch=world.pitch, by=world.ana)

    assert "Support has no bill rate yet" in proposal.notes[0]
    assert proposal.margin is None
    assert (refused.value.code, refused.value.field) == (
        "bill_rate_required",
        f"roles.{world.pitch_world.support.pk}.bill_rate",
    )
    assert rows(world) == before


def test_applying_refuses_when_no_team_is_found(world):
    before = rows(world)

    with pytest.raises(Conflict) as refused:
        pitch_team_apply_proposal(
            pitch=world.pitch,
            by=world.ana,
            excluded=["ana-reyes", "ben-okafor", "cora-lim", "dev-patel"],
        )

    assert refused.value.code == "no_team_found"
    assert rows(world) == before


# --- Refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "error", "code", "field"),
    [
        ({"pinned": ["nobody"]}, ValidationFailed, "team_member_unknown", "pinned[0]"),
        ({"excluded": [0]}, ValidationFailed, "team_member_unknown", "excluded[0]"),
        (
            {"pinned": ["cora-lim"], "excluded": ["cora-lim"]},
            ValidationFailed,
            "pinned_and_excluded",
            "excluded[0]",
        ),
        ({"rates": {"cora-lim": "abc"}}, ValidationFailed, "invalid_amount", "rates.cora-lim"),
        ({"rates": {"cora-lim": "-1"}}, ValidationFailed, "negative_rate", "rates.cora-lim"),
        ({"rates": {"cora-lim": "1.001"}}, ValidationFailed, "too_many_decimals",
         "rates.cora-lim"),
        ({"rates": {"olga-petrova": "10"}}, ValidationFailed, "team_member_unknown",
         "rates.olga-petrova"),
        ({"max_team_size": 0}, ValidationFailed, "invalid_team_size", "max_team_size"),
        ({"max_team_size": "two"}, ValidationFailed, "invalid_team_size", "max_team_size"),
        (
            {"max_team_size": 1, "pinned": ["cora-lim", "dev-patel"]},
            ValidationFailed,
            "too_many_pinned",
            "max_team_size",
        ),
        ({"week": dt.date(1999, 12, 31)}, ValidationFailed, "invalid_date", "week"),
        # Ben has no customer support and the books need bookkeeping: Dev's
        # rate above every bill rate cannot be pinned
        (
            {"pinned": ["dev-patel"], "rates": {"dev-patel": "40"}},
            ValidationFailed,
            "pinned_not_eligible",
            "pinned[0]",
        ),
    ],
)  # fmt: skip
def test_bad_choices_are_refused_naming_the_field_and_change_nothing(
    world, choices, error, code, field
):
    before = rows(world)

    for service in (pitch_team_propose, pitch_team_apply_proposal):
        with pytest.raises(error) as refused:
            service(pitch=world.pitch, by=world.ana, **choices)

        assert (refused.value.code, refused.value.field) == (code, field)
    assert rows(world) == before


def test_ben_who_is_not_a_coordinator_is_refused_and_olga_does_not_know_the_pitch(world):
    before = rows(world)

    for service in (pitch_team_propose, pitch_team_apply_proposal):
        with pytest.raises(PermissionDenied) as refused:
            service(pitch=world.pitch, by=world.ben)
        assert refused.value.code == "not_coordinator"
        with pytest.raises(NotFound):
            service(pitch=world.pitch, by=world.work.cast.olga)
        with pytest.raises(NotFound):  # Carla coordinates another collective
            service(pitch=world.pitch, by=world.work.cast.carla)
    assert rows(world) == before


def test_only_a_draft_gets_a_proposal(world):
    pitch_send(pitch=world.pitch, by=world.ana)
    before = rows(world)

    for service in (pitch_team_propose, pitch_team_apply_proposal):
        with pytest.raises(Conflict) as refused:
            service(pitch=world.pitch, by=world.ana)
        assert refused.value.code == "pitch_not_draft"
    assert rows(world) == before


def test_an_instance_the_engine_refuses_is_a_validation_failure_not_a_crash(world, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise InstanceError("members[0].rate", "give a rate from 0 to 999999999.")

    monkeypatch.setattr("mutualist.work.services.proposals.solve", refuse)
    before = rows(world)

    with pytest.raises(ValidationFailed) as refused:
        pitch_team_apply_proposal(pitch=world.pitch, by=world.ana)

    assert refused.value.code == "match_input_invalid"
    assert rows(world) == before


# --- A week with a clock change ------------------------------------------------------------


def test_a_sunday_night_in_the_week_sydney_springs_forward_is_proposed_and_applied(
    work, time_machine
):
    time_machine.move_to(dt.datetime(2026, 9, 20, tzinfo=dt.UTC), tick=False)
    world = build_match_world(work)
    # A job for the night of Sunday 4 October 2026, when 02:00 becomes 03:00
    job = Job.objects.create(
        client=work.harbour, posted_by=work.dana, title="Night desk",
        description="Sunday nights.", start_date=dt.date(2026, 9, 28), duration_weeks=8,
        timezone="Australia/Sydney", budget_kind=Job.BudgetKind.HOURLY, currency=AUD,
    )  # fmt: skip
    night = JobRole.objects.create(
        job=job,
        position=0,
        skill=Skill.objects.get(slug="customer_support"),
        title="Night",
        kind=JobRole.Kind.COVERAGE,
    )
    CoverageWindow.objects.create(role=night, weekday=6, start_hour=0, end_hour=6)
    pitch = pitch_create(job=job, collective=work.cast.collective_a, by=work.cast.ana)
    pitch_update(pitch=pitch, by=work.cast.ana, message="", payment_terms_days=30,
                 payment_method="Bank transfer",
                 roles=[{"job_role": night.pk, "bill_rate": "30.00"}], team=[])  # fmt: skip
    # Cora is free all of Saturday evening and night, Manila time
    set_member(world.cora, rate="18.00", windows=[{"weekday": 5, "start": "18:00", "end": "06:00"}])
    world.dev.profile.availability.all().delete()

    proposal = pitch_team_apply_proposal(pitch=pitch, by=work.cast.ana)

    # 5 hours that night (02:00 does not exist); one window on the wall clock
    assert team(proposal) == [("cora-lim", "Night", 5, ["Sun 00:00-06:00"])]
    check = pitch_check(pitch=pitch)
    assert [(r.required_hours, r.staffed_hours) for r in check.roles] == [(5, 5)]
    assert check.total == Money("150.00", AUD)
    assert [
        HourWindow(s.weekday, s.start_hour, s.end_hour)
        for s in PitchShift.objects.filter(member__pitch=pitch)
    ] == [HourWindow(6, 0, 6)]


def test_a_team_only_possible_with_someone_on_two_roles_is_explained(world):
    # Cora alone has both skills and time; Dev and Ben are left out
    set_member(
        world.cora, rate="18.00", capacity=60, skills={"customer_support": 3, "bookkeeping": 2}
    )

    proposal = pitch_team_propose(
        pitch=world.pitch, by=world.ana, excluded=["dev-patel", "ben-okafor"]
    )

    # The most hours one role each allows: Cora on support, the books open
    assert [line.member.handle for line in proposal.lines] == ["cora-lim"]
    assert not proposal.complete
    assert (proposal.reason or "").startswith("No team keeps every member on one role:")
    assert "one_role_per_member" not in (proposal.reason or "")


def test_everyone_left_out_is_no_team_not_an_optimal_one(world):
    before = rows(world)
    everyone = ["ana-reyes", "ben-okafor", "cora-lim", "dev-patel"]

    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana, excluded=everyone)

    assert proposal.status == "infeasible"
    assert not proposal.found and proposal.lines == ()
    assert proposal.reason is not None and "Nobody considered can staff" in proposal.reason
    with pytest.raises(Conflict) as refused:
        pitch_team_apply_proposal(pitch=world.pitch, by=world.ana, excluded=everyone)
    assert refused.value.code == "no_team_found"
    assert rows(world) == before


def test_a_member_whose_time_zone_is_unknown_is_proposed_for_no_set_hours(world):
    from mutualist.members.models import Profile

    Profile.objects.filter(user=world.cora).update(timezone="Mars/Olympus")

    proposal = pitch_team_propose(pitch=world.pitch, by=world.ana)  # no ZoneInfoNotFoundError

    cora = next(c for c in proposal.candidates if c.member.key == world.cora.pk)
    assert cora.considered and cora.free == ()
    assert all(line.member.key != world.cora.pk for line in proposal.lines if line.slots)
