from django.db import migrations, models


def fill_email_index(apps, schema_editor):
    """Index the applications stored before the field existed, so a data-subject request finds them (P28, P29).

    The e-mail is encrypted: it is read through the current model (only id, tenant and e-mail, which exist here)."""
    from parley.careers.models import Application
    from parley.crypto.blind_index import email_index

    for application in Application.objects.only("id", "tenant_id", "email").iterator():
        index = email_index(tenant_id=application.tenant_id, email=application.email or "")
        Application.objects.filter(id=application.id).update(email_index=index)


class Migration(migrations.Migration):
    dependencies = [
        ("careers", "0001_applications"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="email_index",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(fill_email_index, migrations.RunPython.noop),
    ]
