"""`mutualist match INSTANCE.json [--time-limit SECONDS]`: the engine from the shell.

The real console script runs in a subprocess with neither ``DEBUG`` nor
``SECRET_KEY`` (with which every Django command refuses to start), to show
that ``match`` needs no Django; ``call_command`` covers the management
command that ``mutualist help`` lists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualist.engines.matching import cli

MUTUALIST = Path(sys.executable).with_name("mutualist")

EXAMPLE = {
    "week": "2026-11-30",
    "max_team_size": 3,
    "currency": "USD",
    "roles": [
        {
            "id": "support",
            "skill": "customer_support",
            "timezone": "Australia/Sydney",
            "coverage": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
            ],
        },
        {"id": "books", "skill": "bookkeeping", "hours": 6},
    ],
    "members": [
        {
            "id": "ana",
            "skills": ["customer_support", "bookkeeping"],
            "timezone": "Asia/Manila",
            "rate": "9.50",
            "capacity": 30,
            "availability": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "14:00"}
            ],
        },
        {
            "id": "ben",
            "skills": ["customer_support"],
            "timezone": "Africa/Lagos",
            "rate": "8.00",
            "capacity": 40,
            # Sunday 22:00 in Lagos is Sydney's Monday 08:00 the same instant:
            # the Sunday of the week before, in Ben's own calendar.
            "availability": [
                {"days": ["sun", "mon", "tue", "wed", "thu"], "start": "22:00", "end": "07:00"}
            ],
        },
    ],
}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(MUTUALIST), "match", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(EXAMPLE))
    return path


def test_the_issues_example_is_solved_without_django_settings(example: Path) -> None:
    done = run(str(example))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == "optimal"
    # Ben (8.00) takes all 40 support hours; Ana (9.50) the 6 of bookkeeping.
    assert answer["cost"] == "377.00"
    assert answer["team"] == [
        {"member": "ana", "hours": 6, "roles": {"books": 6}, "cost": "57.00"},
        {"member": "ben", "hours": 40, "roles": {"support": 40}, "cost": "320.00"},
    ]
    assert answer["shifts"][0] == {
        "role": "support",
        "member": "ben",
        "start": "2026-11-29T22:00:00Z",
        "end": "2026-11-30T06:00:00Z",
    }
    assert len(answer["shifts"]) == 5
    assert answer["uncovered"] == []
    assert done.stderr == ""


def test_standard_input_and_a_time_limit(example: Path) -> None:
    done = run("-", "--time-limit", "30", stdin=example.read_text())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cost"] == "377.00"


def test_an_unquoted_rate_is_read_as_its_exact_text(tmp_path: Path) -> None:
    text = json.dumps(EXAMPLE).replace('"rate": "9.50"', '"rate": 9.10')
    path = tmp_path / "unquoted.json"
    path.write_text(text)
    done = run(str(path))
    assert done.returncode == 0, done.stderr
    assert Decimal(json.loads(done.stdout)["team"][0]["cost"]) == Decimal("54.60")


def test_no_team_exits_1_and_still_prints_the_answer(tmp_path: Path) -> None:
    instance = json.loads(json.dumps(EXAMPLE))
    instance["max_team_size"] = 1
    path = tmp_path / "small.json"
    path.write_text(json.dumps(instance))
    done = run(str(path))
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["status"] == "infeasible"
    assert "No team of at most 1 member can staff every hour" in answer["reason"]
    assert answer["team"] == [] and answer["cost"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda i: i["members"][1].update(rate="8,00"), "members[1].rate"),
        (lambda i: i["roles"][0]["coverage"][0].update(end="17:30"), "roles[0].coverage[0].end"),
        (lambda i: i.update(week="2026-12-01"), "week"),
        (lambda i: i["roles"][0].update(timezone="Mars/Olympus"), "roles[0].timezone"),
        (lambda i: i["members"][0].update(capacity=-1), "members[0].capacity"),
        (lambda i: i["roles"][1].update(hourz=3), "roles[1].hourz"),
    ],
)
def test_a_malformed_instance_exits_2_with_one_line_naming_the_field(
    tmp_path: Path, change, field: str
) -> None:
    instance = json.loads(json.dumps(EXAMPLE))
    change(instance)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(instance))
    done = run(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"mutualist match: {field}: ")


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("/no/such/instance.json",), None, "cannot read /no/such/instance.json"),
        (("-",), "{", "standard input is not JSON"),
        (("-",), "[]", "instance: give an object"),
        (("-", "--time-limit", "soon"), "{}", "'soon' is not a number of seconds"),
        (("-", "--time-limit", "0"), "{}", "give a number of seconds above 0"),
        ((), None, "the following arguments are required: instance"),
    ],
)
def test_a_bad_call_exits_2_with_one_line(args, stdin, says: str) -> None:
    done = run(*args, stdin=stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("mutualist match: ")
    assert says in lines[0]


def test_the_management_command_answers_the_same(example: Path, capsys) -> None:
    call_command("match", str(example))
    assert json.loads(capsys.readouterr().out)["cost"] == "377.00"


def test_the_management_command_refuses_with_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**EXAMPLE, "week": "someday"}))
    with pytest.raises(CommandError, match=r"^week: 'someday' is not a date") as refused:
        call_command("match", str(path))
    assert refused.value.returncode == 2


def test_main_returns_the_status_instead_of_exiting(example: Path) -> None:
    class Sink:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

    out, err = Sink(), Sink()
    assert cli.main([str(example)], stdout=out, stderr=err) == 0  # type: ignore[arg-type]
    assert json.loads(out.text)["status"] == "optimal"
    assert err.text == ""


def test_what_the_solver_writes_to_file_descriptor_1_goes_to_stderr(
    example: Path, monkeypatch, capfd
) -> None:
    # HiGHS has lines it prints with printf whatever its options say; stdout
    # must stay the JSON answer alone.
    real = cli.solve

    def chatty(data, *, time_limit=None):
        os.write(1, b"HighsMipSolverData::transformNewIntegerFeasibleSolution\n")
        return real(data, time_limit=time_limit)

    monkeypatch.setattr(cli, "solve", chatty)

    assert cli.main([str(example)], stdout=sys.stdout, stderr=sys.stderr) == 0

    out, err = capfd.readouterr()
    assert json.loads(out)["cost"] == "377.00"
    assert "HighsMipSolverData" in err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"week": ' + "1" * 5000 + "}", "holds a number too long to read"),
        (json.dumps(EXAMPLE).replace('"9.50"', "1.5e999999999"), "members[0].rate: "),
        (json.dumps(EXAMPLE).replace('"ana"', '"ana\\ud800"', 1), "members[0].id: "),
    ],
)
def test_extreme_input_is_one_line_and_exit_2(text: str, says: str) -> None:
    done = run("-", stdin=text)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert says in done.stderr
