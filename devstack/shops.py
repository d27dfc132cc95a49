"""A shop and an API key for local stacks: `make run`, the e2e tests, chaos and bench.

Production shops are made with the CLI (`cartnudge shops create`); these stacks make theirs
in code, on the database they just migrated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accounts.passwords import Passwords
from data_at_rest.cipher import DataCipher
from settings import dev_data_keys
from storage import dashboard_users
from storage.database import create_engine, create_session_factory
from storage.shops import add_shop, create_api_key, shop_for_key, shop_summary

DEMO_SHOP = "demo"  # the shop journeys/demo serves, used by `make run` and `make demo`
DEV_KEY_FILE = Path("data") / "dev-api-key"  # relative to the project folder
# The local stack's dashboard login for the demo shop; never made outside `make run`.
DEMO_DASHBOARD_USER = "demo@cartnudge.local"
DEMO_DASHBOARD_PASSWORD = "demo-dashboard-password"

SHOP_DEFAULTS: dict[str, Any] = {
    "timezone": "Europe/Istanbul",
    "locale": "tr-TR",
    "currency": "TRY",
}


def stack_cipher() -> DataCipher:
    """The cipher of a stack's processes (`stack_env` gives them no data keys: the dev key)."""
    return DataCipher(dev_data_keys())


async def shop_with_new_key(
    database_url: str, shop: str, *, cipher: DataCipher, **profile: Any
) -> str:
    """Store the shop unless it exists (its secrets encrypted with `cipher`, the one the
    stack's processes are given), and a fresh API key for it; the key."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            if await shop_summary(session, shop) is None:
                await add_shop(
                    session, shop=shop, profile={**SHOP_DEFAULTS, **profile}, cipher=cipher
                )
            key = await create_api_key(session, shop=shop, label="local stack")
            await session.commit()
    finally:
        await engine.dispose()
    return key


async def local_api_key(database_url: str, shop: str, key_file: Path, *, cipher: DataCipher) -> str:
    """The local stack's key for the shop, kept in `key_file` so `make demo` can read it.

    A key that no longer opens the shop (a new database, a revoked key) is replaced.
    """
    if key_file.exists():
        key = key_file.read_text().strip()
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                owner = await shop_for_key(session, key, cipher=cipher)
        finally:
            await engine.dispose()
        if owner is not None and owner.shop == shop:
            return key
    key = await shop_with_new_key(database_url, shop, cipher=cipher)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


async def demo_dashboard_user(database_url: str, shop: str) -> None:
    """The local stack's dashboard login (DEMO_DASHBOARD_USER) for the shop, made the first
    time; later runs keep it, and give it the shop again if it lost it."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session:
            account = await dashboard_users.find_by_email(session, DEMO_DASHBOARD_USER)
        if account is not None and shop in account.shops:
            return
        async with sessions() as session:
            if account is None:
                await dashboard_users.create_user(
                    session,
                    email=DEMO_DASHBOARD_USER,
                    password_hash=await Passwords().hash(DEMO_DASHBOARD_PASSWORD),
                    shops=[shop],
                )
            else:
                await dashboard_users.change_shops(session, email=DEMO_DASHBOARD_USER, add=[shop])
            await session.commit()
    finally:
        await engine.dispose()
