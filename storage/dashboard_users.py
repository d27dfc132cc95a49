"""The people who read the dashboard, and the shops each of them may see.

An email is stored lower-cased and names one user. The password arrives here already
hashed (accounts/passwords.py); nothing in storage/ sees a password. A disabled user is
kept, so `list` still shows who had access, and can not log in.

Functions take a session and leave the commit to the caller, like storage/shops.py.

    DashboardUserError
     ├── EmailTaken      another user has this email
     ├── UnknownShops    shops this deployment does not have (named)
     └── NoSuchUser      nobody has this email
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import DashboardUser, DashboardUserShop, Shop


class DashboardUserError(Exception):
    """A change to the dashboard's users that can not be made, said in words."""


class EmailTaken(DashboardUserError):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} already has a dashboard user")
        self.email = email


class UnknownShops(DashboardUserError):
    def __init__(self, shops: Sequence[str]) -> None:
        names = ", ".join(repr(shop) for shop in shops)
        what = "no shop" if len(shops) == 1 else "no shops"
        super().__init__(f"{what} {names} here (see `cartnudge shops list`)")
        self.shops = list(shops)


class NoSuchUser(DashboardUserError):
    def __init__(self, email: str) -> None:
        super().__init__(f"no dashboard user {email}")
        self.email = email


@dataclass(frozen=True)
class DashboardAccount:
    """A dashboard user as the login and the pages need it: the hash, never a password."""

    id: int
    email: str
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None
    shops: tuple[str, ...]  # sorted

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def normalized_email(email: str) -> str:
    return email.strip().lower()


def _of(row: DashboardUser, shops: Sequence[str]) -> DashboardAccount:
    return DashboardAccount(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        shops=tuple(shops),
    )


async def _account(session: AsyncSession, row: DashboardUser | None) -> DashboardAccount | None:
    return None if row is None else _of(row, await shops_of(session, row.id))


async def _check_shops_exist(session: AsyncSession, shops: Iterable[str]) -> None:
    wanted = set(shops)
    if not wanted:
        return
    known = set(await session.scalars(select(Shop.shop).where(Shop.shop.in_(wanted))))
    if unknown := sorted(wanted - known):
        raise UnknownShops(unknown)


async def create_user(
    session: AsyncSession, *, email: str, password_hash: str, shops: Sequence[str]
) -> DashboardAccount:
    """A new user who may see these shops; EmailTaken or UnknownShops, and nothing written,
    when it can not be. The caller commits."""
    email = normalized_email(email)
    await _check_shops_exist(session, shops)
    user_id = await session.scalar(
        insert(session, DashboardUser)
        .values(email=email, password_hash=password_hash)
        .on_conflict_do_nothing(index_elements=[DashboardUser.email])
        .returning(DashboardUser.id)
    )
    if user_id is None:
        raise EmailTaken(email)
    session.add_all(DashboardUserShop(user_id=user_id, shop=shop) for shop in sorted(set(shops)))
    await session.flush()
    account = await get_user(session, user_id)
    assert account is not None  # just inserted, in this transaction
    return account


async def find_by_email(session: AsyncSession, email: str) -> DashboardAccount | None:
    """The user with this email (any case), disabled or not."""
    row = await session.scalar(
        select(DashboardUser).where(DashboardUser.email == normalized_email(email))
    )
    return await _account(session, row)


async def get_user(session: AsyncSession, user_id: int) -> DashboardAccount | None:
    return await _account(session, await session.get(DashboardUser, user_id))


async def list_users(session: AsyncSession) -> list[DashboardAccount]:
    """Every user, disabled ones included, by email."""
    shops: dict[int, list[str]] = {}
    for user_id, shop in await session.execute(
        select(DashboardUserShop.user_id, DashboardUserShop.shop).order_by(DashboardUserShop.shop)
    ):
        shops.setdefault(user_id, []).append(shop)
    rows = await session.scalars(select(DashboardUser).order_by(DashboardUser.email))
    return [_of(row, shops.get(row.id, [])) for row in rows]


async def shops_of(session: AsyncSession, user_id: int) -> list[str]:
    """The shops the user may see, sorted."""
    return list(
        await session.scalars(
            select(DashboardUserShop.shop)
            .where(DashboardUserShop.user_id == user_id)
            .order_by(DashboardUserShop.shop)
        )
    )


async def _require(session: AsyncSession, email: str) -> DashboardAccount:
    account = await find_by_email(session, email)
    if account is None:
        raise NoSuchUser(normalized_email(email))
    return account


async def change_shops(
    session: AsyncSession, *, email: str, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> DashboardAccount:
    """Let the user see `add` and no longer `remove`; NoSuchUser, or UnknownShops naming
    every shop this deployment does not have, and nothing changed. The caller commits."""
    account = await _require(session, email)
    await _check_shops_exist(session, [*add, *remove])
    if remove:
        await session.execute(
            delete(DashboardUserShop).where(
                DashboardUserShop.user_id == account.id, DashboardUserShop.shop.in_(set(remove))
            )
        )
    if new := sorted(set(add) - set(account.shops)):
        await session.execute(
            insert(session, DashboardUserShop)
            .values([{"user_id": account.id, "shop": shop} for shop in new])
            .on_conflict_do_nothing()
        )
    changed = await get_user(session, account.id)
    assert changed is not None
    return changed


async def disable_user(
    session: AsyncSession, *, email: str, at: datetime | None = None
) -> DashboardAccount:
    """The user can no longer log in (a session already open ends at its next page); a user
    disabled before keeps that date. NoSuchUser when nobody has the email. The caller
    commits."""
    account = await _require(session, email)
    if account.active:
        await session.execute(
            update(DashboardUser)
            .where(DashboardUser.id == account.id)
            .values(disabled_at=at or datetime.now(UTC))
        )
        await session.flush()
    disabled = await get_user(session, account.id)
    assert disabled is not None
    return disabled


async def set_password_hash(session: AsyncSession, *, user_id: int, password_hash: str) -> None:
    """Replace the user's hash (a rehash with newer parameters, at login). The caller
    commits."""
    await session.execute(
        update(DashboardUser).where(DashboardUser.id == user_id).values(password_hash=password_hash)
    )
