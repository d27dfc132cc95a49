"""Logging in to the dashboard, and who a signed session belongs to now.

A wrong password, an unknown email and a disabled user all get the same None. No
connection is held while a password is hashed: the user is read in one short session,
and a rehash (the parameters changed since the hash was made) written in another.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.passwords import Passwords
from storage import dashboard_users
from storage.dashboard_users import DashboardAccount


async def log_in(
    sessions: async_sessionmaker[AsyncSession],
    passwords: Passwords,
    *,
    email: str,
    password: str,
) -> DashboardAccount | None:
    """The active user with this email and password; None for any other pair."""
    async with sessions() as session:
        account = await dashboard_users.find_by_email(session, email)
    if account is None:
        await passwords.verify_nobody(password)
        return None
    if not await passwords.verify(account.password_hash, password) or not account.active:
        return None
    if passwords.needs_rehash(account.password_hash):
        new_hash = await passwords.hash(password)
        async with sessions() as session:
            await dashboard_users.set_password_hash(
                session, user_id=account.id, password_hash=new_hash
            )
            await session.commit()
    return account


async def active_account(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> DashboardAccount | None:
    """The user a session cookie names, while they exist and are not disabled."""
    async with sessions() as session:
        account = await dashboard_users.get_user(session, user_id)
    return account if account is not None and account.active else None
