"""Fixtures of the browser tests: the local stack, the pages and feeds it reads, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.browser import DESKTOP, Watched, chromium, watch
from tests.support.feed_server import FeedServer
from tests.support.origin import OriginServer
from tests.support.stack import StackProcess, running_stack

pytestmark = pytest.mark.e2e

STACK_ARGS = ("--api-workers", "2", "--retry-delay", "1")


@pytest.fixture(scope="module")
def origin() -> Iterator[OriginServer]:
    """The web site the links point to."""
    with OriginServer() as server:
        yield server


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    """The podcast feed host."""
    with FeedServer() as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The local stack as `make run` starts it, on a data directory of its own."""
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    with running_stack(data_dir, args=STACK_ARGS) as running:
        yield running


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


def sign_in(page: Page, stack: StackProcess, token: str | None = None) -> None:
    """Open the page and sign in with the local user's token (or another one)."""
    page.goto(stack.url + "/")
    page.get_by_label("API token").fill(token or stack.token)
    page.get_by_role("button", name="Sign in").click()
    if token is None:
        expect(page.locator("#list-view")).to_be_visible()


def list_filter(page: Page, label: str) -> Locator:
    """One of the list's filters by its label (a card's own controls may carry the same words)."""
    return page.locator("#filters").get_by_label(label)
