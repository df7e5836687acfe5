from django.db import migrations, models


class Migration(migrations.Migration):
    """Look-ups now go through the digests: the readable canonical address goes."""

    dependencies = [
        ("signing", "0003_encrypt_existing_signatures"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="signature",
            name="email_canonical",
        ),
        migrations.AddIndex(
            model_name="signature",
            index=models.Index(
                fields=["petition", "ip_digest", "created_at"], name="signature_by_ip"
            ),
        ),
        migrations.AddIndex(
            model_name="signature",
            index=models.Index(
                fields=["petition", "domain_digest", "created_at"], name="signature_by_domain"
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.UniqueConstraint(
                fields=("petition", "email_digest"), name="one_signature_per_email"
            ),
        ),
    ]
