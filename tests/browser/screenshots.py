"""The README's screenshots and the page's figures: `.venv/bin/python -m tests.browser.screenshots`.

Starts the local stack with the local origin site and feed host, adds a few videos and a podcast, and
writes docs/web-375.png and docs/web-1280.png; prints the page's weight and its first paint.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.browser import DESKTOP, PHONE, chromium, thumbnail_png, watch
from tests.browser.conftest import STACK_ARGS, list_filter, sign_in
from tests.support.feed_server import FeedServer
from tests.support.origin import OriginServer, StaticRoute
from tests.support.stack import running_stack
from watcharr.web.assets import total_bytes

REPO = Path(__file__).resolve().parents[2]
FEED = REPO / ".." / "shared" / "data" / "feeds" / "apple-sample-all-about-everything.xml"
VIDEOS = [
    ("shot-1", "How rivers carve canyons", (31, 78, 140)),
    ("shot-2", "Bread at home: the long ferment", (140, 78, 31)),
    ("shot-3", "A quiet walk through Kyoto", (28, 107, 58)),
    ("shot-4", "Fixing a bicycle wheel in 10 minutes", (122, 46, 140)),
]


def main() -> None:
    """Fill a fresh local stack and photograph the page at phone and desktop width."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        OriginServer() as origin,
        FeedServer() as feeds,
        running_stack(Path(tmp) / "data", args=STACK_ARGS) as stack,
    ):
        links = []
        for video_id, title, colour in VIDEOS:
            origin.add(f"/thumbs/{video_id}.jpg", StaticRoute(thumbnail_png(colour), "image/png"))
            links.append(
                {"url": origin.url(f"/video/{video_id}?title={title.replace(' ', '%20')}&duration=754")}
            )
        links.append({"url": origin.url("/status/404")})
        _, answer = stack.request("POST", "/api/shortcuts/add-videos", links)
        stack.wait_for_job(answer["jobId"])
        stack.request(
            "POST", "/api/podcasts", {"feedUrl": feeds.put_feed("/everything.xml", FEED.read_bytes())}
        )
        time.sleep(3)
        with chromium() as browser:
            for name, viewport in (("web-1280.png", DESKTOP), ("web-375.png", PHONE)):
                context, watched = watch(browser, viewport)
                page = watched.page
                sign_in(page, stack)
                page.get_by_label("Add links").fill(links[0]["url"] + "\n" + links[-1]["url"])
                page.get_by_role("button", name="Add", exact=True).click()
                expect(page.locator(".job").first).to_have_attribute("data-status", "done", timeout=60_000)
                list_filter(page, "Watched").select_option("")
                expect(page.locator("#episodes .episode").first).to_be_visible()
                page.evaluate("document.activeElement.blur()")
                page.screenshot(path=str(REPO / "docs" / name))
                context.close()
            context, watched = watch(browser, DESKTOP)
            watched.page.goto(stack.url + "/")
            watched.page.wait_for_load_state("load")
            paint = watched.page.evaluate(
                "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
            )
            context.close()
    print(f"page weight: {total_bytes()} bytes (every file once, uncompressed)")
    print(f"first contentful paint: {paint:.0f} ms (local stack, headless Chromium)")


if __name__ == "__main__":
    main()
