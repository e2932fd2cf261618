"""Environment readers that fail loudly on a bad value instead of guessing."""

import base64
import binascii
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_stage_days(name: str, default: dict[str, int]) -> dict[str, int]:
    """`stage=days` pairs, comma-separated, e.g. "discovery=45,pilot=90,readiness=60".
    Stages not named keep their default; days must be positive integers."""
    days = dict(default)
    for item in env_list(name):
        stage, sep, raw = item.partition("=")
        stage = stage.strip()
        if not sep or stage not in default:
            raise ImproperlyConfigured(
                f"{name}: {item!r} must be stage=days with stage one of {', '.join(default)}"
            )
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise ImproperlyConfigured(f"{name}: days for {stage} must be a positive integer")
        days[stage] = value
    return days


def fernet_keys(raw: str, name: str = "FIELD_ENCRYPTION_KEY") -> list[str]:
    """Comma-separated Fernet keys, each checked (32 bytes, url-safe base64)."""
    keys = [item.strip() for item in (raw or "").split(",") if item.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (binascii.Error, UnicodeEncodeError, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (32 bytes, url-safe base64); "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            )
    return keys


def env_fernet_keys(name: str) -> list[str]:
    return fernet_keys(os.environ.get(name, ""), name)


# The global roles a directory group may map to (accounts.models.GlobalRole's values).
ROLE_NAMES = ("admin", "governance_lead", "executive", "contributor")


def env_role_map(name: str) -> dict[str, str]:
    """`group=role,group=role` -> {group: role}; a role that does not exist stops start-up."""
    mapping: dict[str, str] = {}
    for item in env_list(name):
        group, sep, role = item.partition("=")
        group, role = group.strip(), role.strip()
        if not sep or not group or role not in ROLE_NAMES:
            raise ImproperlyConfigured(
                f"{name} must be group=role pairs with a role among {', '.join(ROLE_NAMES)}; "
                f"got {item!r}"
            )
        mapping[group] = role
    return mapping
