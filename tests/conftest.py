"""Shared fixtures live in tests/support/, one concept per module."""

import os

pytest_plugins = [
    "tests.support.browser",
    "tests.support.database",
    "tests.support.smtp",
    "tests.support.temporal",
]

# A developer's exported CARTNUDGE_* settings must not change what the tests see; only the
# switches meant for the test run itself pass.
_TEST_SWITCHES = {
    "CARTNUDGE_REQUIRE_POSTGRES",
    "CARTNUDGE_RECORD_HISTORIES",
    "CARTNUDGE_RECORD_TIMELINES",
}
for _name in [name for name in os.environ if name.startswith("CARTNUDGE_")]:
    if _name not in _TEST_SWITCHES:
        del os.environ[_name]
