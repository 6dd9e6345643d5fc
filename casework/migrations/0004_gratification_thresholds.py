"""Reference data: gratification exemption thresholds of DOMAIN.md §3, effective-dated by the gift date."""

import datetime

from django.db import migrations

OLD_UNTIL = datetime.date(2026, 1, 19)
NEW_FROM = datetime.date(2026, 1, 20)
OLD = "Peraturan KPK 2/2019"
NEW = "Peraturan KPK 1/2026"

# (category, valid_from, valid_until, per giver, per year, non-cash only, source)
THRESHOLDS = [
    ("ceremony", None, OLD_UNTIL, 1_000_000, None, False, OLD),
    ("ceremony", NEW_FROM, None, 1_500_000, None, False, NEW),
    ("colleague", None, OLD_UNTIL, 200_000, 1_000_000, True, OLD),
    ("colleague", NEW_FROM, None, 500_000, 1_500_000, True, NEW),
    ("colleague_occasion", None, OLD_UNTIL, 300_000, 1_000_000, True, OLD),
    # From 2026-01-20 the farewell/promotion/birthday category is removed (no row).
    ("calamity", None, None, 1_000_000, None, False, OLD + "; unchanged by " + NEW + " as far as known"),
]


def add(apps, schema_editor):
    GratificationThreshold = apps.get_model("casework", "GratificationThreshold")
    for category, valid_from, valid_until, per_giver, per_year, non_cash, source in THRESHOLDS:
        GratificationThreshold.objects.create(
            category=category,
            valid_from=valid_from,
            valid_until=valid_until,
            per_giver_limit=per_giver,
            yearly_limit=per_year,
            non_cash_only=non_cash,
            source=source,
        )


def remove(apps, schema_editor):
    apps.get_model("casework", "GratificationThreshold").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0003_cases")]
    operations = [migrations.RunPython(add, remove)]
