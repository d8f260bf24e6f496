"""``env_seconds``: the setting of a time limit from the environment (WORK_MATCH_TIME_LIMIT)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from mutualist.settings import env_seconds


def test_the_default_when_unset_or_blank(monkeypatch):
    monkeypatch.delenv("X_LIMIT", raising=False)
    assert env_seconds("X_LIMIT", 5.0) == 5.0
    monkeypatch.setenv("X_LIMIT", "  ")
    assert env_seconds("X_LIMIT", 5.0) == 5.0


def test_a_decimal_number_of_seconds(monkeypatch):
    monkeypatch.setenv("X_LIMIT", "2.5")
    assert env_seconds("X_LIMIT", 5.0) == 2.5


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "inf", "nan"])
def test_anything_else_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv("X_LIMIT", raw)
    with pytest.raises(
        ImproperlyConfigured, match=f"X_LIMIT must be a number of seconds above 0; got '{raw}'"
    ):
        env_seconds("X_LIMIT", 5.0)


def test_the_pitch_builder_has_a_limit():
    assert settings.WORK_MATCH_TIME_LIMIT > 0
