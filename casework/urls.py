"""Console URLs (/console/...). All require password + verified second factor."""

from django.urls import include, path

from casework import views
from casework.cases import file_views, search_views
from casework.cases import views as case_views
from casework.handling import views as handling_views
from casework.staff import views as staff_views
from casework.workflow import views as workflow_views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("security/backup-codes/", staff_views.backup_codes, name="backup_codes"),
    path("security/password/", staff_views.password_change, name="password_change"),
    path("security/confirm/", staff_views.step_up_confirm, name="step_up"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("audit/", include("audit.urls")),
    path("reports/", include("reports.urls")),
    path("cases/", case_views.case_list, name="case_list"),
    # The queue's saved "my work" view (issue 11 item 1, queue).
    path("cases/my-work/", case_views.case_list_save_view, name="case_list_save_view"),
    # Search in held cases (issue 11 item 11, queue).
    path("search/", search_views.case_search, name="case_search"),
    path("cases/<str:number>/", case_views.case_detail, name="case_detail"),
    path("cases/<str:number>/reply/", case_views.case_reply_view, name="case_reply"),
    path("cases/<str:number>/grant/", case_views.case_grant_view, name="case_grant"),
    path("cases/<str:number>/revoke/", case_views.case_revoke_view, name="case_revoke"),
    path("cases/<str:number>/regrant/", case_views.case_regrant_view, name="case_regrant"),
    path("cases/<str:number>/files/<uuid:attachment_id>/", case_views.case_attachment, name="case_attachment"),
    # people: assignment, conflict of interest, notes, links, identity disclosure, hand-over (issues 11.5-11.7)
    path("cases/<str:number>/assign/", handling_views.case_assign_view, name="case_assign"),
    path("cases/<str:number>/conflict/", handling_views.case_conflict_view, name="case_conflict"),
    path("cases/<str:number>/notes/", handling_views.case_note_view, name="case_note"),
    path("cases/<str:number>/links/", handling_views.case_link_view, name="case_link"),
    path("cases/<str:number>/links/<int:link_id>/remove/", handling_views.case_unlink_view, name="case_unlink"),
    path("cases/<str:number>/disclosure/", handling_views.disclosure_request_view, name="disclosure_request"),
    path(
        "cases/<str:number>/disclosure/<uuid:disclosure_id>/decide/",
        handling_views.disclosure_decide_view,
        name="disclosure_decide",
    ),
    path(
        "cases/<str:number>/disclosure/<uuid:disclosure_id>/release/",
        handling_views.disclosure_release_view,
        name="disclosure_release",
    ),
    path("cases/<str:number>/identity/", handling_views.identity_view, name="case_identity"),
    path("disclosures/", handling_views.disclosure_list, name="disclosures"),
    path("handover/", handling_views.hand_over_view, name="hand_over"),
    # Safe viewing (issue 11 item 10, queue): files drawn as pictures on the server.
    path(
        "cases/<str:number>/files/<uuid:attachment_id>/view/",
        file_views.case_attachment_view,
        name="case_attachment_view",
    ),
    # Lifecycles, clocks, triage, gratification steps, retention, reminders, SLA, calendar (flow workstream)
    path(
        "cases/<str:number>/status/<int:transition_id>/",
        workflow_views.case_transition_view,
        name="case_transition",
    ),
    path("cases/<str:number>/triage/", workflow_views.case_triage_view, name="case_triage"),
    path("cases/<str:number>/upg/", workflow_views.case_upg_view, name="case_upg"),
    path("cases/<str:number>/clocks/start/", workflow_views.case_clock_start_view, name="case_clock_start"),
    path("cases/<str:number>/retention/", workflow_views.case_retention_view, name="case_retention"),
    path("cases/<str:number>/retention/hold/", workflow_views.case_legal_hold_view, name="case_legal_hold"),
    path(
        "cases/<str:number>/retention/request/",
        workflow_views.case_destruction_request_view,
        name="case_destruction_request",
    ),
    path(
        "cases/<str:number>/retention/decide/",
        workflow_views.case_destruction_decide_view,
        name="case_destruction_decide",
    ),
    path("notifications/read/", workflow_views.notifications_read_view, name="notifications_read"),
    path("gratification/forwarding/", workflow_views.forwarding_view, name="gratification_forwarding"),
    path("sla/", workflow_views.sla_view, name="sla"),
    path("calendar/", workflow_views.calendar_view, name="calendar"),
    path("calendar/<int:override_id>/remove/", workflow_views.calendar_remove_view, name="calendar_remove"),
]
