# A list column with no value holds "" (security.models.delimited); rows written while a
# generator of no values made "||" are mended, so that `isset` and `isnotset` tell them right.

from django.db import migrations


def mend(apps, schema_editor):
    for model_name in ("Entity", "Alert", "Activity", "File", "Subnet"):
        model = apps.get_model("security", model_name)
        for field in model._meta.concrete_fields:
            if field.name.endswith("_text") and field.get_internal_type() == "TextField":
                model.objects.filter(**{field.name: "||"}).update(**{field.name: ""})


class Migration(migrations.Migration):

    dependencies = [
        ("security", "0011_activity_record_served_as_stored"),
    ]

    operations = [migrations.RunPython(mend, migrations.RunPython.noop)]
