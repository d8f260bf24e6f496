"""A fund model as a JSON config: what ``mutualist simulate fund --config``
and ``simulate recommend --config`` read.

The file is one JSON object::

    {
      "kind": "sick_pay",            # or "guarantee"
      "months": 60,                  # the horizon (optional, 60)
      "paths": 10000,                # simulated paths (optional, 10,000)
      "seed": 1,                     # optional; none gives fresh entropy
      "target": 0.01,                # optional; the risk `recommend` keeps under
      "description": "...",          # optional, ignored
      "model": {
        "tier_members": [5, 5, 5, 5, 5, 5, 5, 5],
        "tier_deposits": [33.75, 45.0, ...],
        "tier_payouts": [750, 1000, ...],
        "sick_probability": 0.01,
        "durations": {"geometric": 3.0}
      }
    }

``model`` holds the fields of :class:`~mutualist.engines.solvency.fund.SickPayModel`
or :class:`~mutualist.engines.solvency.fund.GuaranteeModel` by name, those
with a default optional; ``durations`` and ``delays`` are
``{"geometric": MEAN}``, ``{"empirical": [MONTHS, ...]}`` or
``{"kaplan_meier": {"finished": [MONTHS, ...], "running": [MONTHS, ...],
"tail_mean": MEAN}}`` (``running`` and ``tail_mean`` optional).

:func:`parse_fund_config` checks the shape here (unknown or missing keys,
types) and leaves the ranges to the engine's own checks; either way a bad
field is one :class:`ConfigError` naming it by its path in the file
(``model.tier_members[3]: must be a whole number; got 2.5.``).
:func:`fund_config_dict` writes a config back as that JSON.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mutualist.engines.solvency._common import check_int, check_number
from mutualist.engines.solvency.fund import Durations, FundModel, GuaranteeModel, SickPayModel

KINDS: dict[str, type[SickPayModel] | type[GuaranteeModel]] = {
    "sick_pay": SickPayModel,
    "guarantee": GuaranteeModel,
}
DEFAULT_MONTHS = 60
DEFAULT_PATHS = 10_000
DEFAULT_TARGET = 0.01
MAX_MONTHS = 1200  # a century: beyond it a config is surely a mistake
TOP_LEVEL = ("kind", "months", "paths", "seed", "target", "description", "model")

# How each model field is written in JSON.
Shape = Literal["number", "whole", "whole or null", "numbers", "wholes", "boolean", "durations"]
SHAPES: dict[str, dict[str, Shape]] = {
    "sick_pay": {
        "tier_members": "wholes",
        "tier_deposits": "numbers",
        "tier_payouts": "numbers",
        "sick_probability": "number",
        "durations": "durations",
        "waiting_days": "whole",
        "max_months": "whole",
        "half_share": "number",
        "initial_balance": "number",
        "joins_per_month": "number",
        "leave_rate": "number",
        "max_members": "whole or null",
        "buffer_multiple": "whole or null",
        "refund_month": "whole",
        "start_month": "whole",
        "partial_payouts": "boolean",
    },
    "guarantee": {
        "invoices_per_month": "number",
        "invoice_amounts": "numbers",
        "levy_percent": "number",
        "payout_fraction": "number",
        "late_probability": "number",
        "overdue_days": "whole",
        "delays": "durations",
        "never_probability": "number",
        "recovery": "number",
        "initial_balance": "number",
        "partial_payouts": "boolean",
    },
}


class ConfigError(ValueError):
    """A config the simulator cannot run, naming the field by its path in
    the file: ``str(error)`` is ``"model.sick_probability: must be at most 1;
    got 2."``.

    Examples
    --------
    >>> error = ConfigError("model.sick_probability", "must be at most 1; got 2.")
    >>> str(error)
    'model.sick_probability: must be at most 1; got 2.'
    >>> error.field
    'model.sick_probability'
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class FundConfig:
    """A parsed config: the model and how to run it.

    Examples
    --------
    >>> from mutualist.engines.solvency.fund import Durations, SickPayModel
    >>> model = SickPayModel(
    ...     tier_members=(10,), tier_deposits=(40.0,), tier_payouts=(1000.0,),
    ...     sick_probability=0.01, durations=Durations.geometric(3.0),
    ... )
    >>> FundConfig(kind="sick_pay", model=model).months
    60
    """

    kind: str  # "sick_pay" | "guarantee"
    model: FundModel
    months: int = DEFAULT_MONTHS
    paths: int = DEFAULT_PATHS
    seed: int | None = None
    target: float = DEFAULT_TARGET


