"""Which package may import what, read from the source with `ast` (lazy imports included).

- SQL lives in storage/: no other product module imports sqlalchemy, except the session
  types where a session is opened and handed on, and sqlalchemy.exc to catch database
  errors.
- workflows/payloads.py crosses Temporal: stdlib and pydantic only.
- journey_schema/ knows the workflow's payloads, not the workflow; rendering/ does not
  know the journey schema.
- The send policy (sending/policy.py, sending/quiet_hours.py) decides from facts: it
  reaches no database, HTTP peer, provider or Temporal.

The product is every package and module pyproject.toml installs, but devstack/ (tools)
and storage/ (the home of SQL); tests/ are not installed.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOT_PRODUCT = {"storage", "devstack"}
ALLOWED_SQLALCHEMY = {
    "sqlalchemy.ext.asyncio": {"AsyncSession", "async_sessionmaker", "AsyncEngine"},
    "sqlalchemy.exc": None,  # any database error, to catch it
}
# Decide from what they are given, reaching no database, HTTP or Temporal.
PURE_POLICY = {
    "sending/policy.py",
    "sending/quiet_hours.py",
    "experiments/assignment.py",
    "experiments/sequential.py",
    "experiments/sample_ratio.py",
    "recommendations/co_occurrence.py",
    "recommendations/choosing.py",
}
IO = {"storage", "sqlalchemy", "httpx", "channels", "temporalio"}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository
    line: int
    module: str  # the module imported from, absolute
    names: tuple[str, ...]  # what `from module import ...` takes; () for `import module`

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.path}:{self.line}: imports {self.module}{taken}"


def product_files() -> list[Path]:
    """Every .py file of the installed product, storage/ and devstack/ left out."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {name.split(".")[0] for name in setuptools["packages"]} - NOT_PRODUCT
    files = [REPO / f"{module}.py" for module in setuptools["py-modules"]]
    for package in sorted(packages):
        files.extend(sorted((REPO / package).rglob("*.py")))
    return files


def imports_of(source: str, path: str) -> Iterator[Import]:
    """Each import statement in the source, anywhere in it, with its module made absolute."""
    package = path.split("/")[:-1]  # the package the file is in (its own, for __init__.py)
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: `.` is the file's package, `..` its parent...
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            yield Import(path, node.lineno, module, tuple(alias.name for alias in node.names))


def top(module: str) -> str:
    return module.split(".")[0]


def breaks_sql_rule(found: Import) -> bool:
    if top(found.module) != "sqlalchemy":
        return False
    if found.module not in ALLOWED_SQLALCHEMY or not found.names:
        return True
    allowed = ALLOWED_SQLALCHEMY[found.module]
    return allowed is not None and not set(found.names) <= allowed


def breaks_layer_rule(found: Import) -> bool:
    """The rules for workflows/payloads.py, journey_schema/ and rendering/."""
    if found.path == "workflows/payloads.py":
        return found.module != "__future__" and not (
            top(found.module) in sys.stdlib_module_names or top(found.module) == "pydantic"
        )
    if found.path.startswith("journey_schema/"):
        if top(found.module) != "workflows":
            return False
        if found.module == "workflows":  # `from workflows import payloads` is fine
            return set(found.names) != {"payloads"}
        return found.module != "workflows.payloads"
    if found.path.startswith("rendering/"):
        return top(found.module) == "journey_schema"
    if found.path in PURE_POLICY:
        return top(found.module) in IO
    return False


def all_imports() -> list[Import]:
    return [
        found
        for file in product_files()
        for found in imports_of(file.read_text(), file.relative_to(REPO).as_posix())
    ]


def test_the_product_is_every_installed_package_but_storage_and_tools() -> None:
    scanned = {file.relative_to(REPO).parts[0] for file in product_files()}

    assert scanned == {
        "accounts", "api", "activities", "catalog", "channels", "cli", "contract", "coupons",
        "data_at_rest", "experiments", "intake", "journey_schema", "journey_tools",
        "recommendations", "releases", "rendering", "reports", "sending", "settings", "tracking",
        "workflows", "worker.py", "temporal_payloads", "observability",
        "temporal_connection.py",
    }  # fmt: skip


def test_no_module_outside_storage_speaks_sql() -> None:
    breaking = [found for found in all_imports() if breaks_sql_rule(found)]

    assert not breaking, "SQL belongs in storage/:\n" + "\n".join(map(str, breaking))


def test_payloads_journey_schema_rendering_and_the_send_policy_keep_to_their_layer() -> None:
    breaking = [str(found) for found in all_imports() if breaks_layer_rule(found)]

    assert not breaking, "\n".join(breaking)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("api/routes/x.py", "from sqlalchemy import select"),
        ("api/routes/x.py", "import sqlalchemy"),
        ("api/routes/x.py", "from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine"),
        ("intake/x.py", "def later():\n    from sqlalchemy.orm import Session"),
        ("workflows/payloads.py", "import httpx"),
        ("workflows/payloads.py", "from storage.models import Cart"),
        ("journey_schema/x.py", "from workflows.cart_values import values"),
        ("journey_schema/x.py", "from workflows import cart_journey"),
        ("journey_schema/sub/x.py", "from ...workflows import client"),
        ("rendering/x.py", "from journey_schema.models import Journey"),
        ("sending/policy.py", "from storage.consents import current_consent"),
    ],
)
def test_a_forbidden_import_is_named_with_its_file_and_line(path: str, source: str) -> None:
    [found] = list(imports_of(source, path))

    assert breaks_sql_rule(found) or breaks_layer_rule(found)
    assert str(found).startswith(f"{path}:{found.line}: imports ")


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("api/deps.py", "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker"),
        ("api/errors.py", "from sqlalchemy.exc import OperationalError, TimeoutError"),
        ("workflows/payloads.py", "from datetime import datetime"),
        ("workflows/payloads.py", "from pydantic import BaseModel"),
        ("journey_schema/x.py", "from workflows.payloads import Channel"),
        ("journey_schema/x.py", "from workflows import payloads"),
        ("rendering/x.py", "from workflows.payloads import Cart"),
        ("sending/policy.py", "from workflows.payloads import SendRequest"),
        ("sending/facts.py", "from storage.consents import current_consent"),
    ],
)
def test_an_allowed_import_passes(path: str, source: str) -> None:
    [found] = list(imports_of(source, path))

    assert not breaks_sql_rule(found) and not breaks_layer_rule(found)
