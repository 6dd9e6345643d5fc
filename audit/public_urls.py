"""Public audit-log URLs, mounted at /audit/ (outside the language prefixes) by config/urls.py."""

from django.urls import path

from audit import public_views

app_name = "audit_public"

urlpatterns = [
    path("checkpoint", public_views.checkpoint, name="checkpoint"),
    path("proof", public_views.proof, name="proof"),
    path("cosignature", public_views.cosignature, name="cosignature"),
]
