"""Fixtures of the browser tests: the local stack, the pages and feeds it reads, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.browser import DESKTOP, Watched, chromium, watch
from tests.support.feed_server import FeedServer
from tests.support.stack import StackProcess

# The stack's fixtures, shared with tests/e2e; pytest finds fixtures imported into a conftest.
from tests.support.stack_fixtures import origin, stack  # noqa: F401

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    """The podcast feed host."""
    with FeedServer() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A desktop-sized page in a fresh context (nothing in localStorage)."""
    context, page = watch(browser, DESKTOP)
    yield page
    context.close()


def sign_in(page: Page, running: StackProcess, token: str | None = None) -> None:
    """Open the page and sign in with the local user's token (or another one)."""
    page.goto(running.url + "/")
    page.get_by_label("API token").fill(token or running.token)
    page.get_by_role("button", name="Sign in").click()
    if token is None:
        expect(page.locator("#list-view")).to_be_visible()


def list_filter(page: Page, label: str) -> Locator:
    """One of the list's filters by its label (a card's own controls may carry the same words)."""
    return page.locator("#filters").get_by_label(label)
