"""Fixtures of the case tests: cases are filed through intake, so its fixtures are used here too."""

from tests.intake.conftest import intake_staff, reference_data  # noqa: F401 - pytest fixtures, shared
