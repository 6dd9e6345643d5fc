"""One group per staff role holding the role's permissions, and every existing staff member in their role's group.

The table is a frozen copy of ``casework.staff.roles.ROLE_PERMISSIONS`` as it was when this migration was
written; later changes to the table come with a migration of their own. Permissions are normally created
after ``migrate`` (post_migrate signal), so they are created here first for the three apps that define them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "officer": ["vault.hold_case_keys"],
    "supervisor": [
        "vault.hold_case_keys",
        "vault.hold_escrow_key",
        "casework.supervise_cases",
        "audit.read_audit_log",
    ],
    "auditor": ["audit.read_audit_log"],
    "admin": ["casework.manage_staff"],
}


def create_role_groups(apps, schema_editor):
    alias = schema_editor.connection.alias
    for label in ("casework", "vault", "audit"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # create_permissions skips app configs without a models module
        create_permissions(app_config, apps=apps, verbosity=0, using=alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    StaffUser = apps.get_model("casework", "StaffUser")
    groups = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(alias).get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permissions.append(
                Permission.objects.using(alias).get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
        groups[role] = group
    for user in StaffUser.objects.using(alias).all():
        user.groups.remove(*[g for role, g in groups.items() if role != user.role])
        if user.role in groups:
            user.groups.add(groups[user.role])


def remove_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0005_casework_permissions"),
        ("vault", "0002_key_holder_permissions"),
        ("audit", "0003_read_audit_log_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
