"""Console forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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
