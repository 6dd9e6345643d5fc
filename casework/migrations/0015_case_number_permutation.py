"""Case numbers become a keyed permutation of the sequence (vault/case_numbers.py).

The numbers a sequence handed out so far were the sequence itself; ``sequential_upto`` keeps how many, so the
permutation covers only the numbers after them and never repeats one.
"""

from django.db import migrations, models
from django.db.models import F


def keep_sequential_numbers(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Mark every number handed out before this migration as taken by the sequence itself."""
    sequence = apps.get_model("casework", "CaseNumberSequence")
    sequence.objects.update(sequential_upto=F("last_value"))


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0014_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="casenumbersequence",
            name="sequential_upto",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(keep_sequential_numbers, migrations.RunPython.noop),
    ]
