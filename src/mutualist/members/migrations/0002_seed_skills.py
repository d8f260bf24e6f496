"""Seed the taxonomy of freelance and virtual-assistant work.

The list is frozen here (not imported) so the migration means the same thing
forever; later changes add a new migration. Re-running adds only missing rows.
"""

from __future__ import annotations

from django.db import migrations

SKILLS = [
    ("Client support", "customer_support", "Customer support"),
    ("Client support", "live_chat", "Live chat support"),
    ("Client support", "email_support", "Email support"),
    ("Client support", "technical_support", "Technical support"),
    ("Client support", "cold_calling", "Cold calling"),
    ("Client support", "appointment_setting", "Appointment setting"),
    ("Administration", "calendar_management", "Calendar management"),
    ("Administration", "inbox_management", "Inbox management"),
    ("Administration", "data_entry", "Data entry"),
    ("Administration", "travel_planning", "Travel planning"),
    ("Administration", "project_management", "Project management"),
    ("Administration", "transcription", "Transcription"),
    ("Finance", "bookkeeping", "Bookkeeping"),
    ("Finance", "invoicing", "Invoicing and collections"),
    ("Finance", "payroll", "Payroll"),
    ("Finance", "tax_preparation", "Tax preparation"),
    ("Marketing", "social_media", "Social media management"),
    ("Marketing", "content_writing", "Content writing"),
    ("Marketing", "copywriting", "Copywriting"),
    ("Marketing", "seo", "Search engine optimisation"),
    ("Marketing", "email_marketing", "Email marketing"),
    ("Marketing", "lead_generation", "Lead generation"),
    ("Marketing", "community_management", "Community management"),
    ("Research", "research", "Research"),
    ("Research", "web_research", "Web research"),
    ("Research", "market_research", "Market research"),
    ("Creative", "graphic_design", "Graphic design"),
    ("Creative", "video_editing", "Video editing"),
    ("Creative", "translation", "Translation"),
    ("Technology", "web_development", "Web development"),
    ("Technology", "wordpress", "WordPress administration"),
    ("Technology", "ecommerce", "E-commerce store management"),
    ("Technology", "crm_administration", "CRM administration"),
]


def seed(apps, schema_editor):
    Skill = apps.get_model("members", "Skill")
    existing = set(Skill.objects.values_list("slug", flat=True))
    Skill.objects.bulk_create(
        [
            Skill(slug=slug, name=name, category=category)
            for category, slug, name in SKILLS
            if slug not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
