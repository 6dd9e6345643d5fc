"""The console home page. Every URL of the console sits behind the console middleware (password + 2FA)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casework.cases.selectors import home_cases
from casework.staff.models import StaffUser
from casework.staff.roles import Role
from casework.workflow.selectors import home_notifications


def home(request: HttpRequest) -> HttpResponse:
    """The console home page; what it lists depends on the role."""
    user = request.user
    assert isinstance(user, StaffUser)  # the console middleware lets only verified staff through
    role = Role(user.role)
    context = {"role": role, "role_label": role.label, "reminders": home_notifications(user), **home_cases(user)}
    return render(request, "casework/home.html", context)
