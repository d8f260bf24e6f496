"""Billing's rules, enforced by the database for every writer.

- An issued invoice (or credit note) is a snapshot: once it has left the
  draft state, only the running figures the services keep may change
  (``status`` but never back to draft, ``paid_minor``, ``credited_minor``,
  ``paid_at``, ``overdue_at``), and it cannot be deleted. Its lines and the
  time entries it bills cannot be added, changed or removed.
- Payments, their shares and payouts are records of money that moved; they
  are never changed or deleted (a correction is a new record).
"""

from __future__ import annotations

from django.db import migrations

ISSUED = "an issued invoice cannot be changed or deleted: issue a credit note instead"
RECORDED = "a recorded payment or payout cannot be changed or deleted"

# Every column of billing_invoice except those the services keep moving.
FROZEN_COLUMNS = (
    "collective_id",
    "client_id",
    "engagement_id",
    "kind",
    "credits_id",
    "currency",
    "number",
    "series",
    "seq",
    "tax_rate",
    "tax_label",
    "subtotal_minor",
    "tax_minor",
    "total_minor",
    "payment_terms_days",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "seller_name",
    "seller_address",
    "buyer_name",
    "buyer_address",
    "buyer_tax_id",
    "payment_method",
    "payment_instructions",
    "late_payment_terms",
    "notes",
    "bylaws_id",
    "split_rule",
    "member_share_basis",
    "transaction_id",
    "created_at",
    "created_by_id",
    "issued_at",
    "issued_by_id",
)
CHILDREN = ("invoiceline", "invoicedtime")
RECORDS = ("payment", "paymentshare", "payout")

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
    BEGIN
        IF OLD.status <> 'draft' AND (
            TG_OP = 'DELETE' OR NEW.status = 'draft' OR
            {" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in FROZEN_COLUMNS)}
        ) THEN
            RAISE EXCEPTION '{ISSUED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen();
    """,
    # A child row of an issued invoice: no insert, update or delete. The
    # status is read under the invoice's row, so a child cannot slip in
    # while the invoice is being issued (issuing locks that row first).
    f"""
    CREATE OR REPLACE FUNCTION billing_invoice_child_frozen() RETURNS trigger AS $$
    DECLARE
        parent_status text;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            SELECT status INTO parent_status FROM billing_invoice WHERE id = OLD.invoice_id;
        ELSE
            SELECT status INTO parent_status FROM billing_invoice WHERE id = NEW.invoice_id;
            IF TG_OP = 'UPDATE' AND OLD.invoice_id <> NEW.invoice_id THEN
                parent_status := 'moved';
            END IF;
        END IF;
        -- A missing parent (the draft being deleted with its rows) is fine.
        IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN
            RAISE EXCEPTION '{ISSUED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"""
        CREATE TRIGGER billing_{table}_frozen BEFORE INSERT OR UPDATE OR DELETE
        ON billing_{table} FOR EACH ROW EXECUTE FUNCTION billing_invoice_child_frozen();
        """
        for table in CHILDREN
    ],
    f"""
    CREATE OR REPLACE FUNCTION billing_record_frozen() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{RECORDED}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"""
        CREATE TRIGGER billing_{table}_frozen BEFORE UPDATE OR DELETE ON billing_{table}
        FOR EACH ROW EXECUTE FUNCTION billing_record_frozen();
        """
        for table in RECORDS
    ],
]

POSTGRES_DROP = [
    *[f"DROP TRIGGER IF EXISTS billing_{t}_frozen ON billing_{t}" for t in RECORDS],
    "DROP FUNCTION IF EXISTS billing_record_frozen()",
    *[f"DROP TRIGGER IF EXISTS billing_{t}_frozen ON billing_{t}" for t in CHILDREN],
    "DROP FUNCTION IF EXISTS billing_invoice_child_frozen()",
    "DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice",
    "DROP FUNCTION IF EXISTS billing_invoice_frozen()",
]

SQLITE = [
    f"""
    CREATE TRIGGER billing_invoice_no_delete BEFORE DELETE ON billing_invoice
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{ISSUED}'); END
    """,
    "CREATE TRIGGER billing_invoice_no_update BEFORE UPDATE ON billing_invoice "
    "WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR "
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FROZEN_COLUMNS)
    + f") BEGIN SELECT RAISE(ABORT, '{ISSUED}'); END",
    *[
        f"""
        CREATE TRIGGER billing_{table}_no_insert BEFORE INSERT ON billing_{table}
        WHEN (SELECT status FROM billing_invoice WHERE id = NEW.invoice_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{ISSUED}'); END
        """
        for table in CHILDREN
    ],
    *[
        f"""
        CREATE TRIGGER billing_{table}_no_update BEFORE UPDATE ON billing_{table}
        WHEN (SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) <> 'draft'
          OR (SELECT status FROM billing_invoice WHERE id = NEW.invoice_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{ISSUED}'); END
        """
        for table in CHILDREN
    ],
    *[
        f"""
        CREATE TRIGGER billing_{table}_no_delete BEFORE DELETE ON billing_{table}
        WHEN (SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{ISSUED}'); END
        """
        for table in CHILDREN
    ],
    *[
        f"""
        CREATE TRIGGER billing_{table}_no_{action} BEFORE {action.upper()} ON billing_{table}
        BEGIN SELECT RAISE(ABORT, '{RECORDED}'); END
        """
        for table in RECORDS
        for action in ("update", "delete")
    ],
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_invoice_no_delete",
    "DROP TRIGGER IF EXISTS billing_invoice_no_update",
    *[
        f"DROP TRIGGER IF EXISTS billing_{t}_no_{a}"
        for t in CHILDREN
        for a in ("insert", "update", "delete")
    ],
    *[f"DROP TRIGGER IF EXISTS billing_{t}_no_{a}" for t in RECORDS for a in ("update", "delete")],
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        # No params: the PL/pgSQL bodies use % placeholders of their own.
        schema_editor.execute(statement, params=None)


def create(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES, "sqlite": SQLITE})


def drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
