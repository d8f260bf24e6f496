"""A fund config file: JSON in, the engine's model out, or one error naming the field."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from mutualist.engines.solvency.config import (
    SHAPES,
    ConfigError,
    FundConfig,
    fund_config_dict,
    parse_fund_config,
)
from mutualist.engines.solvency.fund import Durations, GuaranteeModel, SickPayModel

SICK_PAY: dict[str, Any] = {
    "kind": "sick_pay",
    "model": {
        "tier_members": [5, 5],
        "tier_deposits": [33.75, 45],
        "tier_payouts": [750, 1000],
        "sick_probability": 0.01,
        "durations": {"geometric": 3},
    },
}
GUARANTEE: dict[str, Any] = {
    "kind": "guarantee",
    "months": 36,
    "paths": 2000,
    "seed": 4,
    "target": 0.05,
    "description": "the designers' cooperative",
    "model": {
        "invoices_per_month": 6,
        "invoice_amounts": [800, 1200.5],
        "levy_percent": 3,
        "payout_fraction": 0.8,
        "late_probability": 0.1,
        "delays": {"empirical": [0.5, 2, 4]},
        "never_probability": 0.2,
        "recovery": 0.9,
        "partial_payouts": False,
    },
}


def with_change(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``base`` with ``path`` ("model.tier_members") set to
    ``value``, or removed when ``value`` is ``DROP``."""
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is DROP:
        del target[last]
    else:
        target[last] = value
    return data


DROP = object()


def test_it_reads_a_sick_pay_config_with_the_model_defaults_and_the_run_defaults():
    # when
    config = parse_fund_config(SICK_PAY)
    # then
    assert config == FundConfig(
        kind="sick_pay",
        model=SickPayModel(
            tier_members=(5, 5),
            tier_deposits=(33.75, 45.0),
            tier_payouts=(750.0, 1000.0),
            sick_probability=0.01,
            durations=Durations.geometric(3.0),
        ),
        months=60,
        paths=10_000,
        seed=None,
        target=0.01,
    )
    assert isinstance(config.model, SickPayModel)
    assert (config.model.waiting_days, config.model.max_months, config.model.buffer_multiple) == (
        30,
        24,
        36,
    )


def test_it_reads_a_guarantee_config_with_every_run_setting():
    # when
    config = parse_fund_config(GUARANTEE)
    # then
    assert config == FundConfig(
        kind="guarantee",
        model=GuaranteeModel(
            invoices_per_month=6.0,
            invoice_amounts=(800.0, 1200.5),
            levy_percent=3.0,
            payout_fraction=0.8,
            late_probability=0.1,
            delays=Durations.empirical([0.5, 2.0, 4.0]),
            never_probability=0.2,
            recovery=0.9,
            partial_payouts=False,
        ),
        months=36,
        paths=2000,
        seed=4,
        target=0.05,
    )


def test_it_takes_null_for_no_member_limit_and_no_buffer_cap():
    # given
    data = with_change(SICK_PAY, "model.max_members", None)
    data["model"]["buffer_multiple"] = None
    # when
    model = parse_fund_config(data).model
    # then
    assert isinstance(model, SickPayModel)
    assert (model.max_members, model.buffer_multiple) == (None, None)


KAPLAN_MEIER = with_change(
    SICK_PAY,
    "model.durations",
    {"kaplan_meier": {"finished": [1, 2.5, 4], "running": [0, 6]}},
)


def test_it_reads_kaplan_meier_durations_from_finished_and_running_periods():
    config = parse_fund_config(KAPLAN_MEIER)

    assert isinstance(config.model, SickPayModel)
    assert config.model.durations == Durations.kaplan_meier([1, 2.5, 4], running=[0, 6])
    # the tail's mean by default: months observed / periods finished
    assert config.model.durations.tail_mean == (1 + 2.5 + 4 + 6) / 3


