"""Record the consents of supporters who signed or reported before the log existed.

They agreed to the 2026-11 texts (the only wording the forms ever showed,
then exported as consent version "2026-11"), at the time they signed.
"""

from django.conf import settings
from django.db import migrations

VERSION = "2026-11"
CHUNK = 2000


def backfill(apps, schema_editor):
    from outcry.privacy.consent import TEXTS

    ConsentText = apps.get_model("privacy", "ConsentText")
    ConsentLog = apps.get_model("privacy", "ConsentLog")
    Signature = apps.get_model("signing", "Signature")
    ActionReport = apps.get_model("actions", "ActionReport")
    if not Signature.objects.exists() and not ActionReport.objects.exclude(email_digest=None).exists():
        return
    texts = {}
    for (kind, version), by_language in TEXTS.items():
        if version != VERSION:
            continue
        for language, text in by_language.items():
            texts[kind, language] = ConsentText.objects.get_or_create(
                kind=kind, version=version, language=language, defaults={"text": text}
            )[0]

    def text(kind, language):
        return texts.get((kind, language)) or texts[kind, settings.LANGUAGE_CODE]

    rows = []
    for s in Signature.objects.order_by("id").iterator(chunk_size=CHUNK):
        common = {
            "given": True,
            "email_digest": s.email_digest,  # digested when encrypted (signing 0003)
            "record": "signature",
            "record_id": s.id,
            "via": "backfill",
            "created_at": s.created_at,
        }
        rows.append(ConsentLog(text=text("signing", s.language), **common))
        if s.wants_updates:
            rows.append(ConsentLog(text=text("updates", s.language), **common))
        if s.name_display != "anonymous":
            rows.append(ConsentLog(text=text("show_name", s.language), **common))
        if len(rows) >= CHUNK:
            ConsentLog.objects.bulk_create(rows)
            rows = []
    reports = ActionReport.objects.filter(wants_updates=True).exclude(email_digest=None).order_by("id")
    for r in reports.iterator(chunk_size=CHUNK):
        rows.append(
            ConsentLog(
                text=text("case_updates", r.language),
                given=True,
                email_digest=r.email_digest,
                record="report",
                record_id=r.id,
                via="backfill",
                created_at=r.created_at,
            )
        )
    ConsentLog.objects.bulk_create(rows, batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_append_only_triggers"),
        ("signing", "0004_drop_email_canonical"),
        ("actions", "0005_urgent_action_closed_at"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
