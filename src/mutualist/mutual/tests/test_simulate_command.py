"""`mutualist simulate`: with ``--fund COLLECTIVE_SLUG/KIND`` a fund's report
from the database (the page's stored run), as text or JSON; a fund that does
not exist or is not simulated is one line and exit 2. Everything else is
the engine's command line, handed its arguments."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualist.engines.solvency.calibrate import Estimate, calibrate_sick_pay
from mutualist.engines.solvency.classical import ClaimSizes, classical_ruin
from mutualist.mutual.management.commands.simulate import summary
from mutualist.mutual.models import Fund, SolvencyRun
from mutualist.mutual.services import solvency as service
from mutualist.mutual.services.solvency import solvency_for_fund, solvency_report_json
from mutualist.mutual.tests.helpers import NOW, fund_active
from mutualist.mutual.tests.sick_pay_helpers import join, seed, sick_fund
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any, settings: Any) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.MUTUAL_SOLVENCY_PATHS = 300


@pytest.fixture
def fund(cast: Cast) -> Fund:
    fund = sick_fund(cast.collective_a, cast.ana)
    seed(join(fund, cast.ana, 0), "450.00", "ana")
    join(fund, cast.ben, 2)
    return fund


def simulate(*args: str) -> str:
    out = io.StringIO()
    call_command("simulate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        simulate(*args)
    assert raised.value.returncode == 2
    assert "\n" not in str(raised.value)
    return raised.value


def test_it_prints_a_funds_report_as_the_page_shows_it(fund: Fund) -> None:
    text = simulate("--fund", "manila-va/sick_pay")

    report = solvency_for_fund(fund=fund)
    lines = text.splitlines()
    assert lines[0] == (
        "The sick-pay fund of Manila Virtual Assistants (PHP): 60 months from December 2026, "
        "300 paths"
    )
    assert lines[1] == "Money at the start: ₱450.00"
    assert lines[2].startswith("Chance of a month not paid in full: 1 year ")
    assert f"Stored as run #{report.run_id}." == lines[-1]
    assert SolvencyRun.objects.count() == 1
    assert "  Members taking part: 2 (tier 1: 1, tier 3: 1) (the fund's members today)" in lines


def test_a_chance_no_simulated_future_reached_is_printed_as_a_bound_not_zero(
    fund: Fund,
) -> None:
    # Given a report in which no simulated future ran short within a year
    # (3 / 300 paths: the rule-of-three bound is 1 %)
    report = solvency_for_fund(fund=fund)
    first = dataclasses.replace(
        report.risks[0], probability=0.0, standard_error=0.0, upper_bound=0.01
    )
    quiet = dataclasses.replace(report, risks=(first, *report.risks[1:]))

    # When the command words it
    chances = summary(quiet)[2]

    # Then the chance is the bound, never "0.00 %"; the others keep their margins
    assert chances.startswith("Chance of a month not paid in full: 1 year under 1 %, 3 years ")
    assert "0.00 %" not in chances
    assert chances.count("(±") == 2


def test_it_prints_the_report_as_json(fund: Fund) -> None:
    body = json.loads(simulate("--fund", "manila-va/sick_pay", "--json"))

    assert body == solvency_report_json(solvency_for_fund(fund=fund))
    assert body["run_id"] == SolvencyRun.objects.get().pk


def test_fund_and_recommend_with_fund_say_the_same(fund: Fund) -> None:
    plain = simulate("--fund", "manila-va/sick_pay", "--json")

    assert simulate("fund", "--fund", "manila-va/sick_pay", "--json") == plain
    assert simulate("recommend", "--json", "--fund=manila-va/sick_pay") == plain
    assert SolvencyRun.objects.count() == 1


def test_a_seed_of_ones_own_is_shown_and_not_stored(fund: Fund) -> None:
    body = json.loads(
        simulate("--fund", "manila-va/sick_pay", "--json", "--seed", "7", "--paths", "200")
    )

    assert (body["paths"], body["run_id"]) == (200, None)
    assert SolvencyRun.objects.count() == 0


def test_an_unknown_fund_is_one_line_and_exit_2(cast: Cast) -> None:
    error = refused("--fund", "manila-va/sick_pay")

    assert str(error) == "--fund: no sick-pay fund in a collective 'manila-va'."
    assert str(refused("--fund", "nowhere/guarantee")) == (
        "--fund: no payment guarantee fund in a collective 'nowhere'."
    )
    assert str(refused("--fund", "manila-va")) == (
        "--fund is COLLECTIVE_SLUG/KIND, such as manila-va/sick_pay; got 'manila-va'."
    )
    assert str(refused("--fund", "manila-va/pension")).startswith("--fund: a fund is one of ")
    assert str(refused("--fund", "manila-va/sick_pay", "--paths", "0")) == (
        "--paths: must be at least 1; got 0."
    )


def test_a_fund_that_is_not_simulated_is_one_line_and_exit_2(cast: Cast) -> None:
    fund_active(cast.collective_a, "savings", created_by=cast.ana)

    error = refused("--fund", "manila-va/savings")

    assert str(error) == (
        "manila-va/savings: Savings are each member's own money: nothing is pooled, so this "
        "fund cannot run short."
    )


def test_a_sick_pay_fund_nobody_takes_part_in_is_not_simulated(cast: Cast) -> None:
    sick_fund(cast.collective_a, cast.ana)

    assert str(refused("--fund", "manila-va/sick_pay")).startswith(
        "manila-va/sick_pay: Nobody takes part yet: "
    )


def test_a_fund_the_engine_cannot_simulate_is_one_line_and_exit_2(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a calibration the engine refuses: a monthly chance of 150 %
    calibrate = calibrate_sick_pay

    def impossible(history: Any) -> Any:
        return dataclasses.replace(
            calibrate(history), sick_probability=Estimate(1.5, "history", 1.0, 12)
        )

    monkeypatch.setattr(service.model, "calibrate_sick_pay", impossible)

    # Then no traceback: one line saying why, exit 2, nothing stored
    assert str(refused("--fund", "manila-va/sick_pay")) == (
        "manila-va/sick_pay: The projection could not be worked out from the fund's figures: "
        "sick_probability must be at most 1; got 1.5."
    )
    assert SolvencyRun.objects.count() == 0


# --- The engine's own command line ----------------------------------------------------------


CLASSICAL = (
    "classical",
    "--initial",
    "5",
    "--claim-rate",
    "1",
    "--mean-claim",
    "1",
    "--theta",
    "0.2",
    "--horizon",
    "10",
    "--paths",
    "2000",
    "--seed",
    "1",
)


def test_every_other_call_goes_to_the_engine(db: None) -> None:
    body = json.loads(simulate(*CLASSICAL, "--json"))

    expected = classical_ruin(
        initial=5,
        claim_rate=1,
        claims=ClaimSizes.exponential(1),
        theta=0.2,
        horizon=10,
        paths=2000,
        rng=1,
    )
    assert (body["paths"], body["ruin_probability"], body["standard_error"]) == (
        2000,
        expected.ruin_probability,
        expected.standard_error,
    )


def test_the_engines_refusal_is_one_line_and_its_exit_status(db: None) -> None:
    with pytest.raises(CommandError) as raised:
        simulate("classical", "--initial", "5", "--claim-rate", "-1", "--mean-claim", "1",
                 "--theta", "0.2", "--horizon", "10")  # fmt: skip

    assert raised.value.returncode == 2
    assert str(raised.value) == "--claim-rate: must be at least 0; got -1."
