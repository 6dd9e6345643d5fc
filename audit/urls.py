"""Auditor view URLs, mounted at /console/audit/ by casework/urls.py."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="events"),
    path("events/<int:seq>/", views.event_detail, name="event"),
    path("checkpoint/", views.checkpoint_download, name="checkpoint"),
    path("checkpoint/new/", views.checkpoint_create, name="checkpoint_create"),
]
