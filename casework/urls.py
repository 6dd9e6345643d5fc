"""Console URLs (/console/...). All require password + verified second factor."""

from django.urls import include, path

from casework import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("security/backup-codes/", views.backup_codes, name="backup_codes"),
    path("security/password/", views.password_change, name="password_change"),
    path("staff/", views.staff_list, name="staff_list"),
    path("audit/", include("audit.urls")),
]
