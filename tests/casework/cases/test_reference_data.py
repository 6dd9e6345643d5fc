"""Reference data arrives by migration, so every fresh database has it."""

import pytest

from casework.models import Organisation, StaffUser

pytestmark = pytest.mark.django_db


def test_semarang_organisations_are_present() -> None:
    kinds = {kind: Organisation.objects.filter(kind=kind).count() for kind in Organisation.Kind.values}
    assert kinds == {"kecamatan": 16, "badan": 8, "dinas": 24, "lainnya": 4}
    assert Organisation.objects.filter(name="Kecamatan Tembalang").exists()
    assert Organisation.objects.filter(name="Inspektorat", kind="badan").exists()


def test_no_demo_people_without_the_seed() -> None:
    assert not StaffUser.objects.exists()


def test_demo_seed_creates_one_account_per_role_once(settings, tmp_path) -> None:
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet")
    call_command("seed_demo", "--quiet")
    roles = sorted(StaffUser.objects.values_list("role", flat=True))
    # Two supervisors, so an identity disclosure can be approved by one other than the requester.
    assert roles == ["admin", "auditor", "officer", "officer", "supervisor", "supervisor"]
    logins = (tmp_path / "demo-logins.txt").read_text()
    assert "TOTP secret" in logins and logins.count("password:") == 6
