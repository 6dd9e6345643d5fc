"""Django's SQLite backend whose kept connection is dropped when the database file was replaced.

Peluit keeps SQLite connections between requests (``CONN_MAX_AGE``): opening one costs a reporter's
submission several milliseconds of processor time (the file, three PRAGMAs, reading the schema), about a
tenth of what a submission costs besides its Argon2id step. A kept connection reads the file it opened,
though, even after that file was moved away and another put in its place (a restore, or an operator's
mistake). Django checks a kept connection once per request (``CONN_HEALTH_CHECKS``); here that check also
compares the file at the configured path with the one the connection opened, so a replaced database is
noticed at the next request, exactly as a fresh connection would notice it.

Its cursors also keep each statement's translation from Django's ``%s`` placeholders to SQLite's ``?``:
Django runs a regular expression over every statement each time it runs (a tenth of a millisecond of each
report's submission), and a process runs the same few statements again and again.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from django.db.backends.sqlite3 import base


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


@functools.lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    """Return ``query`` with ``?`` placeholders, as Django's ``SQLiteCursorWrapper.convert_query`` writes it."""
    return str(base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%"))


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    """Django's SQLite cursor, keeping each statement's placeholder translation (statements hold no values)."""

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        """Return the statement with SQLite's placeholders (kept per statement for positional ones)."""
        if param_names is None:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite, as Django's, plus the file-identity check of a kept connection and its statements' placeholders
    translated once."""

    def create_cursor(self, name: Any = None) -> Any:
        """Return a cursor whose statements' placeholders are translated once per statement."""
        return self.connection.cursor(factory=SQLiteCursorWrapper)

    _opened_file: tuple[int, int] | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        """Open the connection and remember which file it opened."""
        connection = super().get_new_connection(conn_params)
        self._opened_file = _identity(str(conn_params["database"]))
        return connection

    def is_usable(self) -> bool:
        """Return False when the database path now names another file (or none) than the one opened."""
        if self.is_in_memory_db():
            return True
        database = str(self.settings_dict["NAME"])
        return self._opened_file is not None and _identity(database) == self._opened_file
