"""Shared fixtures: a small synthetic country, and the browser: Debian's chromium driven by
playwright, with the network cut off.

Playwright never downloads a browser here: the tests launch the system chromium
(installed by .ci/run), found as $COVERMAP_CHROMIUM, else ``chromium`` on PATH, else
/usr/bin/chromium. Without it, or without playwright, the browser tests fail with a
message saying how to install them: a skipped browser check would hide a broken map.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DIVISIONS = Path(__file__).parent / "data" / "divisions"

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).parent / "screenshots"  # gitignored


@pytest.fixture(scope="session")
def country(tmp_path_factory):
    """A synthetic country of 400 villages (benchmarks/make_country.py, seed 11), made once
    for the session; tests read it and write elsewhere. test_scale.py has its own."""
    from benchmarks.make_country import make_country

    folder = tmp_path_factory.mktemp("country-400")
    make_country(folder, 400, seed=11, divisions=DIVISIONS)
    return folder


def chromium_path() -> str | None:
    for candidate in (os.environ.get("COVERMAP_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("playwright is not installed: run bash .ci/run (or pip install '.[test]')")
    executable = chromium_path()
    if executable is None:
        pytest.fail("no chromium: run bash .ci/run, which installs Debian's chromium, or set COVERMAP_CHROMIUM")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class OfflinePage:
    """A page that may read file:// URLs only; everything else is aborted and recorded."""

    page: object
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return ([f"blocked request {url}" for url in self.blocked]
                + [f"failed request {url}" for url in self.failed]
                + [f"console error {text}" for text in self.console_errors]
                + [f"page error {text}" for text in self.page_errors])


@pytest.fixture
def offline_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    record = OfflinePage(page)

    def route(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            record.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("requestfailed", lambda request: record.failed.append(request.url))
    page.on("console", lambda message: message.type == "error" and record.console_errors.append(message.text))
    page.on("pageerror", lambda error: record.page_errors.append(str(error)))
    yield record
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory) -> Path:
    """`covermap demo` run once per test session (Chinese, no basemap): its first period's outputs
    (the sample county as profile.toml describes it)."""
    from click.testing import CliRunner

    from cli import main

    out = tmp_path_factory.mktemp("demo-maps") / "out"
    result = CliRunner().invoke(main, ["-q", "demo", str(out)])
    assert result.exit_code == 0, result.output
    return out / "2025"
