"""The registry of periodic jobs that `mutualist tick` runs.

``core`` knows nothing of the apps, so the apps bring their jobs to it: each
app may have a ``tick`` module (``mutualist/collectives/tick.py``) that calls
``register(name, func)`` at import time, and ``autodiscover()`` imports those
modules for every installed app, the way ``admin.autodiscover()`` finds
``admin`` modules.

The contract for a job: a callable taking no arguments that returns how many
things it did (invitations expired, contributions posted...). It must be
idempotent and safe to run from several schedulers at once: claim each piece of
work with a conditional ``UPDATE ... WHERE`` whose row count it checks, or
under a row lock, and manage its own transactions, so that a second run at the
same moment finds nothing left to do and does nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

JobFunc = Callable[[], int]


@dataclass(frozen=True)
class TickJob:
    name: str
    func: JobFunc
    description: str


# In registration order, which follows INSTALLED_APPS: deterministic, and an
# app's jobs run after those of the apps it depends on.
_registry: dict[str, TickJob] = {}


def register(name: str, func: JobFunc, *, description: str = "") -> TickJob:
    """Add a periodic job under ``name`` (``"<app>.<what>"``, e.g. ``"collectives.expire_invitations"``).

    Registering the same function under the same name again is a no-op (a
    module imported twice); a different function under a taken name is a
    configuration error, because one of the two would silently never run.
    """
    if not name or any(ch.isspace() for ch in name):
        raise ImproperlyConfigured(f"A tick job needs a name without spaces; got {name!r}.")
    existing = _registry.get(name)
    if existing is not None:
        if existing.func is func:
            return existing
        raise ImproperlyConfigured(
            f"Tick job {name!r} is already registered to {existing.func.__module__}."
            f"{existing.func.__qualname__}."
        )
    job = TickJob(name=name, func=func, description=description or (func.__doc__ or "").strip())
    _registry[name] = job
    return job


def autodiscover() -> None:
    """Import the ``tick`` module of every installed app that has one."""
    autodiscover_modules("tick")


def jobs() -> list[TickJob]:
    """Every registered job, in registration order (call ``autodiscover()`` first)."""
    return list(_registry.values())


def job_get(name: str) -> TickJob | None:
    return _registry.get(name)
