"""The account emails: a password reset link, an invitation, and the notice that a password changed.

Plain text only (nothing in them needs HTML). Each has a Message-ID of its own (a link's token hash, or the
change's time), on the domain of FOIA_MAIL_FROM.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from foia.mail import build_message, make_message_id
from foia.models import User


def _domain(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return domain or "localhost"


def _message(config: Mapping[str, Any], *, to: str, subject: str, text: str, key: str, now: datetime) -> EmailMessage:
    sender = config["FOIA_MAIL_FROM"]
    return build_message(sender=sender, to=[to], subject=subject, text=text, html=None,
                         message_id=make_message_id(key, _domain(sender)), date=now)


def _link(config: Mapping[str, Any], path: str) -> str:
    return config["FOIA_BASE_URL"].rstrip("/") + path


def reset_message(config: Mapping[str, Any], *, user: User, path: str, minutes: int, now: datetime) -> EmailMessage:
    text = (f"Hello {user.name},\n\n"
            f"Someone (we hope you) asked to reset the password of your FOIA Tracker account ({user.email}).\n"
            f"To choose a new password, open this link within {minutes} minutes. It works once:\n\n"
            f"{_link(config, path)}\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is.\n")
    return _message(config, to=user.email, subject="Reset your FOIA Tracker password", text=text,
                    key=f"reset:{path}", now=now)


def invite_message(config: Mapping[str, Any], *, user: User, inviter: User, path: str, hours: int,
                   now: datetime) -> EmailMessage:
    text = (f"Hello {user.name},\n\n"
            f"{inviter.name} invited you to FOIA Tracker, {user.organization.name}'s public-records request tracker,\n"
            f"as {user.role}. To set your password and start, open this link within {hours} hours. It works once:\n\n"
            f"{_link(config, path)}\n\n"
            f"Then sign in with {user.email} and the password you chose.\n"
            "If you did not expect this, ignore this email.\n")
    return _message(config, to=user.email, subject=f"You are invited to FOIA Tracker ({user.organization.name})",
                    text=text, key=f"invite:{path}", now=now)


def changed_message(config: Mapping[str, Any], *, user: User, how: str, now: datetime) -> EmailMessage:
    text = (f"Hello {user.name},\n\n"
            f"The password of your FOIA Tracker account ({user.email}) was {how} on "
            f"{now.strftime('%Y-%m-%d at %H:%M UTC')}. Your other signed-in sessions were ended.\n\n"
            "If this was you, there is nothing to do. If it was not, reset your password now at\n"
            f"{_link(config, '/forgot')}\nand tell your administrator.\n")
    return _message(config, to=user.email, subject="Your FOIA Tracker password was changed", text=text,
                    key=f"password-changed:{user.id}:{now.isoformat()}", now=now)
