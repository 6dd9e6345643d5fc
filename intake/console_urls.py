"""Console URLs of intake (/console/record/...): reports received by other channels. Behind password + TOTP."""

from django.urls import path

from intake import console_views

app_name = "record"

urlpatterns = [
    path("", console_views.record_start, name="start"),
    path("wbs/", console_views.record_report, {"kind": "wbs"}, name="wbs"),
    path("gratification/", console_views.record_report, {"kind": "gratification"}, name="gratification"),
]
