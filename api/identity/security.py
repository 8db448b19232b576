"""Credential primitives: argon2id password hashes and random tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A real hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD = 10
API_KEY_PREFIX = "fv_"
OPERATOR_KEY_PREFIX = "fvop_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A 256-bit URL-safe token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_api_key(prefix: str = API_KEY_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def display_prefix(key: str) -> str:
    """What lists show to tell keys apart: the kind and 8 characters of the secret."""
    return key[: key.index("_") + 9]
