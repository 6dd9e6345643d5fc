from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        """Register the SQLite flag function the append-only triggers call (see audit/db.py)."""
        from audit import db  # noqa: F401
