"""Console URLs (/console/...). All require password + verified second factor."""

from django.urls import include, path

from casework import staff_views, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("security/backup-codes/", views.backup_codes, name="backup_codes"),
    path("security/password/", views.password_change, name="password_change"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("audit/", include("audit.urls")),
]
