"""Headless Chromium (Debian's `chromium`) driven by Playwright, and a page that records what went wrong.

Playwright's own browser download needs the internet; ``executable_path`` points it at the system
Chromium instead, which `make test` installs when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Playwright, sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# A fetch the page expects to fail (a wrong token, a job not visible yet) is still logged by Chromium
# as "Failed to load resource"; those are allowed per test by URL, every other console error is not.
FAILED_LOAD = "Failed to load resource"


def chromium_path() -> str:
    """Where the system Chromium is; a clear failure (never a skip) when it is not installed."""
    found = (
        os.environ.get("WATCHARR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        raise AssertionError("Chromium is not installed: `make test` installs Debian's `chromium` package")
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium for a whole module."""
    with sync_playwright() as playwright:
        yield launch(playwright)


def launch(playwright: Playwright) -> Browser:
    """Launch the system Chromium without network side traffic."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)


@dataclass
class Watched:
    """A page plus everything it reported: console errors, uncaught exceptions and dialogs opened."""

    page: Page
    console_errors: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def unexpected_errors(self, *allowed_failed_loads: str) -> list[str]:
        """Console errors and exceptions, minus failed loads of URLs matching one of the patterns."""
        problems = list(self.page_errors)
        for message in self.console_errors:
            url = message.location.get("url", "") if message.location else ""
            if message.text.startswith(FAILED_LOAD) and any(re.search(p, url) for p in allowed_failed_loads):
                continue
            problems.append(f"{message.text} ({url})")
        return problems


def watch(browser: Browser, viewport: dict[str, int]) -> tuple[Any, Watched]:
    """A fresh context (empty localStorage) and page, with its console, errors and dialogs recorded."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.console_errors.append(message)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    return context, watched


def thumbnail_png(rgb: tuple[int, int, int]) -> bytes:
    """A 16×9 PNG of one colour, standing in for a video's thumbnail."""
    width, height = 16, 9
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
