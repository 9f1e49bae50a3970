# The alerts' `risk` and `alertType` filters read what a record holds (threatScore, idValue);
# the two columns no record filled go.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("security", "0012_no_empty_delimited_lists"),
    ]

    operations = [
        migrations.RemoveField(model_name="alert", name="risk"),
        migrations.RemoveField(model_name="alert", name="alert_type"),
    ]
