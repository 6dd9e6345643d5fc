"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Start-up: delete what a crashed server may have left in the upload folder (intake/uploads.py).
from intake.uploads import sweep_upload_folder  # noqa: E402 - needs the application (settings) set up

sweep_upload_folder()
