"""The migrations' reference data (organisations, gift thresholds, lifecycles, deadline rules, the survey's
elements and categories), put back after a flush."""

from __future__ import annotations

import importlib


def ensure_reference_data() -> None:
    """Put the migrations' reference data back if a flush removed it.

    Transactional tests (live server, concurrency) end with a flush that empties every table, data
    migrations included; serialized rollback cannot be relied on once Playwright runs an event loop in the
    main thread (database connections then become context-local and lose the serialized copy).
    """
    from django.apps import apps

    from casework.models import (
        DeadlineRule,
        GratificationThreshold,
        Organisation,
        SatisfactionCategory,
        SurveyElement,
        Transition,
    )

    if not Organisation.objects.exists():
        importlib.import_module("casework.migrations.0002_semarang_organisations").add(apps, None)
    if not GratificationThreshold.objects.exists():
        importlib.import_module("casework.migrations.0004_gratification_thresholds").add(apps, None)
    if not Transition.objects.exists() and not DeadlineRule.objects.exists():
        importlib.import_module("casework.migrations.0008_flow_lifecycle_data").add(apps, None)
    if not SurveyElement.objects.exists() and not SatisfactionCategory.objects.exists():
        importlib.import_module("casework.migrations.0011_survey_data").add(apps, None)
