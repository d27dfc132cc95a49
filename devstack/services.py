"""A local service for the tests and the dev tools: `start()` and `stop()`, and
`with Service(...) as running:` around them. A start that fails half way is stopped again,
so nothing it got as far as starting outlives it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Service:
    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
