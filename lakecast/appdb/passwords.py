"""Password hashing with hashlib.scrypt (memory-hard, standard library) and a per-password random salt.

Stored format: ``scrypt$<n>$<r>$<p>$<salt hex>$<key hex>`` so the cost parameters can be raised later while
old
hashes still verify.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

# n=2**14, r=8 -> 16 MiB and roughly 30-60 ms per hash on a laptop core.
_N, _R, _P, _DKLEN, _SALT_BYTES = 2**14, 8, 1, 32, 16


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("password must not be empty")
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash; False for malformed hashes."""
    try:
        scheme, n, r, p, salt_hex, key_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, key = bytes.fromhex(salt_hex), bytes.fromhex(key_hex)
        candidate = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(key),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, key)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def dummy_verify(password: str) -> None:
    """Spend the time of a real check; used when the username does not exist, so that response time does not
    reveal which usernames exist."""
    verify_password(password, _dummy_hash())
