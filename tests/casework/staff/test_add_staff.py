"""``manage.py add_staff``: the otpauth URI works with Debian's oathtool to log in."""

from __future__ import annotations

import io
import shutil
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from casework.models import StaffUser
from casework.staff import selectors
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.django_db


def add_staff(monkeypatch: pytest.MonkeyPatch, *args: str, password: str = PASSWORD) -> str:
    monkeypatch.setenv("PELUIT_PASSWORD", password)
    out = io.StringIO()
    call_command("add_staff", *args, stdout=out)
    return out.getvalue()


def test_add_staff_prints_an_otpauth_uri_that_oathtool_can_use(monkeypatch, client: Client) -> None:
    oathtool = shutil.which("oathtool")
    assert oathtool, "Debian's oathtool is installed by bin/bootstrap"
    output = add_staff(monkeypatch, "siti", "--role", "officer")
    uri = next(line for line in output.splitlines() if line.startswith("otpauth://totp/"))
    query = parse_qs(urlparse(uri).query)
    secret = query["secret"][0]
    assert query["issuer"] == ["Peluit"]
    code = subprocess.run([oathtool, "--totp", "-b", secret], check=True, capture_output=True, text=True).stdout
    client.post("/auth/login/", {"username": "siti", "password": PASSWORD})
    response = client.post("/auth/verify/", {"code": code.strip()})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200
    assert StaffUser.objects.get(username="siti").role == "officer"


def test_enrol_on_login_creates_no_device(monkeypatch) -> None:
    output = add_staff(monkeypatch, "rudi", "--role", "auditor", "--enrol-on-login")
    assert "otpauth://" not in output
    row = next(r for r in selectors.staff_overview() if r.user.username == "rudi")
    assert not row.has_authenticator


def test_weak_password_is_refused_and_nothing_is_created(monkeypatch) -> None:
    with pytest.raises(CommandError, match="12"):
        add_staff(monkeypatch, "weak", "--role", "officer", password="short1!")
    assert not StaffUser.objects.filter(username="weak").exists()


def test_duplicate_username_is_refused(monkeypatch) -> None:
    add_staff(monkeypatch, "dup", "--role", "admin")
    with pytest.raises(CommandError, match="already exists"):
        add_staff(monkeypatch, "dup", "--role", "admin")
    assert StaffUser.objects.filter(username="dup").count() == 1


def test_unknown_role_is_refused(monkeypatch) -> None:
    with pytest.raises(CommandError):
        add_staff(monkeypatch, "who", "--role", "wizard")
    assert not StaffUser.objects.filter(username="who").exists()


def test_without_password_or_terminal_it_explains(monkeypatch) -> None:
    monkeypatch.delenv("PELUIT_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    with pytest.raises(CommandError, match="PELUIT_PASSWORD"):
        call_command("add_staff", "nopass", "--role", "officer", stdout=io.StringIO())