def parse_fund_config(data: Any) -> FundConfig:
    """Check a config read from JSON and build its model.

    Parameters
    ----------
    data
        The JSON value (``json.load`` of the file): an object with ``kind``
        and ``model``, optionally ``months``, ``paths``, ``seed``, ``target``
        and ``description``.

    Returns
    -------
    FundConfig
        The model, ready for ``simulate_fund`` or ``recommend_contribution``.

    Raises
    ------
    ConfigError
        The first thing wrong, naming the field by its path in the file.

    Examples
    --------
    >>> config = parse_fund_config({
    ...     "kind": "sick_pay", "paths": 2000, "seed": 7,
    ...     "model": {
    ...         "tier_members": [10], "tier_deposits": [45], "tier_payouts": [1000],
    ...         "sick_probability": 0.01, "durations": {"geometric": 3},
    ...     },
    ... })
    >>> (config.kind, config.months, config.paths, config.seed)
    ('sick_pay', 60, 2000, 7)
    >>> config.model.durations.mean
    3.0
    >>> try:
    ...     parse_fund_config({"kind": "sick_pay", "model": {"sick_probability": 2}})
    ... except ConfigError as error:
    ...     print(error)
    model.tier_members: is required.
    """
    if not isinstance(data, Mapping):
        raise ConfigError("config", f"must be a JSON object; got {_kind_of(data)}.")
    for key in data:
        if key not in TOP_LEVEL:
            raise ConfigError(
                str(key), f"is not a config key; expected one of {_listed(TOP_LEVEL)}."
            )
    if "kind" not in data:
        raise ConfigError("kind", f"is required: one of {_listed(KINDS)}.")
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise ConfigError("kind", f"must be one of {_listed(KINDS)}; got {kind!r}.")
    months = _top(
        data, "months", DEFAULT_MONTHS, lambda v: check_int(v, "x", low=1, high=MAX_MONTHS)
    )
    paths = _top(data, "paths", DEFAULT_PATHS, lambda v: check_int(v, "x", low=1))
    seed = _top(data, "seed", None, lambda v: None if v is None else check_int(v, "x", low=0))
    target = _top(
        data,
        "target",
        DEFAULT_TARGET,
        lambda v: check_number(v, "x", low=0.0, high=1.0, high_open=True),
    )
    if "description" in data and not isinstance(data["description"], str):
        raise ConfigError("description", f"must be text; got {_kind_of(data['description'])}.")
    if "model" not in data:
        raise ConfigError("model", f"is required: the {kind} model's fields.")
    model = parse_model(kind, data["model"])
    return FundConfig(kind=kind, model=model, months=months, paths=paths, seed=seed, target=target)


def parse_model(kind: str, data: Any, *, path: str = "model") -> FundModel:
    """The ``model`` object of a config as a ``kind`` model (``"sick_pay"``
    or ``"guarantee"``); a :class:`ConfigError` naming ``path.<field>``
    otherwise.

    Examples
    --------
    >>> model = parse_model("guarantee", {
    ...     "invoices_per_month": 4, "invoice_amounts": [800, 1200], "levy_percent": 3,
    ...     "payout_fraction": 0.8, "late_probability": 0.1,
    ... })
    >>> (model.levy_percent, model.invoice_amounts, model.delays.kind)
    (3.0, (800.0, 1200.0), 'geometric')
    """
    if kind not in KINDS:
        raise ConfigError("kind", f"must be one of {_listed(KINDS)}; got {kind!r}.")
    if not isinstance(data, Mapping):
        raise ConfigError(path, f"must be a JSON object; got {_kind_of(data)}.")
    cls = KINDS[kind]
    shapes = SHAPES[kind]
    fields = {field.name: field for field in dataclasses.fields(cls)}
    for key in data:
        if key not in shapes:
            raise ConfigError(
                f"{path}.{key}",
                f"is not a field of a {kind} model; expected one of {_listed(shapes)}.",
            )
    values: dict[str, Any] = {}
    for name, shape in shapes.items():
        field = fields[name]
        if name not in data:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise ConfigError(f"{path}.{name}", "is required.")
            continue
        values[name] = _value(data[name], shape, f"{path}.{name}")
    try:
        return cls(**values)
    except ValueError as error:
        raise _located(error, path, set(shapes)) from None


def fund_config_dict(config: FundConfig) -> dict[str, Any]:
    """``config`` as the JSON :func:`parse_fund_config` reads (every model
    field written out, defaults included).

    Examples
    --------
    >>> from mutualist.engines.solvency.fund import Durations, SickPayModel
    >>> model = SickPayModel(
    ...     tier_members=(10,), tier_deposits=(40.0,), tier_payouts=(1000.0,),
    ...     sick_probability=0.01, durations=Durations.empirical([1, 2.5]),
    ... )
    >>> data = fund_config_dict(FundConfig(kind="sick_pay", model=model, seed=3))
    >>> data["model"]["durations"], data["seed"]
    ({'empirical': [1.0, 2.5]}, 3)
    >>> parse_fund_config(data) == FundConfig(kind="sick_pay", model=model, seed=3)
    True
    """
    model: dict[str, Any] = {}
    for name, shape in SHAPES[config.kind].items():
        value = getattr(config.model, name)
        if shape == "durations":
            model[name] = value.to_dict()
        elif shape in ("numbers", "wholes"):
            model[name] = list(value)
        else:
            model[name] = value
    data: dict[str, Any] = {
        "kind": config.kind,
        "months": config.months,
        "paths": config.paths,
        "seed": config.seed,
        "target": config.target,
        "model": model,
    }
    return data


