"""`cartnudge coupons import|status`: a shop's pool from a file, bad lines named."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.errors import CommandError
from cli.main import run
from settings import Settings
from tests.factories import add_shop
from tests.support.temporal import settings_for_tests


@pytest.fixture
async def settings(
    database_url: str, tmp_path: Path, session_factory: async_sessionmaker[AsyncSession]
) -> Settings:
    await add_shop(session_factory, shop="demo_shop", key=None, coupon_source="pool")
    return settings_for_tests(database_url=database_url, temporal_address="127.0.0.1:1")


async def cartnudge(settings: Settings, *argv: str) -> str:
    out = io.StringIO()
    await run(argv, settings=settings, out=out)
    return out.getvalue()


async def test_imports_a_csv_skips_duplicates_and_says_how_many_are_free(
    settings: Settings, tmp_path: Path
) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("code,value\n  SAVE-001 ,10\nSAVE-002,10\nSAVE-002,10\n", encoding="utf-8")
    plain = tmp_path / "more.txt"
    plain.write_text("SAVE-002\nSAVE-003\n\n", encoding="utf-8")

    first = await cartnudge(settings, "coupons", "import", "demo_shop", str(codes))
    second = await cartnudge(settings, "coupons", "import", "demo_shop", str(plain))
    status = await cartnudge(settings, "coupons", "status", "demo_shop")

    assert (
        first
        == "imported 2 code(s) for shop demo_shop; 1 skipped, already in the pool; 2 free now\n"
    )
    assert (
        second
        == "imported 1 code(s) for shop demo_shop; 1 skipped, already in the pool; 3 free now\n"
    )
    assert status == "shop demo_shop: 3 free, 0 claimed (coupon source: pool)\n"


async def test_a_file_with_bad_codes_imports_nothing_and_names_the_lines(
    settings: Settings, tmp_path: Path
) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("GOOD-1\nnot a code\nGOOD-2\n%%%\n", encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        await cartnudge(settings, "coupons", "import", "demo_shop", str(codes))

    assert str(refused.value) == (
        "nothing imported:\n"
        "  line 2: 'not a code' is not a code (letters, digits, - _ . ; at most 100)\n"
        "  line 4: '%%%' is not a code (letters, digits, - _ . ; at most 100)"
    )
    status = await cartnudge(settings, "coupons", "status", "demo_shop")
    assert status.startswith("shop demo_shop: 0 free, 0 claimed")


async def test_an_unknown_shop_is_refused(settings: Settings, tmp_path: Path) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("GOOD-1\n", encoding="utf-8")

    with pytest.raises(CommandError, match="no shop 'nope'"):
        await cartnudge(settings, "coupons", "import", "nope", str(codes))
