"""Record the consents of supporters who signed or reported before the log existed.

They agreed to the 2026-11 texts (the only wording the forms ever showed,
then exported as consent version "2026-11"), at the time they signed.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations

VERSION = "2026-11"
CHUNK = 2000


def digest(email: str) -> str:
    # outcry.privacy.digest.email_digest, frozen here as migrations must be.
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    canonical = f"{local}@{domain}"
    return hmac.new(settings.LOOKUP_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def backfill(apps, schema_editor):
    from outcry.privacy.consent import TEXTS

    ConsentText = apps.get_model("privacy", "ConsentText")
    ConsentLog = apps.get_model("privacy", "ConsentLog")
    Signature = apps.get_model("signing", "Signature")
    ActionReport = apps.get_model("actions", "ActionReport")
    if not Signature.objects.exists() and not ActionReport.objects.exclude(email="").exists():
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
            "email_digest": digest(s.email),
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
    reports = ActionReport.objects.filter(wants_updates=True).exclude(email="").order_by("id")
    for r in reports.iterator(chunk_size=CHUNK):
        rows.append(
            ConsentLog(
                text=text("case_updates", r.language),
                given=True,
                email_digest=digest(r.email),
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
        ("signing", "0001_initial"),
        ("actions", "0002_urgent_action_closed_at"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
