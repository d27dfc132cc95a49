"""`cartnudge coupons import|status`: a shop's pool of codes.

    cartnudge coupons import SHOP codes.csv     (a CSV with a `code` column, or one per line)
    cartnudge coupons status SHOP               (free and claimed codes)

Codes are trimmed; a file with a code that can not be one (spaces inside, too long, not
printable) imports nothing and names each bad line. Codes already in the pool are skipped.
A shop sends codes from its pool when its coupon source is `pool`
(`cartnudge shops update SHOP --coupon-source pool`).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from storage import coupons, shops

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
# A first line that names a column rather than being a code: "codes", "coupon_code".
HEADER_LIKE = re.compile(r"^(coupon|discount)?[ _-]?codes?$", re.IGNORECASE)
MAX_SHOWN = 10  # bad lines named, before "and N more"


def _dialect(first_line: str) -> type[csv.Dialect]:
    """Commas, or the semicolons (or tabs) a spreadsheet in Turkish saves CSV with."""
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:  # one column: no delimiter to find
        return csv.excel


def read_codes(text: str) -> list[str]:
    """The codes of a CSV with a `code` column, or of one code per line; CommandError naming
    every bad line (nothing is imported then)."""
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    dialect = _dialect(lines[first] if first < len(lines) else "")
    cells = [
        cell.strip().lower() for cell in next(csv.reader(lines[first : first + 1], dialect), [])
    ]
    rows: list[tuple[int, str]]
    if "code" in cells:
        reader = csv.DictReader(io.StringIO("\n".join(lines[first:])), dialect=dialect)
        column = next(name for name in reader.fieldnames or [] if name.strip().lower() == "code")
        rows = [(first + reader.line_num, (row.get(column) or "").strip()) for row in reader]
    elif len(cells) > 1 or any(HEADER_LIKE.match(cell) for cell in cells):
        # "coupon_code", or "kod;tutar": column names, never to be handed out as codes
        raise CommandError(
            f"nothing imported: line {first + 1} ({lines[first].strip()!r}) looks like column"
            " names; name the codes' column `code`, or give one code per line"
        )
    else:
        rows = [(number, line.strip()) for number, line in enumerate(lines, start=1)]
    bad = [
        f"line {number}: {code!r} is not a code (letters, digits, - _ . ; at most 100)"
        for number, code in rows
        if code and not CODE.match(code)
    ]
    if bad:
        more = f"\n  and {len(bad) - MAX_SHOWN} more" if len(bad) > MAX_SHOWN else ""
        raise CommandError("nothing imported:\n  " + "\n  ".join(bad[:MAX_SHOWN]) + more)
    codes = [code for _, code in rows if code]
    if not codes:
        raise CommandError("nothing imported: the file holds no codes")
    return codes


async def import_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    if await shops.shop_summary(session, args.shop) is None:
        raise CommandError(f"no shop {args.shop!r} (see `cartnudge shops list`)")
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as err:
        raise CommandError(f"{args.file}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{args.file}: not UTF-8 text") from None
    imported = await coupons.import_pool_codes(session, shop=args.shop, codes=read_codes(text))
    await session.commit()
    skipped = f"; {imported.duplicates} skipped, already in the pool" if imported.duplicates else ""
    out.write(
        f"imported {imported.added} code(s) for shop {args.shop}{skipped}; "
        f"{imported.free} free now\n"
    )


async def status_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    profile = await shops.shop_summary(session, args.shop)
    if profile is None:
        raise CommandError(f"no shop {args.shop!r} (see `cartnudge shops list`)")
    free, claimed = await coupons.pool_counts(session, shop=args.shop)
    source = profile.coupon_source or "none"
    out.write(f"shop {args.shop}: {free} free, {claimed} claimed (coupon source: {source})\n")


def register(topics: Any) -> None:
    pool = topics.add_parser("coupons", help="a shop's pool of coupon codes")
    commands = pool.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="add codes from a file to the shop's pool")
    importing.add_argument("shop")
    importing.add_argument("file", help="a CSV with a `code` column, or one code per line")
    importing.set_defaults(handler=import_command)
    status = commands.add_parser("status", help="how many of the shop's codes are free")
    status.add_argument("shop")
    status.set_defaults(handler=status_command)
