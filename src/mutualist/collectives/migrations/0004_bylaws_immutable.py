"""Bylaws versions are immutable: the database refuses to change one.

The services never update a version (a change is a new version), and the admin
shows them read-only; these triggers make the rule hold for anything else
that reaches the database too. Deleting stays possible, so a collective can
still be removed with its history.
"""

from __future__ import annotations

from django.db import migrations

TABLES = ("collectives_bylaws", "collectives_splitshare")
MESSAGE = "bylaws versions are immutable: adopt a new version instead"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION collectives_refuse_bylaws_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION collectives_refuse_bylaws_update()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS collectives_refuse_bylaws_update()")


class Migration(migrations.Migration):
    dependencies = [("collectives", "0003_membership_left_has_left_at")]

    operations = [migrations.RunPython(create, drop)]
