"""Reporter URLs (no account, no JavaScript)."""

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("report/wbs/", views.wbs_report, name="wbs_report"),
    path("report/gratification/", views.gratification_report, name="gratification_report"),
    # Everything under follow/ shares the path the follow-up cookie is scoped to.
    path("follow/", views.followup_login, name="followup_login"),
    path("follow/inbox/", views.followup_inbox, name="followup_inbox"),
    path("follow/reply/", views.followup_reply, name="followup_reply"),
    path("follow/attach/", views.followup_attach, name="followup_attach"),
    path("follow/survey/", views.followup_survey, name="followup_survey"),
    path("follow/logout/", views.followup_logout, name="followup_logout"),
    # The "quick exit" target: a bland address and a page that says nothing about reporting.
    path("libur/", views.quick_exit, name="quick_exit"),
]
