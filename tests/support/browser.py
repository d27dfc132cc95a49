"""A headless Chromium (Debian's, never a downloaded build) for looking at pages people read:
journey previews, the dashboard.

Fixture:
    browser  module  playwright Browser on /usr/bin/chromium (CARTNUDGE_CHROMIUM to change);
                     fails, never skips, when it is missing: install it with
                     `apt-get install -y chromium` (.ci/run does on a fresh machine)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("CARTNUDGE_CHROMIUM", "/usr/bin/chromium")


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the page tests look at pages in a real"
            " browser. Install it with `sudo apt-get install -y chromium` (Debian/Ubuntu), or"
            " point CARTNUDGE_CHROMIUM at one.",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
