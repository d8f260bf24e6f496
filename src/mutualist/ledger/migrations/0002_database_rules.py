"""The ledger's rules, enforced by the database for every writer.

- Posted transactions and postings are never updated or deleted (a
  correction is a reversing transaction), on PostgreSQL and SQLite.
- A posting carries its account's currency, its transaction's date, and its
  account is in the transaction's collective's books.
- An account's name, type, currency, books and owner never change (history
  and exports name it).
- PostgreSQL only: a deferred constraint trigger refuses, at commit, a
  transaction with fewer than two postings or whose postings do not sum to
  zero in each currency (SQLite has no deferred triggers; there
  ``transaction_post`` and ``mutualist ledger check`` hold that line).

TRUNCATE is left alone: it is what test teardown and a deliberate operator
wipe use, never an application path.
"""

from __future__ import annotations

from django.db import migrations

IMMUTABLE = "posted ledger entries are immutable: post a reversing transaction instead"
MISMATCH = "a posting must match the currency and books of its account and the date of its transaction"
FROZEN = "the name, type, currency, books and owner of an account cannot change"
# Interpolated into SQL string literals: no apostrophes.
UNBALANCED = "ledger transaction does not balance in each currency"

ACCOUNT_FROZEN_COLUMNS = (
    "name",
    "type",
    "currency",
    "collective_id",
    "owner_kind",
    "owner_type_id",
    "owner_id",
)

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ledger_posting_immutable BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE TRIGGER ledger_transaction_immutable BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    f"""
    CREATE OR REPLACE FUNCTION ledger_posting_consistent() RETURNS trigger AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM ledger_account a, ledger_transaction t
            WHERE a.id = NEW.account_id AND t.id = NEW.transaction_id
              AND a.currency = NEW.currency
              AND t.occurred_at = NEW.occurred_at
              AND a.collective_id = t.collective_id
        ) THEN
            RAISE EXCEPTION '{MISMATCH}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ledger_posting_consistent BEFORE INSERT ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_consistent();
    """,
    f"""
    CREATE OR REPLACE FUNCTION ledger_account_frozen() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER ledger_account_frozen BEFORE UPDATE ON ledger_account FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ACCOUNT_FROZEN_COLUMNS)
    + ") EXECUTE FUNCTION ledger_account_frozen();",
    f"""
    CREATE OR REPLACE FUNCTION ledger_posting_balanced() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM ledger_posting WHERE transaction_id = NEW.transaction_id
            GROUP BY currency HAVING SUM(amount_minor) <> 0
        ) THEN
            RAISE EXCEPTION '{UNBALANCED}: %', NEW.transaction_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_balanced();
    """,
    f"""
    CREATE OR REPLACE FUNCTION ledger_transaction_has_postings() RETURNS trigger AS $$
    BEGIN
        IF (SELECT count(*) FROM ledger_posting WHERE transaction_id = NEW.id) < 2 THEN
            RAISE EXCEPTION '{UNBALANCED}: % has fewer than two postings', NEW.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_transaction_has_postings AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_has_postings();
    """,
]

POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS ledger_transaction_has_postings ON ledger_transaction",
    "DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_account_frozen ON ledger_account",
    "DROP TRIGGER IF EXISTS ledger_posting_consistent ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_transaction_immutable ON ledger_transaction",
    "DROP TRIGGER IF EXISTS ledger_posting_immutable ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_transaction_has_postings()",
    "DROP FUNCTION IF EXISTS ledger_posting_balanced()",
    "DROP FUNCTION IF EXISTS ledger_account_frozen()",
    "DROP FUNCTION IF EXISTS ledger_posting_consistent()",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
]

SQLITE = [
    f"""
    CREATE TRIGGER ledger_{table}_no_{action} BEFORE {action.upper()} ON ledger_{table}
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """
    for table in ("posting", "transaction")
    for action in ("update", "delete")
] + [
    f"""
    CREATE TRIGGER ledger_posting_consistent BEFORE INSERT ON ledger_posting
    WHEN NOT EXISTS (
        SELECT 1 FROM ledger_account a, ledger_transaction t
        WHERE a.id = NEW.account_id AND t.id = NEW.transaction_id
          AND a.currency = NEW.currency
          AND t.occurred_at = NEW.occurred_at
          AND a.collective_id = t.collective_id
    )
    BEGIN SELECT RAISE(ABORT, '{MISMATCH}'); END
    """,
    "CREATE TRIGGER ledger_account_frozen BEFORE UPDATE ON ledger_account WHEN "
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ACCOUNT_FROZEN_COLUMNS)
    + f" BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS ledger_{table}_no_{action}"
    for table in ("posting", "transaction")
    for action in ("update", "delete")
] + [
    "DROP TRIGGER IF EXISTS ledger_posting_consistent",
    "DROP TRIGGER IF EXISTS ledger_account_frozen",
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
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
