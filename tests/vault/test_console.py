"""The split-key console session: the key is usable only with password + second factor + cookie + session."""

from __future__ import annotations

import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.test import Client

from casework.models import StaffUser
from casework.staff.roles import Role
from tests.support.staff import PASSWORD, login
from vault import services as vault
from vault.console import SESSION_BINDING, SESSION_KEY, console_cookies
from vault.exceptions import AccessDenied, VaultLocked, WrongPassword
from vault.models import OfficerKey

pytestmark = pytest.mark.django_db
COOKIE = "peluit_vault"


def console_request(client: Client) -> HttpRequest:
    """Return the request object a console page saw (after every middleware ran)."""
    response = client.get("/console/")
    assert response.status_code == 200
    return response.wsgi_request  # type: ignore[no-any-return]


def assert_logged_out(client: Client) -> None:
    """A console request with a missing or foreign console cookie counts as logged out (issue 9.10)."""
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")
    assert SESSION_KEY not in client.session and client.get("/console/").status_code == 302


def sealed_for(officer: StaffUser) -> tuple[uuid.UUID, bytes]:
    report_id = uuid.uuid4()
    new = vault.seal_report(report_id=report_id, recipients=[officer])
    return report_id, vault.seal(access=new.access, report_id=report_id, purpose="report", plaintext=b"rahasia")


def test_officer_reads_after_password_and_totp(client: Client, officer: StaffUser) -> None:
    report_id, content = sealed_for(officer)
    login(client, officer)
    keyring = vault.officer_keyring(console_request(client))
    assert vault.open(access=keyring, report_id=report_id, purpose="report", ciphertext=content) == b"rahasia"


