"""Password hashing with argon2id at OWASP's minimum recommended cost."""

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
# Verified against when the user does not exist, so timing does not reveal accounts.
_DUMMY_HASH = HASHER.hash("not-a-real-password")


def hash_password(password):
    return HASHER.hash(password)


def _matches(stored_hash, password):
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash, password):
    """True when password matches; a missing hash (no such user) costs the same."""
    if stored_hash is None:
        _matches(_DUMMY_HASH, password)
        return False
    return _matches(stored_hash, password)
