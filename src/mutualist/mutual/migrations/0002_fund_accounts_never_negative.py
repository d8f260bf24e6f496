"""Levies booked before this app existed went to fund accounts opened
without the never-below-zero guard; the funds now pay out of them, so
they take the guard (DESIGN.md, ledger rule 4). They only ever received
credits, so none is on the wrong side of zero."""

from __future__ import annotations

from django.db import migrations


def guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    Account = apps.get_model("ledger", "Account")
    Account.objects.filter(
        type="liabilities",
        owner_kind="collective",
        name__startswith="Liabilities:Collectives:",
        name__contains=":Funds:",
        balance_minor__lte=0,
        must_not_go_negative=False,
    ).update(must_not_go_negative=True)


class Migration(migrations.Migration):
    dependencies = [
        ("mutual", "0001_initial"),
        ("ledger", "0001_initial"),
    ]

    operations = [migrations.RunPython(guard, migrations.RunPython.noop)]
