"""Top-level URL map.

Pages people read sit inside ``i18n_patterns`` without a prefix for Indonesian (the default) and with
``/en/`` for English, so the language is chosen by the link and needs no cookie.
"""

from django.conf.urls.i18n import i18n_patterns
from django.urls import URLPattern, URLResolver, include, path

from config import views
from intake.api import api as reporter_api
from reports.verify_views import verify

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", views.healthz, name="healthz"),
    # The reporter JSON API: outside i18n_patterns (language from Accept-Language), CSRF-exempt (intake/api.py).
    path("api/v1/", reporter_api.urls),
    # The audit log's public checkpoint, consistency proofs and witness cosignatures (plain text, no cookies).
    path("audit/", include("audit.public_urls")),
]

urlpatterns += i18n_patterns(
    path("auth/", include("casework.staff.auth_urls")),
    # Reports received by other channels: intake's forms and services, inside the console (password + TOTP).
    path("console/record/", include("intake.console_urls")),
    path("console/", include("casework.urls")),
    path("verify/", verify, name="verify"),
    path("", include("reports.public_urls")),
    path("", include("intake.urls")),
    prefix_default_language=False,
)
