"""Encryption at rest for the few secrets the product must read back (Fernet, AES + HMAC).

Keys come from the setting `FIELD_ENCRYPTION_KEY`: Fernet keys separated by commas, the
first one encrypts and every one decrypts (MultiFernet), so a key is rotated in three
steps: put the new key first, run `manage.py rotate_field_encryption`, drop the old key.
Without the setting, the key is derived from SECRET_KEY; keys derived from SECRET_KEY
and SECRET_KEY_FALLBACKS stay usable for decryption, so setting an explicit key later,
or rotating SECRET_KEY the Django way, never locks stored values out.

Plaintext never leaves this module other than as the return value of `decrypt` (and of
the field's reads): no logging, no exception message that carries it.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from config.env import fernet_keys

_DERIVATION_INFO = b"pilotgate field encryption v1"


@functools.lru_cache(maxsize=16)
def derive_key(secret: str) -> str:
    """A Fernet key derived from a secret such as SECRET_KEY (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode("utf-8"))).decode("ascii")


def _keys() -> tuple[str, ...]:
    configured = getattr(settings, "FIELD_ENCRYPTION_KEY", [])
    if isinstance(configured, str):
        configured = fernet_keys(configured)
    derived = [derive_key(settings.SECRET_KEY)]
    derived += [derive_key(old) for old in getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    # Encrypt with the first key; the rest only decrypt.
    return tuple(dict.fromkeys([*configured, *derived]))


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(_keys())


class DecryptionError(ImproperlyConfigured):
    """A stored value no configured key opens: a key was dropped before rotation finished."""


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, what: str = "a stored secret") -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        # Never the token or any plaintext in the message: it may reach a log.
        raise DecryptionError(
            f"Cannot decrypt {what}: none of the keys in FIELD_ENCRYPTION_KEY (or derived "
            "from SECRET_KEY and SECRET_KEY_FALLBACKS) opens it. Put back the key it was "
            "encrypted with, or enter the secret again."
        ) from None


def opens(token: str) -> bool:
    """True when a configured key decrypts `token` (it is a token of ours, not plaintext)."""
    try:
        fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


def rotate(token: str, *, what: str = "a stored secret") -> str:
    """The same plaintext, encrypted again with the first key."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError(
            f"Cannot rotate {what}: no configured key opens it. Put back the key it was "
            "encrypted with first."
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code sees plaintext. The empty string is
    stored as it is, so "is a secret set" stays a plain SQL comparison with ''.

    Lookups other than equality with '' cannot work on ciphertext (each encryption of the
    same value differs), so the field is for values that are written and read back, never
    searched.
    """

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, what=f"{self.model._meta.db_table}.{self.column}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate_all() -> dict[str, int]:
    """Encrypt every stored value again with the first key; {"app.model.field": count}.

    Reading decrypts with whichever configured key opens the value, writing encrypts with
    the first, so after this the other keys can be dropped. Safe to run again.
    """
    counts = {}
    for model, field in encrypted_fields():
        rows = model._base_manager.exclude(**{field.attname: ""}).exclude(
            **{f"{field.attname}__isnull": True}
        )
        stored = list(rows.values_list("pk", field.attname))  # few rows: secrets only
        for pk, plaintext in stored:
            model._base_manager.filter(pk=pk).update(**{field.attname: plaintext})
        counts[f"{model._meta.label_lower}.{field.name}"] = len(stored)
    return counts
