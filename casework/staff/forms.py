"""Staff forms: the two login steps, and what administrators use to manage accounts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from casework.staff.models import StaffUser
from casework.staff.roles import Role


class PasswordLoginForm(forms.Form):
    """First factor: username and password."""

    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=1024,
    )


class CodeForm(forms.Form):
    """Second factor: a 6-digit authenticator code or an unused backup code."""

    code = forms.CharField(
        label=_("Authenticator code or backup code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isalnum():
            raise forms.ValidationError(_("Enter the code as shown, digits and letters only."))
        return code


class StepUpForm(forms.Form):
    """Prove it is still you before a sensitive action: a code from the authenticator, a backup code or the
    password (``second_factor_only``: a code only)."""

    step_up_secret = forms.CharField(max_length=1024, strip=False)

    def __init__(self, *args: Any, second_factor_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["step_up_secret"]
        if second_factor_only:
            field.label = _("Code from your authenticator, or a backup code")
            field.widget = forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
        else:
            field.label = _("Code from your authenticator, a backup code or your password")
            field.widget = forms.PasswordInput(attrs={"autocomplete": "one-time-code"})


class NewPasswordFields(forms.Form):
    """Two password fields that must match and pass the password validators."""

    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=1024, strip=False)
    password2 = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput, max_length=1024, strip=False)

    def validate_for(self, user: StaffUser) -> None:
        """Check the two passwords against each other and the validators, for ``user``."""
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            try:
                validate_password(first, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)


class StaffCreateForm(NewPasswordFields):
    """A new account: the person enrols their authenticator at first login."""

    field_order = ["username", "full_name", "email", "role", "password1", "password2"]
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if StaffUser.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("A staff account with this username already exists."))
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        candidate = StaffUser(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
        self.validate_for(candidate)
        return cleaned


class PasswordResetForm(NewPasswordFields):
    """An administrator sets a new password for someone who forgot theirs."""

    def __init__(self, *args: Any, user: StaffUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.validate_for(self.user)
        return cleaned


class ConfirmForm(forms.Form):
    """A checkbox that makes a destructive action deliberate."""

    confirm = forms.BooleanField(label=_("I understand the consequences."), required=True)
