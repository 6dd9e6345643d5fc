"""Login, second factor, enrolment and logout: the only staff pages reachable before 2FA."""

from django.urls import path

from casework.staff import auth_views

app_name = "auth"

urlpatterns = [
    path("login/", auth_views.login_view, name="login"),
    path("verify/", auth_views.verify_view, name="verify"),
    path("enrol/", auth_views.enrol_view, name="enrol"),
    path("logout/", auth_views.logout_view, name="logout"),
]
