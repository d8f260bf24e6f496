"""`mutualist tick`: the periodic jobs, each idempotent, found through each app's ``tick`` module."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from mutualist.collectives.models import Invitation, Membership
from mutualist.collectives.services import invitation_create, invitation_expire_overdue
from mutualist.core import tick
from mutualist.testing import make_member

JOB = "collectives.expire_invitations"


def run_tick(capsys, *args: str) -> str:
    call_command("tick", *args)
    return str(capsys.readouterr().out)


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry that a test may add to without leaking into others."""
    tick.autodiscover()
    monkeypatch.setattr(tick, "_registry", dict(tick._registry))
    return tick._registry


def test_it_finds_the_invitation_job_in_the_collectives_app():
    # when
    tick.autodiscover()
    # then
    job = tick.job_get(JOB)
    assert job is not None
    assert job.func is invitation_expire_overdue
    assert JOB in [j.name for j in tick.jobs()]


def test_it_expires_an_overdue_invitation_once(cast, capsys):
    # given: Ana invited Zoe (who has an account) fifteen days ago; invitations last fourteen
    zoe = make_member("zoe@example.org", "Zoe Lim")
    with time_machine.travel(timezone.now() - dt.timedelta(days=15), tick=False):
        invitation = invitation_create(
            collective=cast.collective_a, inviter=cast.ana, email=zoe.email
        )
    assert Membership.objects.get(collective=cast.collective_a, user=zoe).state == "invited"
    # when
    first = run_tick(capsys)
    # then
    assert f"{JOB}: 1" in first.splitlines()
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.EXPIRED
    assert invitation.responded_at is not None
    assert not Membership.objects.filter(collective=cast.collective_a, user=zoe).exists()
    # when: a second scheduler runs it again
    responded_at = invitation.responded_at
    second = run_tick(capsys)
    # then: nothing left to do, nothing touched
    assert f"{JOB}: 0" in second.splitlines()
    invitation.refresh_from_db()
    assert (invitation.state, invitation.responded_at) == (Invitation.State.EXPIRED, responded_at)


def test_it_leaves_an_invitation_that_is_still_open(cast, capsys):
    # given
    invitation = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="new@example.org"
    )
    # when
    out = run_tick(capsys, "--job", JOB)
    # then
    assert out.splitlines() == [f"{JOB}: 0"]
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING


def test_it_refuses_an_unknown_job_in_one_line(db):
    # when
    with pytest.raises(CommandError) as refused:
        call_command("tick", "--job", "billing.nope")
    # then
    assert str(refused.value) == (
        f"Unknown tick job 'billing.nope'; known jobs: {', '.join(j.name for j in tick.jobs())}."
    )
    assert JOB in str(refused.value)


def test_job_runs_only_the_named_job(db, capsys, registry):
    # given
    calls: list[str] = []

    def other() -> int:
        calls.append("other")
        return 7

    tick.register("test.other", other)
    # when
    out = run_tick(capsys, "--job", "test.other")
    # then
    assert out.splitlines() == ["test.other: 7"]
    assert calls == ["other"]


def test_a_failing_job_does_not_stop_the_others(db, capsys, registry):
    # given
    def broken() -> int:
        raise RuntimeError("ledger unavailable")

    tick.register("test.broken", broken)
    tick.register("test.after", lambda: 3)
    # when
    with pytest.raises(CommandError) as failed:
        call_command("tick")
    # then
    captured = capsys.readouterr()
    assert f"{JOB}: 0" in captured.out.splitlines()
    assert "test.after: 3" in captured.out.splitlines()
    assert "test.broken: failed (RuntimeError: ledger unavailable)" in captured.err
    assert str(failed.value) == f"1 of {len(tick.jobs())} tick jobs failed: test.broken."


def test_list_names_every_job_and_runs_none(db, capsys, registry):
    # given
    tick.register("test.never", lambda: pytest.fail("ran"), description="Must not run.")
    # when
    out = run_tick(capsys, "--list")
    # then
    assert out.splitlines() == [f"{job.name}: {job.description}" for job in tick.jobs()]
    assert f"{JOB}: Close invitations that passed their expiry date unanswered." in out.splitlines()
    assert "test.never: Must not run." in out.splitlines()


def test_register_refuses_a_second_function_under_a_taken_name(registry):
    # given
    def first() -> int:
        return 0

    def second() -> int:
        return 0

    tick.register("test.job", first)
    # when: the same function again is harmless (a module imported twice)
    assert tick.register("test.job", first).func is first
    # then: a different one would silently never run, so it is refused
    with pytest.raises(ImproperlyConfigured) as refused:
        tick.register("test.job", second)
    assert str(refused.value) == (
        f"Tick job 'test.job' is already registered to {__name__}."
        "test_register_refuses_a_second_function_under_a_taken_name.<locals>.first."
    )
