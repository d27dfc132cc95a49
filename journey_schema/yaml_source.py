"""Read a marketer's YAML file safely, with line numbers for what is wrong in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_STR_TAG = "tag:yaml.org,2002:str"


class YamlProblem(ValueError):
    """The file is not valid YAML; the message names the line."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping, and keeps 21:00 text.

    Plain YAML keeps the last one silently, so a second `then:` would erase the first.
    YAML 1.1 reads `21:00` as the base-60 number 1260 (and `09:00` as text); a journey
    means a time of day (`quiet_hours`), so a plain scalar with a colon stays text, as in
    YAML 1.2.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        resolve: Callable[[Any, Any, Any], str] = super().resolve  # untyped in the stubs
        tag = resolve(kind, value, implicit)
        if kind is ScalarNode and tag in _NUMBER_TAGS and ":" in value:
            return _STR_TAG
        return tag

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                mark = key_node.start_mark
                raise YamlProblem(
                    f"line {mark.line + 1}, column {mark.column + 1}: "
                    f"key {key!r} is written twice in the same mapping"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raise YamlProblem("line 4, column 3: ...")."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YamlProblem(f"YAML syntax error at {where}{what}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax error: {exc}") from None
