"""The test suite's settings: Peluit's settings plus what only tests may have.

``PELUIT_AUDIT_TEST_FLUSH`` lets pytest-django empty a *test* database between transactional tests despite the
audit log's append-only triggers (audit/db.py, audit migration 0004). It exists only here: config/settings.py
never defines it and no environment variable turns it on, so a production process cannot open the escape hatch.
"""

from config.settings import *  # noqa: F403

PELUIT_AUDIT_TEST_FLUSH = True
