"""Dashboard passwords: the rule a new one must meet, and argon2id hashes of them.

Hashing takes a few hundred milliseconds of CPU on purpose (argon2-cffi's recommended
parameters), so it runs in a thread: the API keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12


class PasswordRefused(ValueError):
    """A new password that does not meet the rule, said in words."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(
            f"the password must be at least {MIN_LENGTH} characters long"
            f" (this one has {len(password)})"
        )
    if not password.strip():
        raise PasswordRefused("the password can not be only spaces")


class Passwords:
    """Hashes and checks passwords with one set of argon2 parameters."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._stand_in: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_nobody(self, password: str) -> None:
        """Spend the time a check takes, for an email nobody has: the answer's timing must
        not tell which emails have users."""
        if self._stand_in is None:
            self._stand_in = await self.hash("a password nobody has, for timing")
        await self.verify(self._stand_in, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than these."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False
