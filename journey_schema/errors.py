"""What goes wrong with a marketer's journey, said so they can fix it.

Exception
 ├── JourneyError        one problem in one file: file, step (or field) path, problem
 └── LookupError
      └── JourneyNotFound no valid journey or version for a shop or a name
"""

from __future__ import annotations

from pathlib import Path


class JourneyError(Exception):
    """One problem in one journey file.

    `step` is a step path such as `steps[2].else[0]`, a field path such as
    `trigger.inactivity`, or None when the problem concerns the whole file.
    """

    def __init__(self, file: Path, step: str | None, problem: str) -> None:
        self.file = file
        self.step = step
        self.problem = problem
        super().__init__(file, step, problem)  # args that rebuild it, so it pickles

    def __str__(self) -> str:
        where = f"{self.file.as_posix()}: {self.step}" if self.step else self.file.as_posix()
        return f"{where}: {self.problem}"

    def __repr__(self) -> str:
        return f"JourneyError({self.file.as_posix()!r}, {self.step!r}, {self.problem!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JourneyError):
            return NotImplemented
        return (self.file, self.step, self.problem) == (other.file, other.step, other.problem)

    def __hash__(self) -> int:
        return hash((self.file, self.step, self.problem))


class JourneyNotFound(LookupError):
    """No valid journey or version for a shop or a name."""
