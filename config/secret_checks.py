"""Production refuses secrets that anyone can know.

A length check alone lets through the development defaults this repository publishes
(they are long enough), a key copied from documentation, or a placeholder such as
Django's `django-insecure-...`. Every secret setting is checked the same way: not a value
published here or a common placeholder, not derived from one, long enough, and not made
of a handful of repeated characters (what a person types, not what a generator makes).
"""

from __future__ import annotations

import base64
import binascii

# Defaults printed in this repository (settings, README, .env.example, demo data).
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105
DEMO_PASSWORD = "pilotgate-demo"  # noqa: S105
PUBLIC_VALUES = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        DEMO_PASSWORD,
        "pilotgate",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "password",
        "default",
        "example",
        "test",
    }
)
PLACEHOLDER_PREFIXES = ("django-insecure-", "insecure-", "changeme", "change-me", "change_me")
# A generated secret of 32+ characters uses far more distinct characters than this.
MIN_DISTINCT = 10
MIN_DISTINCT_KEY_BYTES = 16


def text_problem(value: str, *, min_length: int) -> str | None:
    """Why `value` cannot be a production secret, or None."""
    folded = value.strip().lower()
    if folded in PUBLIC_VALUES or any(public in folded for public in _EMBEDDED):
        return "is a published default"
    if folded.startswith(PLACEHOLDER_PREFIXES):
        return "is a placeholder"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    if len(set(value)) < MIN_DISTINCT:
        return "repeats too few different characters to be random"
    return None


# Published values that must not appear inside a longer secret either (a padded default).
_EMBEDDED = (DEVELOPMENT_SECRET_KEY, DEMO_PASSWORD)


def fernet_key_problem(key: str) -> str | None:
    from config.encryption import derive_key  # cryptography; only needed in production

    if key in {derive_key(value) for value in PUBLIC_VALUES}:
        return "is derived from a published default"
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None  # its format is checked (and refused) where the keys are read
    if len(set(raw)) < MIN_DISTINCT_KEY_BYTES:
        return "repeats too few different bytes to be random"
    return None


def production_problems(
    *,
    secret_key: str,
    audit_hmac_key: str,
    field_encryption_keys: list[str],
    demo_password: str,
) -> list[str]:
    """One message per secret setting that production must refuse."""
    problems = []
    checks = [
        ("SECRET_KEY", secret_key, 50),
        ("AUDIT_HMAC_KEY", audit_hmac_key, 32),
    ]
    if demo_password:  # empty in production unless set: then seed_demo refuses to run
        checks.append(("PILOTGATE_DEMO_PASSWORD", demo_password, 16))
    for name, value, min_length in checks:
        problem = text_problem(value, min_length=min_length)
        if problem:
            problems.append(
                f"{name} {problem}; set it to a random value of at least {min_length} "
                "characters in production"
            )
    for position, key in enumerate(field_encryption_keys, start=1):
        problem = fernet_key_problem(key)
        if problem:
            problems.append(
                f"FIELD_ENCRYPTION_KEY: key {position} {problem}; make a new one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            )
    return problems
