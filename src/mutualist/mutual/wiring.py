"""What the funds app plugs into the apps beneath it, once, at start-up:
the governance kinds it decides by vote, the split recipients its levies go
to, billing's share diverters (guarantee refills, savings), what it does
when a member leaves, and the dashboard panels. Each registration is idempotent."""

from __future__ import annotations


def connect() -> None:
    from mutualist.mutual import handlers, panels, receivers, recipients

    handlers.register_all()
    recipients.register_all()
    receivers.connect()
    panels.register()
