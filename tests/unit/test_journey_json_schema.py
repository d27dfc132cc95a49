"""The JSON Schema editors use is generated from the code and kept in the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from journey_schema.json_schema import journey_json_schema, main, render_schema
from tests.unit.journey_files import REPO_JOURNEYS


def test_the_committed_schema_is_up_to_date() -> None:
    committed = (REPO_JOURNEYS / "journey.schema.json").read_text(encoding="utf-8")

    assert committed == render_schema(), (
        "journeys/journey.schema.json is stale: run `python -m journey_schema.json_schema`"
    )


def test_every_list_of_steps_accepts_each_kind_and_the_bare_exit() -> None:
    schema = journey_json_schema()
    step = schema["$defs"]["Step"]

    refs = {choice.get("$ref") for choice in step["oneOf"]}
    assert refs >= {f"#/$defs/{kind}Step" for kind in ("Wait", "Send", "WaitFor", "Branch", "Exit")}
    assert {"const": "exit"} in step["oneOf"]
    assert schema["properties"]["steps"]["items"] == {"$ref": "#/$defs/Step"}
    for container in ("WaitForStep", "BranchStep"):
        for branch in ("then", "else"):
            assert schema["$defs"][container]["properties"][branch]["items"] == {
                "$ref": "#/$defs/Step"
            }


def test_rules_that_live_in_code_are_in_the_schema_too() -> None:
    definitions: dict[str, Any] = journey_json_schema()["$defs"]

    assert definitions["ExitStep"]["required"] == ["exit"]
    assert definitions["WaitForSpec"]["oneOf"] == [
        {"required": ["opened"]},
        {"required": ["clicked"]},
    ]
    assert definitions["WaitStep"]["properties"]["wait"]["pattern"] == "^(\\d+[smhdw])+$"


def test_the_command_writes_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"

    assert main([str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == journey_json_schema()


def test_a_send_channel_is_one_channel_or_a_preference_list() -> None:
    definitions: dict[str, Any] = journey_json_schema()["$defs"]
    channel = definitions["SendSpec"]["properties"]["channel"]

    assert channel["anyOf"] == [
        {"$ref": "#/$defs/Channel"},
        {"items": {"$ref": "#/$defs/Channel"}, "minItems": 1, "type": "array"},
    ]
    assert definitions["Channel"]["enum"] == ["email", "sms", "push", "webhook"]
    webhook, templated = definitions["SendSpec"]["oneOf"]
    assert webhook["required"] == ["channel", "target"]
    assert templated["required"] == ["template"]


def test_the_new_journey_keys_are_in_the_schema() -> None:
    schema = journey_json_schema()
    properties = schema["properties"]

    assert properties["sms_max_segments"]["default"] == 3
    assert properties["when_capped"]["default"] == "defer"
    assert properties["on_suppression"]["default"] == "end"
    assert schema["$defs"]["QuietHours"]["required"] == ["from", "to"]


def test_a_split_is_a_step_with_arms_by_name_and_weights_in_percent() -> None:
    schema = journey_json_schema()
    definitions: dict[str, Any] = schema["$defs"]

    assert {"$ref": "#/$defs/SplitStep"} in definitions["Step"]["oneOf"]
    assert "split" in definitions["Step"]["description"]
    arms = definitions["SplitSpec"]["properties"]["arms"]
    assert arms["type"] == "object" and arms["minProperties"] == 2
    assert arms["patternProperties"] == {"^[A-Za-z][A-Za-z0-9_]{0,31}$": {"$ref": "#/$defs/Arm"}}
    assert arms["additionalProperties"] is False  # a misspelt arm name is underlined
    assert "mapping" in arms["description"] and "control" in arms["description"]
    weight = definitions["Arm"]["properties"]["weight"]
    assert (weight["type"], weight["minimum"], weight["maximum"]) == ("integer", 1, 100)
    assert weight["examples"] == [50]
    assert definitions["Arm"]["properties"]["steps"]["items"] == {"$ref": "#/$defs/Step"}
    assert definitions["DecideRule"]["required"] == ["metric"]
    assert definitions["Metric"]["enum"] == ["conversion", "revenue_per_cart"]


def test_the_holdout_is_a_share_with_examples() -> None:
    holdout = journey_json_schema()["properties"]["holdout"]

    [share, empty] = holdout["anyOf"]
    assert empty == {"type": "null"}
    assert share["examples"] == ["10%", "5%"]
    assert "10%" in holdout["description"] and "never messaged" in holdout["description"]
