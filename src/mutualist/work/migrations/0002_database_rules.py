"""The work domain's rules, enforced by the database for every writer.

- A written agreement's versions and their acceptances are never updated or
  deleted: a change is a new version (the document both sides signed must
  stay exactly as they signed it).
- An approved time entry is locked: its engagement, member, kind, times,
  minutes, note and billable flag cannot change, its approval cannot be
  withdrawn, and it cannot be deleted. A correction is an adjustment entry.
  (Later issues may still set columns of their own on it, such as the
  invoice that bills it.)
"""

from __future__ import annotations

from django.db import migrations

IMMUTABLE = "a written agreement and its acceptances are immutable: add a new version instead"
LOCKED = "an approved time entry is locked: record an adjustment entry instead"

LOCKED_COLUMNS = (
    "engagement_id",
    "member_id",
    "timesheet_id",
    "kind",
    "started_at",
    "ended_at",
    "minutes",
    "note",
    "billable",
    "adjusts_id",
    "approved_at",
    "approved_by_id",
)

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION work_refuse_agreement_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER work_agreement_immutable BEFORE UPDATE OR DELETE ON work_agreement
    FOR EACH ROW EXECUTE FUNCTION work_refuse_agreement_change();
    """,
    """
    CREATE TRIGGER work_agreementacceptance_immutable
    BEFORE UPDATE OR DELETE ON work_agreementacceptance
    FOR EACH ROW EXECUTE FUNCTION work_refuse_agreement_change();
    """,
    f"""
    CREATE OR REPLACE FUNCTION work_timeentry_locked() RETURNS trigger AS $$
    BEGIN
        IF OLD.approved_at IS NOT NULL THEN
            IF TG_OP = 'DELETE' OR {" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in LOCKED_COLUMNS)} THEN
                RAISE EXCEPTION '{LOCKED}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER work_timeentry_locked BEFORE UPDATE OR DELETE ON work_timeentry
    FOR EACH ROW EXECUTE FUNCTION work_timeentry_locked();
    """,
]

POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS work_timeentry_locked ON work_timeentry",
    "DROP FUNCTION IF EXISTS work_timeentry_locked()",
    "DROP TRIGGER IF EXISTS work_agreementacceptance_immutable ON work_agreementacceptance",
    "DROP TRIGGER IF EXISTS work_agreement_immutable ON work_agreement",
    "DROP FUNCTION IF EXISTS work_refuse_agreement_change()",
]

SQLITE = [
    f"""
    CREATE TRIGGER work_{table}_no_{action} BEFORE {action.upper()} ON work_{table}
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """
    for table in ("agreement", "agreementacceptance")
    for action in ("update", "delete")
] + [
    f"""
    CREATE TRIGGER work_timeentry_locked_delete BEFORE DELETE ON work_timeentry
    WHEN OLD.approved_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END
    """,
    "CREATE TRIGGER work_timeentry_locked_update BEFORE UPDATE ON work_timeentry "
    "WHEN OLD.approved_at IS NOT NULL AND ("
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in LOCKED_COLUMNS)
    + f") BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS work_{table}_no_{action}"
    for table in ("agreement", "agreementacceptance")
    for action in ("update", "delete")
] + [
    "DROP TRIGGER IF EXISTS work_timeentry_locked_delete",
    "DROP TRIGGER IF EXISTS work_timeentry_locked_update",
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
    dependencies = [("work", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
