# An activity keeps the record it serves, as JSON text (issue 24): written once when it is
# stored, joined into answers without being decoded. Rows stored before are rewritten from
# their columns and document, through the same intake as a new record (which also fills
# the filter columns that were not read from records before: takenAction, impersonated,
# policies, device.tags, user.orgUnit, the objects, file and Office 365 address an activity
# names, and the alert it handled).

import json

from django.db import migrations, models

FILLED = [
    "taken_action",
    "impersonated",
    "policies_text",
    "device_tags_text",
    "user_org_unit",
    "user_domain",
    "entity_key",
    "object_ids_text",
    "file_id",
    "office365_url",
    "alert_ids_text",
    "record",
]
BATCH = 1000


def store_records(apps, schema_editor):
    from security.records import ACTIVITY, activity_from_record

    Activity = apps.get_model("security", "Activity")
    batch = []
    for row in Activity.objects.order_by("pk").iterator(chunk_size=BATCH):
        document = row.document if isinstance(row.document, dict) else {}
        ACTIVITY.fill(row, document)
        fresh = activity_from_record(ACTIVITY.show(row, document=document))
        for name in FILLED:
            setattr(row, name, getattr(fresh, name))
        batch.append(row)
        if len(batch) == BATCH:
            Activity.objects.bulk_update(batch, FILLED)
            batch.clear()
    if batch:
        Activity.objects.bulk_update(batch, FILLED)


def keep_documents(apps, schema_editor):
    from security.records import ACTIVITY

    Activity = apps.get_model("security", "Activity")
    batch = []
    for row in Activity.objects.order_by("pk").iterator(chunk_size=BATCH):
        row.document = ACTIVITY.split(json.loads(row.record))[1]
        batch.append(row)
        if len(batch) == BATCH:
            Activity.objects.bulk_update(batch, ["document"])
            batch.clear()
    if batch:
        Activity.objects.bulk_update(batch, ["document"])


class Migration(migrations.Migration):

    dependencies = [
        ("security", "0010_alerts_page_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="record",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(store_records, keep_documents),
        migrations.RemoveField(model_name="activity", name="document"),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(record__startswith='{"'), name="activity_record_is_an_object"
            ),
        ),
    ]
