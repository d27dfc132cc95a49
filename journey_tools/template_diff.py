"""What changed in the template text two versions pin: a unified diff per template part.

Parts are compared path by path (`nudge/en.txt` with `nudge/en.txt`); a message that moved
to a new template folder (`reminder` -> `reminder_v2`, see `template_renames`) has its new
parts compared with the old folder's, so the marketer reads the rewording, not one
template gone and another new.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class TemplateChangeKind(StrEnum):
    NEW = "new template"
    NO_LONGER_USED = "no longer used"
    CHANGED = "changed"


@dataclass(frozen=True)
class TemplateChange:
    kind: TemplateChangeKind
    path: str  # the part in B (in A when no longer used): "nudge/en.sms"
    was_path: str | None = None  # the part of A it is compared with, when another path
    diff: list[str] = field(default_factory=list)  # unified diff lines, without line ends


def _unified(before: str, after: str, label_a: str, label_b: str) -> list[str]:
    return list(
        difflib.unified_diff(before.splitlines(), after.splitlines(), label_a, label_b, lineterm="")
    )


def _renamed(path: str, renames: Mapping[str, str]) -> str | None:
    """The path in B of A's part `path` under a template rename, if there is one."""
    folder, _, part = path.partition("/")
    return f"{renames[folder]}/{part}" if part and folder in renames else None


def template_changes(
    a: Mapping[str, str], b: Mapping[str, str], renames: Mapping[str, str]
) -> tuple[list[TemplateChange], list[str]]:
    """(changes, unchanged paths) between the template parts versions a and b pin."""
    pairs: dict[str, str] = {}  # path in B -> path in A it is compared with
    for path in b:
        if path in a:
            pairs[path] = path
    for path in a:
        target = _renamed(path, renames)
        if target is not None and target in b and target not in a and path not in b:
            pairs[target] = path
    compared_a = set(pairs.values())
    changes: list[TemplateChange] = []
    unchanged: list[str] = []
    for path in sorted(b.keys() | (a.keys() - compared_a)):
        if path not in b:
            changes.append(TemplateChange(TemplateChangeKind.NO_LONGER_USED, path))
        elif path not in pairs:
            changes.append(
                TemplateChange(
                    TemplateChangeKind.NEW, path, diff=_unified("", b[path], "/dev/null", path)
                )
            )
        elif a[pairs[path]] == b[path]:
            unchanged.append(path)
        else:
            was = pairs[path]
            changes.append(
                TemplateChange(
                    TemplateChangeKind.CHANGED,
                    path,
                    was_path=was if was != path else None,
                    diff=_unified(a[was], b[path], was, path),
                )
            )
    return changes, unchanged
