"""Payment diversions: parts of a member's share that a share diverter sent
elsewhere (``billing.recipients``). Like payments and their shares, they
are records of money that moved: the database refuses to change or delete
them (the trigger function of 0002 on PostgreSQL)."""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

RECORDED = "a recorded payment or payout cannot be changed or deleted"

POSTGRES = [
    """
    CREATE TRIGGER billing_paymentdiversion_frozen BEFORE UPDATE OR DELETE
    ON billing_paymentdiversion FOR EACH ROW EXECUTE FUNCTION billing_record_frozen();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS billing_paymentdiversion_frozen ON billing_paymentdiversion",
]
SQLITE = [
    f"""
    CREATE TRIGGER billing_paymentdiversion_no_{action} BEFORE {action.upper()}
    ON billing_paymentdiversion
    BEGIN SELECT RAISE(ABORT, '{RECORDED}'); END
    """
    for action in ("update", "delete")
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS billing_paymentdiversion_no_{action}"
    for action in ("update", "delete")
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def create(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES, "sqlite": SQLITE})


def drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_database_rules"),
        ("ledger", "0002_database_rules"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentDiversion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("amount_minor", models.BigIntegerField()),
                ("currency", models.CharField(max_length=3)),
                ("reason", models.CharField(max_length=40)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                    ),
                ),
                (
                    "share",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="diversions",
                        to="billing.paymentshare",
                    ),
                ),
            ],
            options={
                "ordering": ["share", "pk"],
                "indexes": [
                    models.Index(fields=["reason", "share"], name="billing_diversion_reason")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("amount_minor__gt", 0)),
                        name="billing_diversion_positive",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True),
                        name="billing_diversion_reason_named",
                    ),
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
