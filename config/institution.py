"""The institution that runs this Peluit, as reporter pages show it (settings ``PELUIT_INSTITUTION_*``)."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class Institution:
    """Name, contacts, official domain, optional onion address and the logo as a ``data:`` URI."""

    name: str
    address: str
    phone: str
    email: str
    domain: str
    onion: str
    logo_src: str

    @property
    def onion_url(self) -> str:
        """The onion service's address, or an empty string when there is none."""
        return f"http://{self.onion}/" if self.onion else ""


@functools.lru_cache(maxsize=4)
def _logo_data_uri(path: Path, mtime_ns: int) -> str:
    # Inlined rather than linked: the header then costs no request (nor a throttle count) and works from any
    # path on disk, also one outside the static files. mtime_ns makes a replaced file show without a restart.
    content_type = LOGO_TYPES[path.suffix.lower()]
    return f"data:{content_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def current() -> Institution:
    """Return the institution as configured now (the logo file is read once per change)."""
    logo = Path(settings.PELUIT_INSTITUTION_LOGO)
    try:
        logo_src = _logo_data_uri(logo, logo.stat().st_mtime_ns)
    except (OSError, KeyError):  # checked at start-up; a file removed since must not break every page
        logo_src = ""
    return Institution(
        name=settings.PELUIT_INSTITUTION_NAME,
        address=settings.PELUIT_INSTITUTION_ADDRESS,
        phone=settings.PELUIT_INSTITUTION_PHONE,
        email=settings.PELUIT_INSTITUTION_EMAIL,
        domain=settings.PELUIT_INSTITUTION_DOMAIN,
        onion=settings.PELUIT_ONION_ADDRESS,
        logo_src=logo_src,
    )
