"""The short links of sent SMS and push messages: which click token each id stands for.

The send activity stores a message's pairs before its provider is called, so a link is
never out before it resolves; the id is derived from the token (tracking/short_links.py),
so a retried send stores the same pairs and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.inserts import insert
from storage.models import ShortLink


class ShortLinks:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def store(self, links: Mapping[str, str]) -> None:
        """Keep each `id -> token` pair; a pair already kept is left as it is."""
        if not links:
            return
        async with self._sessions() as session:
            await session.execute(
                insert(session, ShortLink)
                .values([{"id": id_, "token": token} for id_, token in links.items()])
                .on_conflict_do_nothing(index_elements=[ShortLink.id])
            )
            await session.commit()

    async def token(self, id_: str) -> str | None:
        """The click token behind the short link `id_`; None for an id we never stored."""
        async with self._sessions() as session:
            token: str | None = await session.scalar(
                select(ShortLink.token).where(ShortLink.id == id_)
            )
        return token
