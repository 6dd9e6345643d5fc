"""Reporter URLs (no account, no JavaScript)."""

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
]
