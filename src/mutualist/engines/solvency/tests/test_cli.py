"""``mutualist simulate``: the classical model, a fund from a config, a
recommendation; one line and exit 2 for every bad call; no Django."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mutualist.engines.solvency import cli
from mutualist.engines.solvency.classical import exponential_ruin

# The issue's call: exponential claims, a long horizon, so the finite-horizon
# ruin probability is the closed form's (ruin after 500 claims is about 1e-4
# of it at theta 0.25).
CLASSICAL = [
    "classical",
    "--initial", "5",
    "--claim-rate", "1",
    "--mean-claim", "1",
    "--theta", "0.25",
    "--horizon", "500",
    "--paths", "20000",
    "--seed", "11",
]  # fmt: skip
SHORT = ["classical", "--initial", "2", "--claim-rate", "1", "--horizon", "10", "--paths", "500"]

SICK_PAY: dict[str, Any] = {
    "kind": "sick_pay",
    "months": 24,
    "paths": 400,
    "seed": 3,
    "model": {
        "tier_members": [5, 5, 5, 5],
        "tier_deposits": [33.75, 45, 56.25, 67.5],
        "tier_payouts": [750, 1000, 1250, 1500],
        "sick_probability": 0.01,
        "durations": {"geometric": 3},
        "initial_balance": 1000,
    },
}


def run(*argv: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def without_timing(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    del data["seconds"]
    return data


@pytest.fixture
def config_file(tmp_path):
    def write(data: Any, name: str = "fund.json") -> str:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return str(path)

    return write


# --- classical ------------------------------------------------------------------------


def test_it_answers_the_issues_classical_call_in_agreement_with_the_closed_form():
    # when
    status, out, err = run(*CLASSICAL, "--json")
    # then
    assert (status, err) == (0, "")
    answer = json.loads(out)
    assert {"ruin_probability", "standard_error", "paths", "seconds"} <= set(answer)
    closed_form = exponential_ruin(initial=5.0, theta=0.25, mean=1.0)
    assert answer["closed_form"] == pytest.approx(closed_form, rel=1e-12)
    assert answer["paths"] == 20000
    assert answer["method"] == "plain"
    assert answer["seed"] == 11
    assert answer["standard_error"] > 0
    assert abs(answer["ruin_probability"] - closed_form) < 4 * answer["standard_error"]


def test_it_gives_the_same_json_for_the_same_seed():
    # when
    first = run(*SHORT, "--mean-claim", "1", "--theta", "0.1", "--seed", "5", "--json")
    second = run(*SHORT, "--mean-claim", "1", "--theta", "0.1", "--seed", "5", "--json")
    # then
    assert without_timing(first[1]) == without_timing(second[1])


def test_it_reports_the_drawn_seed_so_an_unseeded_run_can_be_repeated():
    # given
    status, out, _ = run(*SHORT, "--mean-claim", "1", "--theta", "0.1", "--json")
    first = without_timing(out)
    # when
    again = run(
        *SHORT, "--mean-claim", "1", "--theta", "0.1", "--json", "--seed", str(first["seed"])
    )
    # then
    assert status == 0
    assert without_timing(again[1]) == first


def test_it_takes_the_premium_rate_instead_of_theta():
    # given: c = (1 + 0.25) x 1 x 1, exactly
    by_theta = run(*SHORT, "--mean-claim", "1", "--theta", "0.25", "--seed", "2", "--json")
    # when
    by_rate = run(*SHORT, "--mean-claim", "1", "--premium-rate", "1.25", "--seed", "2", "--json")
    # then: the same premium and the same claims
    assert without_timing(by_rate[1]) == without_timing(by_theta[1])


def test_it_gives_exactly_zero_without_claims():
    status, out, _ = run(
        "classical", "--initial", "0", "--claim-rate", "0", "--mean-claim", "1",
        "--theta", "0.1", "--horizon", "10", "--paths", "100", "--json",
    )  # fmt: skip
    answer = json.loads(out)
    assert (status, answer["ruin_probability"], answer["standard_error"]) == (0, 0.0, 0.0)


def test_it_reads_lognormal_claims_from_a_spec():
    # when
    status, out, _ = run(*SHORT, "--claims", "lognormal:0,0.5", "--theta", "0.1", "--json")
    # then: plain (lognormal claims cannot be tilted), no closed form
    answer = json.loads(out)
    assert (status, answer["method"], answer["closed_form"]) == (0, "plain", None)


@pytest.mark.parametrize(
    ("text", "name"), [("1\n2.5\n\n# a comment\n4.5\n", "claims.txt"), ("[1, 2.5, 4.5]", "c.json")]
)
def test_it_reads_empirical_claims_from_a_file(config_file, text, name):
    # given: a file whose amounts average 8 / 3
    path = config_file(text, name)
    # when: a premium at exactly the expected claims, theta 0
    status, out, err = run(*SHORT, "--claims-file", path, "--premium-rate", "2.6666666666666665",
                           "--json")  # fmt: skip
    # then
    answer = json.loads(out)
    assert (status, err) == (0, "")
    assert answer["theta"] == pytest.approx(0.0, abs=1e-12)
    assert answer["closed_form"] is None


def test_it_prints_a_summary_without_json():
    # when
    status, out, err = run(*CLASSICAL[:-4], "--paths", "2000", "--seed", "1", "--horizon", "50")
    # then
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Classical risk model (compound Poisson, Cramer-Lundberg)"
    assert lines[1:5] == [
        "  initial capital      5",
        "  claims               1 per unit of time (exponential, mean 1)",
        "  premium rate         1.25 (safety loading theta 0.25)",
        "  horizon              50 (50 claims expected per path)",
    ]
    assert lines[6].startswith("Probability of ruin before 50: 0.")
    assert lines[7] == "Infinite horizon, closed form:  0.2943"
    assert lines[8] == "Lundberg bound exp(-R u):       0.3679 (R = 0.2)"
    assert lines[10].startswith("2,000 paths, plain, seed 1, ")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--mean-claim", "1", "--theta", "0.1", "--claim-rate", "-1"],
         "--claim-rate: must be at least 0; got -1."),
        (["--mean-claim", "1", "--theta", "0.1", "--initial", "-5"],
         "--initial: must be at least 0; got -5."),
        (["--mean-claim", "1", "--premium-rate", "-0.5"],
         "--premium-rate: must be at least 0; got -0.5."),
        (["--mean-claim", "-1", "--theta", "0.1"], "--mean-claim: must be above 0; got -1."),
        (["--mean-claim", "1", "--theta", "0"], "--theta: must be above 0; got 0."),
        (["--mean-claim", "1", "--theta", "-0.1"], "--theta: must be above 0; got -0.1."),
        (["--mean-claim", "1", "--theta", "0.1", "--horizon", "0"],
         "--horizon: must be above 0; got 0."),
        (["--mean-claim", "1", "--theta", "0.1", "--paths", "0"],
         "--paths: must be at least 1; got 0."),
        (["--mean-claim", "1", "--theta", "0.1", "--seed", "-3"],
         "--seed: must be at least 0; got -3."),
        (["--mean-claim", "1", "--theta", "nan"], "--theta: must be a finite number; got nan."),
        (["--mean-claim", "1", "--theta", "0.1", "--premium-rate", "1"],
         "--premium-rate: not allowed with argument --theta"),
        (["--mean-claim", "1"], "one of the arguments --theta --premium-rate is required"),
        (["--theta", "0.1"], "one of the arguments --mean-claim --claims --claims-file is required"),
        (["--mean-claim", "one", "--theta", "0.1"], "--mean-claim: 'one' is not a number."),
        (["--mean-claim", "1", "--theta", "0.1", "--paths", "1.5"],
         "--paths: '1.5' is not a whole number."),
        (["--claims", "lognormal:1", "--theta", "0.1"],
         "--claims: give lognormal:MU,SIGMA or exponential:MEAN; got 'lognormal:1'."),
        (["--claims", "pareto:2,1", "--theta", "0.1"],
         "--claims: give lognormal:MU,SIGMA or exponential:MEAN; got 'pareto:2,1'."),
        (["--claims", "lognormal:0,x", "--theta", "0.1"],
         "--claims: give lognormal:MU,SIGMA or exponential:MEAN; got 'lognormal:0,x'."),
        (["--claims", "lognormal:0,-1", "--theta", "0.1"],
         "--claims: sigma must be at least 0; got -1."),
        (["--claims", "lognormal:0,1", "--theta", "0.1", "--method", "tilted"],
         "method 'tilted' needs claim sizes with a moment generating function; lognormal "
         "claims have none (their tail is too heavy for exponential tilting): use method "
         "'plain' or 'auto'."),
        (["--mean-claim", "1", "--premium-rate", "0.5", "--method", "tilted"],
         "method 'tilted' needs a premium above the expected claims (theta > 0); premium_rate "
         "0.5 gives theta = -0.5, so there is no Lundberg exponent to tilt by: use method "
         "'plain' or 'auto'."),
        (["--mean-claim", "1", "--theta", "0.1", "--method", "fast"],
         "--method: invalid choice: 'fast' (choose from 'auto', 'plain', 'tilted')"),
        # Huge numbers: one line naming the flag, never a traceback
        (["--mean-claim", "1", "--theta", "1e17"], "--theta: must be at most 1000000; got 1e+17."),
        (["--mean-claim", "1", "--theta", "1e300"],
         "--theta: must be at most 1000000; got 1e+300."),
        (["--mean-claim", "1e300", "--theta", "0.1"],
         "--mean-claim: must be at most 1000000000000; got 1e+300."),
        (["--mean-claim", "1", "--theta", "0.1", "--initial", "1e300"],
         "--initial: must be at most 1000000000000; got 1e+300."),
        (["--mean-claim", "1", "--premium-rate", "1e9"],
         "--premium-rate: must give a theta of at most 1000000 (premiums at most a million "
         "times the expected claims); got theta = 1e+09."),
        (["--mean-claim", "1e-200", "--premium-rate", "1", "--claim-rate", "1e-200"],
         "--claim-rate: must be 0 or give claim_rate x mean claim of at least 1e-300; "
         "got 1e-200 x 1e-200."),
        (["--claims", "exponential:1e300", "--theta", "0.1"],
         "--claims: mean must be at most 1000000000000; got 1e+300."),
    ],
)  # fmt: skip
def test_it_refuses_bad_classical_parameters_with_one_line(argv, line):
    # when
    status, out, err = run(*SHORT, *argv)
    # then
    assert (status, out, err) == (2, "", f"mutualist simulate: {line}\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("10\n20\nlots\n", "--claims-file: line 3 of {path} is not a number: 'lots'."),
        ("[10, \"20\"]", "--claims-file: entry 2 of {path} is not a number: '20'."),
        ("[10, 20", "--claims-file: {path} is not a JSON list: Expecting ',' delimiter."),
        ("10\n-2\n", "--claims-file: amount 2 of {path} must be above 0; got -2."),
        ("1e308\n1e308\n",
         "--claims-file: amount 1 of {path} must be at most 1000000000000; got 1e+308."),
        ("# nothing\n\n", "--claims-file: {path} holds no amounts."),
        ("[]", "--claims-file: {path} holds no amounts."),
    ],
)  # fmt: skip
def test_it_refuses_a_claims_file_that_is_not_amounts(config_file, text, line):
    # given
    path = config_file(text, "claims.txt")
    # when
    status, out, err = run(*SHORT, "--claims-file", path, "--theta", "0.1")
    # then
    assert (status, out, err) == (2, "", f"mutualist simulate: {line.format(path=path)}\n")


def test_it_refuses_a_missing_claims_file(tmp_path):
    path = tmp_path / "none.txt"
    status, _, err = run(*SHORT, "--claims-file", str(path), "--theta", "0.1")
    assert (status, err) == (
        2,
        f"mutualist simulate: --claims-file: cannot read {path}: No such file or directory.\n",
    )


# --- fund and recommend ---------------------------------------------------------------


def test_it_simulates_a_fund_from_a_config_and_prints_its_result_as_json(config_file):
    # when
    status, out, err = run("fund", "--config", config_file(SICK_PAY), "--json")
    # then
    assert (status, err) == (0, "")
    answer = json.loads(out)
    assert set(answer) == {
        "shortfall_probability", "standard_error", "shortfall_by_month",
        "standard_error_by_month", "expected_shortfall", "paid_share", "percentiles",
        "balance_percentiles", "expected_balance", "expected_income", "expected_payouts",
        "paths", "months", "percentile_paths", "contribution", "seconds", "seed",
    }  # fmt: skip
    assert (answer["months"], answer["paths"], answer["seed"]) == (24, 400, 3)
    assert len(answer["shortfall_by_month"]) == 24
    assert answer["shortfall_by_month"][-1] == answer["shortfall_probability"]


def test_its_flags_override_the_configs_months_paths_and_seed(config_file):
    # given
    path = config_file(SICK_PAY)
    # when
    status, out, _ = run("fund", "--config", path, "--months", "6", "--paths", "300",
                         "--seed", "9", "--json")  # fmt: skip
    # then
    answer = json.loads(out)
    assert (status, answer["months"], answer["paths"], answer["seed"]) == (0, 6, 300, 9)


def test_it_gives_the_same_fund_json_for_the_same_seed(config_file):
    path = config_file(SICK_PAY)
    first = run("fund", "--config", path, "--json")
    second = run("fund", "--config", path, "--json")
    assert without_timing(first[1]) == without_timing(second[1])


def test_it_summarises_a_fund_by_year_with_its_balance_percentiles(config_file):
    # when
    status, out, err = run("fund", "--config", config_file(SICK_PAY))
    # then
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Sick-pay fund: 20 members in 4 tiers, 24 months"
    assert lines[2] == (
        "Chance of at least one month in which promised payouts cannot be paid in full:"
    )
    assert [line.split()[1:3] for line in lines[3:5]] == [["1", "year"], ["2", "years"]]
    assert lines[5].startswith("Share of promised gifts paid: ")
    assert lines[9].split() == ["month", "5", "%", "25", "%", "50", "%", "75", "%", "95", "%"]
    assert [line.split()[0] for line in lines[10:13]] == ["1", "12", "24"]
    assert lines[-1].startswith("400 paths, seed 3, ")


def test_a_chance_no_path_reached_is_the_rule_of_three_bound_not_zero(config_file):
    # given a fund whose balance covers every gift: sickness is possible,
    # but no path runs short
    quiet = {**SICK_PAY, "model": {**SICK_PAY["model"], "initial_balance": 10_000_000}}
    # when
    status, out, _err = run("fund", "--config", config_file(quiet))
    # then: 3 / 400 paths, not "0 %"
    assert status == 0
    lines = out.splitlines()
    assert lines[3].split() == [
        "within",
        "1",
        "year",
        "under",
        "0.75",
        "%",
        "(no",
        "path",
        "ran",
        "short)",
    ]
    assert "0 %" not in "\n".join(lines[3:5])


def test_it_simulates_a_guarantee_fund(config_file):
    # given
    config = {
        "kind": "guarantee",
        "months": 12,
        "paths": 300,
        "seed": 1,
        "model": {
            "invoices_per_month": 4,
            "invoice_amounts": [1000],
            "levy_percent": 5,
            "payout_fraction": 0.8,
            "late_probability": 0,
        },
    }
    # when
    status, out, _ = run("fund", "--config", config_file(config))
    # then: nothing is ever late, so nothing is ever short
    assert status == 0
    assert out.splitlines()[0] == "Guarantee fund: 4 invoices a month expected, 12 months"
    assert out.splitlines()[3].split()[3:5] == ["0", "%"]


def test_it_recommends_a_deposit_rate_under_the_target_given(config_file):
    # when
    status, out, err = run(
        "recommend", "--config", config_file(SICK_PAY), "--target", "0.05", "--json"
    )
    # then
    assert (status, err) == (0, "")
    answer = json.loads(out)
    assert (answer["lever"], answer["target"], answer["months"], answer["paths"]) == (
        "deposit_rate",
        0.05,
        24,
        400,
    )
    assert answer["achievable"] is True
    assert answer["shortfall_probability"] <= 0.05
    assert {"seconds", "seed"} <= set(answer)


def test_it_summarises_a_recommendation(config_file):
    # when
    status, out, _ = run("recommend", "--config", config_file(SICK_PAY))
    # then
    lines = out.splitlines()
    assert status == 0
    assert lines[2].startswith("Deposit, as a share of the gift, now:     4.50 % (risk of a ")
    assert lines[3].startswith("Deposit, as a share of the gift, needed:  ")
    assert " to keep the risk under 1.00 % over 2 years (there: " in lines[3]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"model": {**SICK_PAY["model"], "sick_probability": -0.1}},
         "model.sick_probability: must be at least 0; got -0.1."),
        ({"model": {**SICK_PAY["model"], "tier_deposits": [1, 2]}},
         "model.tier_deposits: must hold one amount per tier (4, as tier_members); got 2."),
        ({"kind": "income_gap"},
         "kind: must be one of sick_pay, guarantee; got 'income_gap'."),
        ({"paths": 0}, "paths: must be at least 1; got 0."),
        # Huge numbers: one line naming the field, never an OverflowError or MemoryError
        ({"model": {**SICK_PAY["model"], "initial_balance": 10**400}},
         "model.initial_balance: must be a finite number; got a whole number of 401 digits."),
        ({"model": {**SICK_PAY["model"], "tier_members": [10**19, 5, 5, 5]}},
         "model.tier_members[0]: must be at most 1000000; got 10000000000000000000."),
        ({"model": {**SICK_PAY["model"], "tier_members": [10**11, 5, 5, 5]}},
         "model.tier_members[0]: must be at most 1000000; got 100000000000."),
        ({"model": {**SICK_PAY["model"], "max_members": 10**19, "joins_per_month": 1}},
         "model.max_members: must be at most 1000000; got 10000000000000000000."),
        ({"model": {**SICK_PAY["model"], "waiting_days": 10**26}},
         "model.waiting_days: must be at most 3650; got 100000000000000000000000000."),
        ({"model": {**SICK_PAY["model"], "durations": {"geometric": 10**400}}},
         "model.durations.geometric: must be a finite number; got a whole number of 401 "
         "digits."),
        ({"model": {**SICK_PAY["model"], "durations": {"empirical": [1e20]}}},
         "model.durations.empirical[0]: must be at most 1200; got 1e+20."),
        ({"model": {**SICK_PAY["model"], "tier_deposits": [1e308] * 4}},
         "model.tier_deposits[0]: must be at most 1000000000000; got 1e+308."),
        ({"target": 10**400}, "target: must be a finite number; got a whole number of 401 digits."),
    ],
)  # fmt: skip
def test_it_refuses_a_config_with_a_bad_field_with_one_line(config_file, change, line):
    # given
    path = config_file({**SICK_PAY, **change})
    # when
    status, out, err = run("fund", "--config", path)
    # then
    assert (status, out, err) == (2, "", f"mutualist simulate: {line}\n")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--months", "0"], "--months: must be at least 1; got 0."),
        (["--paths", "-4"], "--paths: must be at least 1; got -4."),
        (["--target", "1"], "--target: must be below 1; got 1."),
        (["--target", "-0.1"], "--target: must be at least 0; got -0.1."),
    ],
)
def test_it_refuses_bad_recommend_flags_with_one_line(config_file, argv, line):
    status, out, err = run("recommend", "--config", config_file(SICK_PAY), *argv)
    assert (status, out, err) == (2, "", f"mutualist simulate: {line}\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("{\"kind\": ", "{path} is not JSON: Expecting value at line 1 column 10."),
        ("{\"paths\": NaN}", "{path} is not a config: NaN is not a number JSON allows."),
        ("[]", "config: must be a JSON object; got a list."),
    ],
)  # fmt: skip
def test_it_refuses_a_config_that_is_not_a_json_object(config_file, text, line):
    path = config_file(text)
    status, out, err = run("fund", "--config", path)
    assert (status, out, err) == (2, "", f"mutualist simulate: {line.format(path=path)}\n")


def test_it_refuses_a_missing_config(tmp_path):
    path = tmp_path / "none.json"
    status, _, err = run("recommend", "--config", str(path))
    assert (status, err) == (
        2,
        f"mutualist simulate: --config: cannot read {path}: No such file or directory.\n",
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "the following arguments are required: {classical,fund,recommend}"),
        (["fund"], "the following arguments are required: --config"),
        (["fund", "--config", "x.json", "--target", "0.1"], "unrecognized arguments: --target 0.1"),
    ],
)
def test_it_refuses_a_bad_call_with_one_line(argv, line):
    status, out, err = run(*argv)
    assert (status, out, err) == (2, "", f"mutualist simulate: {line}\n")


def test_it_prints_its_help_on_stdout():
    status, out, err = run("classical", "--help")
    assert (status, err) == (0, "")
    assert out.startswith("usage: mutualist simulate classical [-h] --initial U --claim-rate L")


# --- interruption and the progress bar ------------------------------------------------


def test_it_says_one_line_and_exits_130_when_interrupted(config_file, monkeypatch):
    # given: Ctrl-C in the middle of the run
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "simulate_fund", interrupted)
    # when
    status, out, err = run("fund", "--config", config_file(SICK_PAY))
    # then
    assert (status, out, err) == (130, "", "mutualist simulate: interrupted.\n")


def test_it_draws_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    # given: every run counts as long
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0.0)
    # when
    status, out, err = run(*SHORT, "--mean-claim", "1", "--theta", "0.1", "--json")
    # then
    assert (status, err) == (0, "")
    json.loads(out)


def test_it_draws_a_bar_on_stderr_when_asked_and_keeps_stdout_to_the_json(monkeypatch):
    # given: every run counts as long
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0.0)
    # when
    status, out, err = run(*SHORT, "--mean-claim", "1", "--theta", "0.1", "--json",
                           "--progress", "always")  # fmt: skip
    # then: the bar went to stderr (a terminal's escape codes), the JSON alone to stdout
    assert status == 0
    assert "simulating" in err
    assert "\x1b[" in err
    assert json.loads(out)["paths"] == 500


def test_its_bar_waits_for_the_delay_before_drawing_anything():
    # given
    stream = io.StringIO()
    bar = cli.ProgressBar(stream, enabled=True, delay=3600.0, force_terminal=True)
    # when
    bar(10, 100)
    bar.close()
    # then
    assert (bar.started, stream.getvalue()) == (False, "")


def test_its_bar_starts_from_the_first_report_after_the_delay():
    # given
    stream = io.StringIO()
    bar = cli.ProgressBar(stream, enabled=True, delay=0.0, force_terminal=True)
    # when
    bar(10, 100)
    started = bar.started
    bar(100, 100)
    bar.close()
    # then
    assert started is True
    assert "100/100" in stream.getvalue()


# --- the `mutualist` command ----------------------------------------------------------


def mutualist(*argv: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the installed ``mutualist`` with no settings module in its
    environment; the process and the modules it imported (Python's own
    import report, ``PYTHONPROFILEIMPORTTIME``)."""
    command = Path(sys.executable).parent / "mutualist"
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["PYTHONPROFILEIMPORTTIME"] = "1"
    assert "DJANGO_SETTINGS_MODULE" not in environment
    done = subprocess.run(  # noqa: S603 (our own venv's command, fixed arguments)
        [str(command), *argv],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    imported = [
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    return done, imported


def test_the_installed_command_runs_simulate_without_django():
    # when
    done, imported = mutualist(
        "simulate", *SHORT, "--mean-claim", "1", "--theta", "0.1", "--seed", "1", "--json"
    )
    # then
    assert done.returncode == 0, done.stderr[-2000:]
    assert "numpy" in imported  # the import report is there to be read
    assert [name for name in imported if name.split(".")[0] == "django"] == []
    assert json.loads(done.stdout)["paths"] == 500


@pytest.mark.parametrize("fund", [["--fund", "bakers/sick_pay"], ["--fund=bakers/sick_pay"]])
def test_the_installed_command_hands_simulate_with_a_fund_to_django(fund):
    # when: the management command's own help, which knows --fund
    done, imported = mutualist("simulate", "--help", *fund)
    # then
    assert done.returncode == 0, done.stderr[-2000:]
    assert "django" in imported
    assert done.stdout.startswith("usage: mutualist simulate [-h] [--fund COLLECTIVE_SLUG/KIND]")
