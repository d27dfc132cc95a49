"""The journey schema as JSON Schema, so editors complete and check version files.

    python -m journey_schema.json_schema      # writes journeys/journey.schema.json

Version files opt in with a first line `# yaml-language-server: $schema=../journey.schema.json`
(VS Code's YAML extension, and any editor using yaml-language-server).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from journey_schema.models import JourneyVersion

SCHEMA_FILE = Path("journeys") / "journey.schema.json"
_STEP_REF = {"$ref": "#/$defs/Step"}


def journey_json_schema() -> dict[str, Any]:
    schema = JourneyVersion.model_json_schema(by_alias=True, mode="validation")
    definitions = schema["$defs"]
    step_choices = schema["properties"]["steps"]["items"]["oneOf"]
    # pydantic does not see rules that live in code: a bare `- exit` is a step, a wait_for
    # names exactly one of opened/clicked, a send step a template or (webhook) a target.
    # Say them here so editors know too.
    definitions["Step"] = {
        "description": "One step: a mapping with exactly one of wait, send, wait_for, "
        "branch, split, exit (or the bare word exit).",
        "oneOf": [*step_choices, {"const": "exit"}],
    }
    # Arms are a mapping by name: a name outside the pattern is a mistake, not another key.
    definitions["SplitSpec"]["properties"]["arms"]["additionalProperties"] = False
    definitions["ExitStep"]["required"] = ["exit"]
    definitions["WaitForSpec"]["oneOf"] = [{"required": ["opened"]}, {"required": ["clicked"]}]
    # A webhook step names a target and no template; every other send step the reverse.
    definitions["SendSpec"]["oneOf"] = [
        {
            "properties": {"channel": {"const": "webhook"}},
            "required": ["channel", "target"],
            "not": {"required": ["template"]},
        },
        {
            "properties": {"channel": {"not": {"const": "webhook"}}},
            "required": ["template"],
            "not": {"required": ["target"]},
        },
    ]
    # An offer is a percentage or an amount off, never both.
    definitions["CouponOffer"]["oneOf"] = [{"required": ["percent"]}, {"required": ["amount"]}]
    _replace_step_unions(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def render_schema() -> str:
    return json.dumps(journey_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _replace_step_unions(node: Any) -> None:
    """Point every list of steps (steps, then, else, an arm's) at the one `Step` definition."""
    if isinstance(node, dict):
        items = node.get("items")
        if isinstance(items, dict) and "oneOf" in items:
            if any(choice.get("$ref") == "#/$defs/WaitStep" for choice in items["oneOf"]):
                node["items"] = dict(_STEP_REF)
        for key, value in node.items():
            if key != "Step":
                _replace_step_unions(value)
    elif isinstance(node, list):
        for value in node:
            _replace_step_unions(value)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else SCHEMA_FILE
    target.write_text(render_schema(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
