"""Deep links to a project: t.me/<bot>?start=p_<base64url(code)> (or pid_<id> when too long)."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote

from catalog.models import ProjectPublic

MAX_START = 64  # Telegram's limit for a start parameter; allowed: A-Z a-z 0-9 _ -
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def start_param(project: ProjectPublic) -> str:
    """The /start parameter that opens `project`'s details."""
    encoded = base64.urlsafe_b64encode(project.code.encode()).rstrip(b"=").decode()
    param = f"p_{encoded}"
    return param if len(param) <= MAX_START else f"pid_{project.id}"


def parse_start(param: str) -> tuple[str, str] | None:
    """("code", code) or ("id", "123") for a project link; None for anything else."""
    if not _ALLOWED.match(param):
        return None
    if param.startswith("pid_") and param[4:].isdigit():
        return ("id", param[4:])
    if param.startswith("p_"):
        body = param[2:]
        try:
            code = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return ("code", code) if code else None
    return None


def deep_link(bot_username: str, project: ProjectPublic) -> str:
    """https://t.me/<bot>?start=<param> for `project`."""
    return f"https://t.me/{bot_username}?start={start_param(project)}"


def share_url(bot_username: str, project: ProjectPublic, text: str) -> str:
    """A t.me share URL that lets the user forward the project's deep link to any chat."""
    return (
        f"https://t.me/share/url?url={quote(deep_link(bot_username, project), safe='')}"
        f"&text={quote(text, safe='')}"
    )