@pytest.mark.parametrize(
    "base", [SICK_PAY, GUARANTEE, KAPLAN_MEIER], ids=["sick_pay", "guarantee", "kaplan_meier"]
)
def test_it_writes_a_config_back_as_the_json_it_reads(base):
    # given
    config = parse_fund_config(base)
    # when
    data = fund_config_dict(config)
    # then: every model field written out, and read back the same
    assert set(data["model"]) == set(SHAPES[config.kind])
    assert parse_fund_config(data) == config


@pytest.mark.parametrize(
    ("kind", "model"), [("sick_pay", SickPayModel), ("guarantee", GuaranteeModel)]
)
def test_it_knows_the_shape_of_every_field_of_the_engines_models(kind, model):
    # A field added to the engine's model must be readable from a config too.
    assert list(SHAPES[kind]) == [field.name for field in dataclasses.fields(model)]


@pytest.mark.parametrize(
    ("base", "path", "value", "message"),
    [
        (SICK_PAY, "kind", DROP, "kind: is required: one of sick_pay, guarantee."),
        (SICK_PAY, "kind", "savings", "kind: must be one of sick_pay, guarantee; got 'savings'."),
        (
            SICK_PAY,
            "horizon",
            12,
            "horizon: is not a config key; expected one of kind, months, "
            "paths, seed, target, description, model.",
        ),
        (SICK_PAY, "months", 0, "months: must be at least 1; got 0."),
        (SICK_PAY, "months", 1201, "months: must be at most 1200; got 1201."),
        (SICK_PAY, "paths", "many", "paths: must be a whole number; got 'many'."),
        (SICK_PAY, "seed", -1, "seed: must be at least 0; got -1."),
        (SICK_PAY, "target", 1, "target: must be below 1; got 1."),
        (SICK_PAY, "description", 3, "description: must be text; got a number."),
        (SICK_PAY, "model", DROP, "model: is required: the sick_pay model's fields."),
        (SICK_PAY, "model", [1], "model: must be a JSON object; got a list."),
        (SICK_PAY, "model.tier_members", DROP, "model.tier_members: is required."),
        (
            SICK_PAY,
            "model.tier_members",
            [5, 2.5],
            "model.tier_members[1]: must be a whole number; got 2.5.",
        ),
        (
            SICK_PAY,
            "model.tier_members",
            [5, -1],
            "model.tier_members[1]: must be at least 0; got -1.",
        ),
        (SICK_PAY, "model.tier_members", [], "model.tier_members: must hold at least one tier."),
        (
            SICK_PAY,
            "model.tier_members",
            10,
            "model.tier_members: must be a list of numbers; got 10.",
        ),
        (
            SICK_PAY,
            "model.tier_deposits",
            [33.75],
            "model.tier_deposits: must hold one amount per tier (2, as tier_members); got 1.",
        ),
        (
            SICK_PAY,
            "model.tier_payouts",
            [750, "1000"],
            "model.tier_payouts[1]: must be a number; got '1000'.",
        ),
        (
            SICK_PAY,
            "model.sick_probability",
            2,
            "model.sick_probability: must be at most 1; got 2.",
        ),
        (
            SICK_PAY,
            "model.sick_probability",
            True,
            "model.sick_probability: must be a number; got true.",
        ),
        (
            SICK_PAY,
            "model.waiting_days",
            30.0,
            "model.waiting_days: must be a whole number; got 30.0.",
        ),
        (SICK_PAY, "model.refund_month", 13, "model.refund_month: must be at most 12; got 13."),
        (
            SICK_PAY,
            "model.partial_payouts",
            "yes",
            "model.partial_payouts: must be true or false; got 'yes'.",
        ),
        (
            SICK_PAY,
            "model.durations",
            3,
            'model.durations: give {"geometric": MEAN_MONTHS}, {"empirical": [MONTHS, ...]} '
            'or {"kaplan_meier": {"finished": [MONTHS, ...]}}; got 3.',
        ),
        (
            SICK_PAY,
            "model.durations",
            {"weibull": 2},
            'model.durations: give {"geometric": MEAN_MONTHS}, {"empirical": [MONTHS, ...]} '
            'or {"kaplan_meier": {"finished": [MONTHS, ...]}}; got an object.',
        ),
        (
            SICK_PAY,
            "model.durations",
            {"geometric": 0.5},
            "model.durations.geometric: must be at least 1; got 0.5.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"empirical": [1, 0]},
            "model.durations.empirical[1]: must be above 0; got 0.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"empirical": []},
            "model.durations.empirical: must hold at least one number.",
        ),
        (
            SICK_PAY,
            "model.levy_percent",
            3,
            "model.levy_percent: is not a field of a sick_pay "
            "model; expected one of tier_members, tier_deposits, tier_payouts, sick_probability, "
            "durations, waiting_days, max_months, half_share, initial_balance, joins_per_month, "
            "leave_rate, max_members, buffer_multiple, refund_month, start_month, "
            "partial_payouts.",
        ),
        (GUARANTEE, "model.levy_percent", 101, "model.levy_percent: must be at most 100; got 101."),
        (
            GUARANTEE,
            "model.invoice_amounts",
            [800, -5],
            "model.invoice_amounts[1]: must be above 0; got -5.",
        ),
        (
            GUARANTEE,
            "model.delays",
            {"empirical": "soon"},
            "model.delays.empirical: must be a list of months; got 'soon'.",
        ),
        (GUARANTEE, "model.late_probability", DROP, "model.late_probability: is required."),
        (
            SICK_PAY,
            "model.durations",
            {"kaplan_meier": {"running": [2]}},
            "model.durations.kaplan_meier.finished: is required.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"kaplan_meier": {"finished": [1], "running": [-2]}},
            "model.durations.kaplan_meier.running[0]: must be at least 0; got -2.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"kaplan_meier": {"finished": [1], "tail_mean": 0.5}},
            "model.durations.kaplan_meier.tail_mean: must be at least 1; got 0.5.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"kaplan_meier": {"finished": [1], "censored": [3]}},
            "model.durations.kaplan_meier.censored: is not a key here; expected one of "
            "finished, running, tail_mean.",
        ),
        # Huge numbers: one error naming the field, never an OverflowError
        (
            SICK_PAY,
            "model.initial_balance",
            10**400,
            "model.initial_balance: must be a finite number; got a whole number of 401 digits.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"geometric": 10**400},
            "model.durations.geometric: must be a finite number; got a whole number of 401 digits.",
        ),
        (
            SICK_PAY,
            "model.tier_members",
            [10**19, 5],
            "model.tier_members[0]: must be at most 1000000; got 10000000000000000000.",
        ),
        (
            SICK_PAY,
            "model.max_members",
            10**19,
            "model.max_members: must be at most 1000000; got 10000000000000000000.",
        ),
        (
            SICK_PAY,
            "model.waiting_days",
            10**26,
            "model.waiting_days: must be at most 3650; got 100000000000000000000000000.",
        ),
        (
            SICK_PAY,
            "model.durations",
            {"empirical": [1e20]},
            "model.durations.empirical[0]: must be at most 1200; got 1e+20.",
        ),
        (
            SICK_PAY,
            "target",
            10**400,
            "target: must be a finite number; got a whole number of 401 digits.",
        ),
        (
            GUARANTEE,
            "model.overdue_days",
            10**26,
            "model.overdue_days: must be at most 3650; got 100000000000000000000000000.",
        ),
    ],
)
def test_it_refuses_a_bad_config_naming_the_field(base, path, value, message):
    # given
    data = with_change(base, path, value)
    # when
    with pytest.raises(ConfigError) as caught:
        parse_fund_config(data)
    # then
    assert str(caught.value) == message
    assert caught.value.field == message.split(": ", 1)[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "config: must be a JSON object; got a list."),
        (None, "config: must be a JSON object; got null."),
        ("sick_pay", "config: must be a JSON object; got text."),
    ],
)
def test_it_refuses_a_config_that_is_not_an_object(data, message):
    with pytest.raises(ConfigError) as caught:
        parse_fund_config(data)
    assert str(caught.value) == message
