"""Every client, worker, replayer and test server gets its converter from
`temporal_payloads.converter.data_converter(settings)`: one that connects on its own, or
takes pydantic's converter directly, would write customers' data to Temporal unencrypted.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The converter's home and the one connection helper are where these may appear.
HOMES = ("temporal_payloads/", "temporal_connection.py", "tests/unit/test_one_data_converter.py")
FORBIDDEN = re.compile(r"pydantic_data_converter|Client\.connect\(")
# Each of these takes its converter as an argument; without one it would be the SDK's default.
BUILDS_ITS_OWN = re.compile(r"WorkflowEnvironment\.start_\w+\(|Replayer\(")


def python_files() -> list[tuple[str, str]]:
    found = []
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if any(part.startswith(".") for part in path.relative_to(REPO).parts):
            continue  # .venv, .git
        if relative.startswith(HOMES):
            continue
        found.append((relative, path.read_text()))
    return found


def test_no_client_or_converter_is_made_outside_the_helper() -> None:
    files = python_files()
    assert any(name == "worker.py" for name, _ in files)  # the scan sees the product
    offenders = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for name, text in files
        for match in FORBIDDEN.finditer(text)
    ]
    assert offenders == [], (
        "use temporal_connection.connect_temporal(settings) or"
        " temporal_payloads.converter.data_converter(settings) instead"
    )


def test_every_test_server_and_replayer_is_given_our_converter() -> None:
    missing = [
        name
        for name, text in python_files()
        if BUILDS_ITS_OWN.search(text) and "data_converter=data_converter(" not in text
    ]
    assert missing == [], "pass data_converter=data_converter(settings) to each"
