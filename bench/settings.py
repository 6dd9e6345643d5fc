"""Settings for benchmarks only: Peluit's own settings plus the plaintext baseline app (``bench.baseline``).

The baseline exists only here, never in a deployed Peluit: ``bin/bench`` serves Peluit with
``DJANGO_SETTINGS_MODULE=bench.settings`` so the baseline runs in the same Django stack, middleware and
gunicorn as the real intake, and the difference between the two is what the vault, the audit log and the case
records cost.
"""

from config.settings import *  # noqa: F403 - the whole of Peluit's settings, then the additions below
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.urls"