# --- Shapes -------------------------------------------------------------------------


def _top(data: Mapping[str, Any], key: str, default: Any, check: Callable[[Any], Any]) -> Any:
    if key not in data:
        return default
    try:
        return check(data[key])
    except ValueError as error:
        raise ConfigError(key, str(error).removeprefix("x ")) from None


def _value(value: Any, shape: Shape, path: str) -> Any:
    if shape == "number":
        return _number(value, path)
    if shape == "whole":
        return _whole(value, path)
    if shape == "whole or null":
        return None if value is None else _whole(value, path)
    if shape == "boolean":
        if not isinstance(value, bool):
            raise ConfigError(path, f"must be true or false; got {_shown(value)}.")
        return value
    if shape in ("numbers", "wholes"):
        if not isinstance(value, list):
            raise ConfigError(path, f"must be a list of numbers; got {_shown(value)}.")
        each = _whole if shape == "wholes" else _number
        return tuple(each(item, f"{path}[{index}]") for index, item in enumerate(value))
    return _durations(value, path)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, f"must be a number; got {_shown(value)}.")
    try:
        return check_number(value, "x")
    except ValueError as error:  # infinite, or a whole number past float64 (1e400 written out)
        raise ConfigError(path, str(error).removeprefix("x ")) from None


def _whole(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, f"must be a whole number; got {_shown(value)}.")
    return int(value)


def _durations(value: Any, path: str) -> Durations:
    expected = (
        'give {"geometric": MEAN_MONTHS}, {"empirical": [MONTHS, ...]} or '
        '{"kaplan_meier": {"finished": [MONTHS, ...]}}'
    )
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ConfigError(path, f"{expected}; got {_shown(value)}.")
    ((kind, argument),) = value.items()
    try:
        if kind == "geometric":
            return Durations.geometric(_number(argument, f"{path}.geometric"))
        if kind == "empirical":
            return Durations.empirical(_months(argument, f"{path}.empirical"))
        if kind == "kaplan_meier":
            return _kaplan_meier(argument, f"{path}.kaplan_meier")
    except ValueError as error:
        if isinstance(error, ConfigError):
            raise
        names = {"finished", "running", "tail_mean"} if kind == "kaplan_meier" else set()
        raise _located(error, f"{path}.{kind}", names) from None
    raise ConfigError(path, f"{expected}; got {_shown(value)}.")


def _months(value: Any, path: str) -> list[float]:
    if not isinstance(value, list):
        raise ConfigError(path, f"must be a list of months; got {_shown(value)}.")
    return [_number(item, f"{path}[{i}]") for i, item in enumerate(value)]


def _kaplan_meier(value: Any, path: str) -> Durations:
    keys = ("finished", "running", "tail_mean")
    if not isinstance(value, Mapping):
        raise ConfigError(
            path, f"must be an object with finished (and running, tail_mean); got {_shown(value)}."
        )
    for key in value:
        if key not in keys:
            raise ConfigError(
                f"{path}.{key}", f"is not a key here; expected one of {_listed(keys)}."
            )
    if "finished" not in value:
        raise ConfigError(f"{path}.finished", "is required.")
    finished = _months(value["finished"], f"{path}.finished")
    running = _months(value.get("running", []), f"{path}.running")
    tail_mean = value.get("tail_mean")
    if tail_mean is not None:
        tail_mean = _number(tail_mean, f"{path}.tail_mean")
    return Durations.kaplan_meier(finished, running, tail_mean=tail_mean)


# "tier_members[3] must be at least 0; got -1." -> field tier_members, index [3]
_MESSAGE = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?P<index>(?:\[\d+\])*) (?P<rest>must .*)$", re.S)


def _located(error: ValueError, path: str, names: set[str]) -> ConfigError:
    """The engine's ``ValueError`` as a :class:`ConfigError` at its field's
    path: ``"sick_probability must be at most 1; got 2."`` under ``model``
    becomes ``model.sick_probability: must be at most 1; got 2.``; a message
    naming no field of ``names`` stays whole, at ``path`` itself (for a
    ``Durations`` at ``model.durations.geometric``, its own parameter name
    adds nothing and is dropped)."""
    message = str(error)
    match = _MESSAGE.match(message)
    if match is None:
        return ConfigError(path, message)
    if match["name"] in names:
        return ConfigError(f"{path}.{match['name']}{match['index']}", match["rest"])
    if not names:
        return ConfigError(f"{path}{match['index']}", match["rest"])
    return ConfigError(path, message)


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return "a number"


def _shown(value: Any) -> str:
    if value is None or isinstance(value, bool | Mapping | list):
        return _kind_of(value)
    return repr(value)


def _listed(names: Any) -> str:
    return ", ".join(str(name) for name in names)
