"""docker-compose can not run here (no Docker engine): check what can be checked without it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from settings import Settings

REPO = Path(__file__).resolve().parents[2]


def compose() -> dict:  # type: ignore[type-arg]
    return dict(yaml.safe_load((REPO / "docker-compose.yml").read_text()))


def test_every_cartnudge_service_runs_code_that_exists() -> None:
    services = compose()["services"]
    commands = {name: s["command"] for name, s in services.items() if s.get("build") == "."}
    assert set(commands) == {"migrate", "search-attributes", "api", "worker"}
    for name, command in commands.items():
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]), name
        elif command[0] == "python":
            assert (REPO / command[1]).is_file(), name
        else:
            assert command[:2] == ["uvicorn", "api.app:create_app"], name


def test_compose_settings_are_settings_cartnudge_reads() -> None:
    environment = compose()["x-cartnudge-env"]
    known = {f"CARTNUDGE_{field.upper()}" for field in Settings.model_fields}
    assert set(environment) <= known, set(environment) - known
