"""Shared fixtures live in tests/support/, one concept per module."""

pytest_plugins = [
    "tests.support.database",
    "tests.support.smtp",
    "tests.support.temporal",
]