def test_login_sets_a_strict_console_cookie(client: Client, officer: StaffUser) -> None:
    response = client.post("/auth/login/", {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 302
    names = {name for name, _path in console_cookies()}
    assert names == {COOKIE, f"{COOKIE}_id", f"{COOKIE}_en"}
    for name, path in console_cookies():
        morsel = response.cookies[name]
        assert morsel["path"] == path and path.endswith("/console/")
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Strict"
        assert bool(morsel["secure"]) == settings.SESSION_COOKIE_SECURE
        assert not morsel["max-age"]  # a browser-session cookie
    assert client.session.get(SESSION_KEY)


def test_password_step_alone_does_not_unlock(client: Client, officer: StaffUser) -> None:
    client.post("/auth/login/", {"username": officer.username, "password": PASSWORD})
    request = client.get("/auth/verify/").wsgi_request
    assert request.session.get(SESSION_KEY) and request.COOKIES.get(COOKIE)
    with pytest.raises(VaultLocked):
        vault.officer_keyring(request)


def test_session_without_cookie_cannot_unseal(client: Client, officer: StaffUser) -> None:
    login(client, officer)
    for name, _path in console_cookies():
        del client.cookies[name]
    assert_logged_out(client)


def test_copy_of_the_session_store_holds_no_key(client: Client, officer: StaffUser) -> None:
    login(client, officer)
    store = import_module(settings.SESSION_ENGINE).SessionStore(
        session_key=client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    dumped = repr(store.load()).encode()
    private_key = vault.unlock_keyring(user=officer, password=PASSWORD)._private_key
    assert private_key not in dumped and private_key.hex().encode() not in dumped
    # A thief with the session (its cookie) but a forged vault cookie gets nothing.
    for name, _path in console_cookies():
        client.cookies[name] = "A" * 43
    assert_logged_out(client)


def test_cookie_of_another_session_does_not_fit(officer: StaffUser) -> None:
    first, second = Client(), Client()
    login(first, officer)
    login(second, officer, offset_steps=1)  # a TOTP code is accepted once only
    assert first.cookies[COOKIE].value != second.cookies[COOKIE].value
    for name, _path in console_cookies():
        first.cookies[name] = second.cookies[name].value
    assert_logged_out(first)


def test_logout_destroys_both_halves(client: Client, officer: StaffUser) -> None:
    login(client, officer)
    old_cookie = client.cookies[COOKIE].value
    response = client.post("/auth/logout/")
    for name, path in console_cookies():
        assert response.cookies[name]["max-age"] == 0 and response.cookies[name]["path"] == path
    login(client, officer, offset_steps=1)  # a TOTP code is accepted once only
    for name, _path in console_cookies():
        client.cookies[name] = old_cookie  # the old cookie does not open the new session
    assert_logged_out(client)


def test_stale_cookie_is_expired_when_the_session_half_is_gone(client: Client, officer: StaffUser) -> None:
    login(client, officer)
    session = client.session
    del session[SESSION_BINDING]
    session.save()
    response = client.get("/console/")
    assert response.status_code == 302 and response.cookies[COOKIE]["max-age"] == 0


def test_lost_key_half_keeps_the_session_but_locks_the_vault(client: Client, officer: StaffUser) -> None:
    login(client, officer)
    session = client.session
    del session[SESSION_KEY]
    session.save()
    with pytest.raises(VaultLocked):
        vault.officer_keyring(console_request(client))


def test_admin_login_gets_no_key(client: Client, make_staff: object) -> None:
    admin = make_staff(Role.ADMIN)  # type: ignore[operator]
    login(client, admin)
    # The console cookie binds the session (issue 9.10), but it unwraps no key.
    assert client.cookies[COOKIE].value and SESSION_KEY not in client.session
    with pytest.raises(VaultLocked):
        vault.officer_keyring(console_request(client))


def test_escrow_keyring_in_the_console(client: Client, supervisor: StaffUser, officer: StaffUser) -> None:
    login(client, supervisor)
    assert vault.escrow_keyring(console_request(client)).holder == supervisor
    other = Client()
    login(other, officer)
    with pytest.raises(AccessDenied):
        vault.escrow_keyring(console_request(other))


def test_officer_created_before_the_vault_is_enrolled_at_login(client: Client, officer: StaffUser) -> None:
    OfficerKey.objects.filter(user=officer).delete()
    login(client, officer)
    assert OfficerKey.objects.filter(user=officer).exists()
    assert vault.officer_keyring(console_request(client)).user == officer


def test_key_wrapped_under_another_password_warns_but_logs_in(client: Client, officer: StaffUser) -> None:
    vault.rewrap_officer_key(user=officer, old_password=PASSWORD, new_password="a different passphrase")
    response = client.post("/auth/login/", {"username": officer.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [str(WrongPassword().message)]
    login(client, officer)
    with pytest.raises(VaultLocked):
        vault.officer_keyring(console_request(client))


def test_password_change_rewraps_the_key(client: Client, officer: StaffUser) -> None:
    report_id, content = sealed_for(officer)
    login(client, officer)
    new_password = "a completely new passphrase 42"
    response = client.post(
        "/console/security/password/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    keyring = vault.unlock_keyring(user=officer, password=new_password)
    assert vault.open(access=keyring, report_id=report_id, purpose="report", ciphertext=content) == b"rahasia"
    # The console session keeps working: the private key itself did not change.
    assert vault.officer_keyring(console_request(client)).user == officer


def test_supervisor_of_an_older_database_becomes_escrow_holder_at_login(client: Client, supervisor: StaffUser) -> None:
    from vault.models import EscrowKey, EscrowShare

    EscrowShare.objects.all().delete()
    EscrowKey.objects.all().delete()
    OfficerKey.objects.filter(user=supervisor).delete()
    login(client, supervisor)
    assert vault.is_escrow_holder(supervisor)
    assert vault.escrow_keyring(console_request(client)).holder == supervisor


def test_housekeeping_deletes_expired_console_sessions(client: Client, officer: StaffUser) -> None:
    """An idle session's half of the console key does not stay in the database after it expired."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from vault.tasks import housekeeping

    login(client, officer)
    other = Client()
    login(other, officer, offset_steps=1)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert housekeeping()["console_sessions"] == 1
    assert not Session.objects.filter(session_key=client.session.session_key).exists()
    assert Session.objects.filter(session_key=other.session.session_key).exists()
