"""`cartnudge secrets`: the keys that encrypt shops' credentials in the database.

    cartnudge secrets new-key     a fresh key for CARTNUDGE_DATA_AT_REST_KEYS or
                                  CARTNUDGE_PAYLOAD_KEYS (printed once)
    cartnudge secrets rotate      re-encrypt every stored secret with the first listed key

Rotating a key: put the new key first in CARTNUDGE_DATA_AT_REST_KEYS, the old one after it,
restart every process, run `rotate`; once it says 0 are left under old keys, the old key
may be dropped from the list (README, "Shop credentials").
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from data_at_rest.cipher import DataCipher, UnreadableSecret, new_key
from storage import shops


async def new_key_command(_session: AsyncSession, _args: argparse.Namespace, out: TextIO) -> None:
    out.write(f"{new_key()}\n")


async def rotate_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    cipher: DataCipher = args.cipher
    try:
        done = await shops.reencrypt_secrets(session, cipher=cipher)
    except UnreadableSecret as err:
        raise CommandError(f"{err}; nothing was re-encrypted") from None
    await session.commit()
    plaintext = f", {done.plaintext} of them stored in plaintext" if done.plaintext else ""
    out.write(
        f"re-encrypted {done.secrets} secrets of {done.shops} shops with key"
        f" {cipher.current_key_id!r}{plaintext}; {done.left_under_old_keys} left under old keys\n"
    )


def register(topics: Any) -> None:
    keys: argparse.ArgumentParser = topics.add_parser(
        "secrets", help="the keys encrypting shops' credentials in the database"
    )
    commands = keys.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "new-key",
        help="print a fresh key for CARTNUDGE_DATA_AT_REST_KEYS or CARTNUDGE_PAYLOAD_KEYS",
    ).set_defaults(handler=new_key_command)
    commands.add_parser(
        "rotate", help="re-encrypt every stored secret with the first key (plaintext too)"
    ).set_defaults(handler=rotate_command)
