"""deploy/nginx.conf agrees with the settings it is derived from.

Its behaviour in front of gunicorn is tested in tests/reliability/test_slow_clients.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

CONF = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
MIB = 1024 * 1024
FORM_FIELDS_MIB = 1


def directive(name: str, text: str = CONF) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)


def test_client_max_body_size_is_derived_from_the_attachment_limits(settings: Any) -> None:
    files = settings.PELUIT_MAX_ATTACHMENTS * settings.PELUIT_MAX_ATTACHMENT_BYTES
    assert directive("client_max_body_size") == [f"{math.ceil(files / MIB) + FORM_FIELDS_MIB}m"]


def test_bodies_are_buffered_and_clients_timed_out() -> None:
    assert directive("proxy_request_buffering") == ["on"]
    assert directive("proxy_max_temp_file_size") == ["0"], "no decrypted download in a temp file"
    for name in ("client_body_timeout", "client_header_timeout", "keepalive_timeout", "send_timeout"):
        (value,) = directive(name)
        assert int(value.rstrip("s")) <= 30, name


def test_reporter_paths_are_not_logged_and_staff_paths_are() -> None:
    https_server = CONF.split("listen 443 ssl", 1)[1]
    staff = https_server.split("location ~ ", 1)[1]
    outside_staff = https_server.split("location ~ ", 1)[0]
    assert directive("access_log", outside_staff) == ["off"]
    assert [line.split()[-1] for line in directive("error_log", outside_staff)] == ["crit"]
    assert re.match(r"\^/\(\?:\(\?:id\|en\)/\)\?\(\?:console\|auth\)\(\?:/\|\$\)", staff)
    assert directive("access_log", staff) == ["/var/log/nginx/peluit-staff-access.log"]


def test_forwarded_headers_match_one_trusted_proxy() -> None:
    headers = dict(line.split(None, 1) for line in directive("proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$remote_addr", "exactly one address: PELUIT_TRUSTED_PROXIES=1"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Real-IP"] == '""' and headers["Forwarded"] == '""'
