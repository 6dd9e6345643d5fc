"""Reference data of the lifecycles: the transition table (DOMAIN.md §2-3) and the deadline rules (§4).

A frozen copy of the tables as first written; the inspectorate changes them afterwards with
``manage.py lifecycle_rules`` (export, edit, import), never by a migration. Administrators get the permission
to edit them (``casework.manage_workflow``), and cases received before the clocks existed get their first
clock and their public status.
"""

import datetime

from django.contrib.auth.management import create_permissions
from django.db import migrations

O = "vault.hold_case_keys"  # any officer or supervisor holding the case
S = "casework.supervise_cases"  # a supervisor holding the case
ALL = "*"
# Waiting for the reporter pauses the inspectorate's own clocks, never a statutory one (PDP_BREACH).
WBS_OWN = "ADUAN_TIDAK_BERKADAR,ADUAN_BERKADAR"

# (from, to, permission, reason required, closes, outcome, also records, public status,
#  start clocks, stop clocks, pause clocks, resume clocks)
WBS = [
    ("diterima", "verifikasi", O, False, False, "", "", "in_progress", "", "", "", ""),
    ("verifikasi", "telaah", O, False, False, "", "", "in_progress", "", "", "", ""),
    ("verifikasi", "perlu_dilengkapi", O, True, False, "", "", "needs_info", "", "", WBS_OWN, ""),
    ("perlu_dilengkapi", "verifikasi", O, False, False, "", "", "in_progress", "", "", "", WBS_OWN),
    ("verifikasi", "tidak_memenuhi_syarat", S, True, True, "tidak_dapat_ditindaklanjuti", "", "closed", "", ALL, "", ""),
    ("perlu_dilengkapi", "tidak_memenuhi_syarat", S, True, True, "tidak_dapat_ditindaklanjuti", "", "closed", "", ALL, "", ""),
    ("verifikasi", "bukan_wewenang", S, True, True, "diteruskan", "forwarding", "forwarded", "", ALL, "", ""),
    ("telaah", "perlu_dilengkapi", O, True, False, "", "", "needs_info", "", "", WBS_OWN, ""),
    ("telaah", "berkadar_pengawasan", S, True, False, "", "", "in_progress", "ADUAN_BERKADAR", "ADUAN_TIDAK_BERKADAR", "", ""),
    ("telaah", "tidak_berkadar_pengawasan", S, True, False, "", "", "in_progress", "", "", "", ""),
    ("tidak_berkadar_pengawasan", "selesai", O, False, True, "", "", "closed", "", ALL, "", ""),
    ("berkadar_pengawasan", "pemeriksaan", O, False, False, "", "", "in_progress", "", "", "", ""),
    ("pemeriksaan", "rekomendasi", O, False, False, "", "", "in_progress", "", "", "", ""),
    ("rekomendasi", "diteruskan_aph", S, True, False, "", "forwarding", "forwarded", "", "", "", ""),
    ("rekomendasi", "tindak_lanjut_kepegawaian", S, True, False, "", "", "in_progress", "", "", "", ""),
    ("rekomendasi", "selesai", S, True, True, "", "", "closed", "", ALL, "", ""),
    ("diteruskan_aph", "selesai", O, False, True, "diteruskan", "", "closed", "", ALL, "", ""),
    ("tindak_lanjut_kepegawaian", "selesai", O, False, True, "", "", "closed", "", ALL, "", ""),
    ("selesai", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
    ("tidak_memenuhi_syarat", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
    ("bukan_wewenang", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
]
GRATIFICATION = [
    ("diterima_upg", "diverifikasi", O, False, False, "", "", "in_progress", "", "", "", ""),
    ("diterima_upg", "perlu_dilengkapi", O, True, False, "", "", "needs_info", "GRAT_LENGKAPI", "", "GRAT_UPG_TERUSKAN", ""),
    ("diverifikasi", "perlu_dilengkapi", O, True, False, "", "", "needs_info", "GRAT_LENGKAPI", "", "GRAT_UPG_TERUSKAN", ""),
    ("perlu_dilengkapi", "diverifikasi", O, False, False, "", "", "in_progress", "", "GRAT_LENGKAPI", "", "GRAT_UPG_TERUSKAN"),
    ("perlu_dilengkapi", "tidak_dapat_ditindaklanjuti", S, True, True, "tidak_dapat_ditindaklanjuti", "", "closed", "", ALL, "", ""),
    ("diterima_upg", "ditolak_dikembalikan", S, True, True, "dikembalikan", "", "closed", "", ALL, "", ""),
    ("diverifikasi", "diteruskan_kpk", O, False, False, "", "kpk_forwarding", "forwarded", "KPK_PENETAPAN", "GRAT_UPG_TERUSKAN,GRAT_LAPOR_KPK", "", ""),
    ("diterima_upg", "disalurkan_sosial", S, True, True, "disalurkan_sosial", "", "closed", "", ALL, "", ""),
    ("diverifikasi", "disalurkan_sosial", S, True, True, "disalurkan_sosial", "", "closed", "", ALL, "", ""),
    ("diteruskan_kpk", "sk_terbit", O, False, False, "", "kpk_decision", "in_progress", "SK_KIRIM", "KPK_PENETAPAN", "", ""),
    ("diteruskan_kpk", "tidak_dapat_ditindaklanjuti", S, True, True, "tidak_dapat_ditindaklanjuti", "", "closed", "", ALL, "", ""),
    ("sk_terbit", "selesai", O, False, True, "ditetapkan_kpk", "", "closed", "", ALL, "", ""),
    ("selesai", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
    ("tidak_dapat_ditindaklanjuti", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
    ("ditolak_dikembalikan", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
    ("disalurkan_sosial", "diarsipkan", S, False, True, "", "", "closed", "", ALL, "", ""),
]

# (code, amount, unit, valid from, the start day counts, description)
RULES = [
    ("GRAT_LAPOR_KPK", 30, "working_days", None, True, "UU 20/2001 Pasal 12C: the gift reaches the KPK"),
    ("GRAT_LAPOR_UPG", 10, "working_days", None, True, "Recipient reports to the UPG (practice)"),
    ("GRAT_UPG_TERUSKAN", 10, "working_days", None, False, "UPG forwards to the KPK (practice)"),
    ("GRAT_LENGKAPI", 30, "working_days", None, False, "Completing a gratification report (Peraturan KPK 2/2019)"),
    ("GRAT_LENGKAPI", 20, "working_days", datetime.date(2026, 1, 20), False, "Completing a gratification report (Peraturan KPK 1/2026)"),
    ("KPK_PENETAPAN", 30, "working_days", None, False, "The KPK decides ownership"),
    ("SK_KIRIM", 7, "working_days", None, False, "The SK reaches the recipient"),
    ("ADUAN_TIDAK_BERKADAR", 14, "working_days", None, False, "WBS report without supervisory content"),
    ("ADUAN_BERKADAR", 60, "working_days", None, False, "WBS report that needs an examination"),
    ("PDP_BREACH", 72, "hours", None, False, "UU 27/2022: personal data breach notice"),
]

INITIAL_CLOCK = {"wbs": "ADUAN_TIDAK_BERKADAR", "gratification": "GRAT_UPG_TERUSKAN"}


def add(apps, schema_editor):
    """Fill the transition and deadline tables (also called by the tests after a flush)."""
    Transition = apps.get_model("casework", "Transition")
    DeadlineRule = apps.get_model("casework", "DeadlineRule")
    for kind, table in (("wbs", WBS), ("gratification", GRATIFICATION)):
        for position, row in enumerate(table):
            (from_status, to_status, permission, reason, closes, outcome, requires, public,
             start, stop, pause, resume) = row
            Transition.objects.create(
                kind=kind, from_status=from_status, to_status=to_status, permission=permission,
                reason_required=reason, closes=closes, outcome=outcome, requires=requires, public_status=public,
                start_clocks=start, stop_clocks=stop, pause_clocks=pause, resume_clocks=resume, position=position,
            )
    for code, amount, unit, valid_from, count_start_day, description in RULES:
        DeadlineRule.objects.create(
            code=code, amount=amount, unit=unit, valid_from=valid_from, count_start_day=count_start_day,
            description=description,
        )


def remove(apps, schema_editor):
    apps.get_model("casework", "Transition").objects.all().delete()
    apps.get_model("casework", "DeadlineRule").objects.all().delete()


def grant_manage_workflow(apps, schema_editor):
    alias = schema_editor.connection.alias
    app_config = apps.get_app_config("casework")
    app_config.models_module = True  # create_permissions skips app configs without a models module
    create_permissions(app_config, apps=apps, verbosity=0, using=alias)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.using(alias).get(content_type__app_label="casework", codename="manage_workflow")
    group, _created = Group.objects.using(alias).get_or_create(name="admin")
    group.permissions.add(permission)


def first_clocks(apps, schema_editor):
    """Cases received before the clocks: the first clock of their kind, from the day of receipt."""
    from zoneinfo import ZoneInfo

    from casework.rules.working_days import Calendar

    Case = apps.get_model("casework", "Case")
    CaseClock = apps.get_model("casework", "CaseClock")
    jakarta = ZoneInfo("Asia/Jakarta")
    amounts = {code: amount for code, amount, _unit, valid_from, _c, _d in RULES if valid_from is None}
    for case in Case.objects.all():
        code = INITIAL_CLOCK.get(case.kind)
        if code is None or case.clocks.exists():
            continue
        start = case.received_at.astimezone(jakarta).date()
        due = Calendar().add_working_days(start, amounts[code])
        CaseClock.objects.create(
            case=case, rule_code=code, amount=amounts[code], unit="working_days", started_at=case.received_at,
            start_day=start, due_on=due,
        )
        Case.objects.filter(pk=case.pk).update(due_on=due)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_flow_lifecycles_clocks_retention"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [
        migrations.RunPython(add, remove),
        migrations.RunPython(grant_manage_workflow, migrations.RunPython.noop),
        migrations.RunPython(first_clocks, migrations.RunPython.noop),
    ]
