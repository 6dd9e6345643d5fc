"""Console URLs (/console/...). All require password + verified second factor."""

from django.urls import include, path

from casework import views
from casework.cases import file_views, search_views
from casework.cases import views as case_views
from casework.staff import views as staff_views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("security/backup-codes/", staff_views.backup_codes, name="backup_codes"),
    path("security/password/", staff_views.password_change, name="password_change"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("audit/", include("audit.urls")),
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
    # Safe viewing (issue 11 item 10, queue): files drawn as pictures on the server.
    path(
        "cases/<str:number>/files/<uuid:attachment_id>/view/",
        file_views.case_attachment_view,
        name="case_attachment_view",
    ),
]
