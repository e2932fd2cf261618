"""Unsubscribe links: a signed (user, topic) pair, so one click needs no sign-in and a
changed link is refused."""

from __future__ import annotations

from django.core import signing

SALT = "notify.unsubscribe"


def make(user_id: int, topic: str) -> str:
    return signing.dumps({"u": user_id, "t": topic}, salt=SALT, compress=True)


def read(token: str) -> tuple[int, str] | None:
    """(user id, topic), or None for a token that was altered or made with another key."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"], str(data.get("t", ""))
