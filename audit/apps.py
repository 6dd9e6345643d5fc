from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        """Register the test databases' flush function (audit/db.py) and the audit log's system checks."""
        from audit import checks, db  # noqa: F401
