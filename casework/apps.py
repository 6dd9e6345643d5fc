from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """The staff console: accounts, roles, 2FA, cases and their workflows."""

    name = "casework"
    verbose_name = "Casework"
