"""A whole-stack run (the bench, the chaos run) as a test fixture: skipped without
PostgreSQL binaries, its logs in a temporary folder, its report printed for the reader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from tests.support.database import needs_postgres_binaries


class Report(Protocol):
    @property
    def summary(self) -> str: ...

    def table(self) -> str: ...


R = TypeVar("R", bound=Report)


async def stack_run(
    tmp_path_factory: pytest.TempPathFactory,
    what: str,
    logs_folder: str,
    run: Callable[[Path], Awaitable[R]],
) -> R:
    """`run` with a fresh logs folder; its report, also printed with where the logs are."""
    needs_postgres_binaries(what)
    logs = tmp_path_factory.mktemp(logs_folder)
    result = await run(logs)
    print(f"\n{result.table()}\n{result.summary}\n  logs: {logs}")
    return result
