"""The README's screenshots and the page's figures: `.venv/bin/python -m tests.browser.screenshots`.

Starts the local stack with the local origin site and feed host, adds a few videos and a podcast, and
writes docs/web-375.png and docs/web-1280.png; prints the page's weight and its first paint.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.browser import DESKTOP, PHONE, chromium, thumbnail_png, watch
from tests.browser.conftest import list_filter, sign_in
from tests.support.feed_server import FeedServer
from tests.support.origin import OriginServer, StaticRoute
from tests.support.stack import StackProcess, running_stack
from tests.support.stack_fixtures import STACK_ARGS
from watcharr.web.assets import assets, total_bytes

REPO = Path(__file__).resolve().parents[2]
FEED = REPO / ".." / "shared" / "data" / "feeds" / "apple-sample-all-about-everything.xml"
VIDEOS = [
    ("shot-1", "How rivers carve canyons", (31, 78, 140)),
    ("shot-2", "Bread at home: the long ferment", (140, 78, 31)),
    ("shot-3", "A quiet walk through Kyoto", (28, 107, 58)),
    ("shot-4", "Fixing a bicycle wheel in 10 minutes", (122, 46, 140)),
]


# Tags of the videos above, by title: a few tags, some with a colour, as a list in use has them.
TAGS = {"later": "#1f4e8c", "cooking": "#a15c00", "travel": None}
TAGGED = {
    "How rivers carve canyons": ["later"],
    "Bread at home: the long ferment": ["cooking", "later"],
    "A quiet walk through Kyoto": ["travel"],
    "Fixing a bicycle wheel in 10 minutes": ["later"],
}


def tag_episodes(stack: StackProcess) -> None:
    """Create the tags and put them on their videos, each change applied before the next."""
    ids = {}
    for name, color in TAGS.items():
        status, answer = stack.request("POST", "/api/tags?wait=10", {"name": name, "color": color})
        assert status == 200, answer
        ids[name] = answer["tag"]["id"]
    _, listing = stack.request("GET", "/api/episodes?limit=50")
    for episode in listing["episodes"]:
        names = TAGGED.get(episode["title"], [])
        if names:
            body = {"tagIds": [ids[name] for name in names]}
            status, answer = stack.request("PATCH", f"/api/episodes/{episode['id']}?wait=10", body)
            assert status == 200, answer


def gzipped_bytes() -> int:
    """What the whole page weighs gzipped (every file once), as a compressing proxy would send it."""
    return sum(len(gzip.compress(asset.body.encode("utf-8"), 9)) for asset in assets().values())


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
        tag_episodes(stack)
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
                list_filter(page, "Type").select_option("video")
                expect(page.locator("#episodes .episode")).to_have_count(len(VIDEOS))
                expect(page.locator("#episodes .tag").first).to_be_visible()
                # The progress bar is the tests' subject; the pictures show the list with its tags.
                page.get_by_role("button", name="Close this job").click()
                if viewport is PHONE:
                    page.evaluate("document.getElementById('list-message').scrollIntoView()")
                page.evaluate("document.activeElement.blur()")
                page.screenshot(path=str(REPO / "docs" / name))
                context.close()
            context, watched = watch(browser, DESKTOP)
            watched.page.goto(stack.url + "/")
            watched.page.wait_for_load_state("load")
            paint = watched.page.evaluate(
                "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
            )
            # Signed in (the token in localStorage), a visit ends when the first page of the list is drawn.
            sign_in(watched.page, stack)
            watched.page.reload()
            expect(watched.page.locator("#episodes .episode").first).to_be_visible()
            expect(watched.page.locator("#episodes")).to_have_attribute("aria-busy", "false")
            listed = watched.page.evaluate("() => performance.now()")
            context.close()
    print(f"page weight: {total_bytes()} bytes (every file once, uncompressed), {gzipped_bytes()} gzipped")
    print(f"first contentful paint: {paint:.0f} ms (local stack, headless Chromium)")
    print(f"signed in, the list drawn: {listed:.0f} ms after the visit began")


if __name__ == "__main__":
    main()
