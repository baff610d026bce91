"""The web page in headless Chromium against the local stack: sign-in, adding links with live progress,
podcasts, text that looks like HTML, phone width, headers, weight and first paint.

Every request goes from the browser through the local gateway to the ApiFunction, the queues, the
extractors (yt-dlp against the local origin site, feedparser against the local feed host) and the one
persister, as on AWS.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.browser import PHONE, Watched, thumbnail_png, watch
from tests.browser.conftest import list_filter, sign_in
from tests.support.feed_server import FeedServer
from tests.support.origin import OriginServer, StaticRoute
from tests.support.stack import StackProcess
from watcharr.web.assets import total_bytes

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"
FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feeds"
JOB_NOT_YET_VISIBLE = r"/api/jobs/"
# The sample feed's artwork is on example.com, which this machine (no internet) cannot reach.
OFFLINE_ARTWORK = r"^https?://example\.com/"
# The page's whole weight, every file once and uncompressed; it is read on every first visit.
MAX_PAGE_BYTES = 64 * 1024
MAX_FIRST_PAINT_MS = 3000


def video(origin: OriginServer, video_id: str, title: str) -> str:
    """A video page on the origin site, with a thumbnail the page can show."""
    origin.add(f"/thumbs/{video_id}.jpg", StaticRoute(thumbnail_png((31, 78, 140)), "image/png"))
    return origin.url(f"/video/{video_id}?title={quote(title)}&author=Origin%20Channel&duration=754")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A plain GET without a token: status, headers (lowercased names) and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_page_and_its_files_need_no_token_and_carry_security_and_cache_headers(
    stack: StackProcess,
) -> None:
    for path, kind in [("/", "text/html"), ("/app/main.js", "text/javascript"), ("/app/app.css", "text/css")]:
        status, headers, body = fetch(stack.url + path)
        assert body

        assert status == 200, path
        assert headers["content-type"].startswith(kind)
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"]
        # The browser's copy is current: a 304 without a body
        again, again_headers, again_body = fetch(stack.url + path, {"If-None-Match": headers["etag"]})
        assert (again, again_body) == (304, b"")
        assert again_headers["etag"] == headers["etag"]
    page_html = fetch(stack.url + "/")[2].decode()
    assert "<script>" not in page_html and " on" + "click=" not in page_html
    # Everything else still needs the token
    assert fetch(stack.url + "/api/episodes")[0] == 401
    assert fetch(stack.url + "/app/no-such.js")[0] == 404


def test_a_wrong_token_gets_a_clear_message_and_sign_out_forgets_the_right_one(
    watched: Watched, stack: StackProcess
) -> None:
    page = watched.page
    sign_in(page, stack, token="0" * 64)
    expect(page.locator("#sign-in-message")).to_contain_text("not accepted")
    expect(page.locator("#list-view")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('watcharr.token')") is None

    sign_in(page, stack)
    assert page.evaluate("localStorage.getItem('watcharr.token')") == stack.token
    page.reload()
    expect(page.locator("#list-view")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("localStorage.getItem('watcharr.token')") is None
    assert watched.unexpected_errors(r"/api/episodes") == []


def test_ten_links_two_bad_show_live_progress_to_8_added_and_2_failed_with_reasons(
    watched: Watched, stack: StackProcess, origin: OriginServer
) -> None:
    good = [video(origin, f"web-batch-{n}", f"Batch video number {n}") for n in range(7)]
    good.append(video(origin, "web-xss", XSS))
    bad = [origin.url("/status/404"), origin.url("/status/410")]
    pasted = (
        "Watch these later:\n"
        + "\n".join(good[:4])
        + f" and also {bad[0]}, "
        + " ".join(good[4:])
        + f"\n{bad[1]}"
    )
    page = watched.page
    sign_in(page, stack)

    page.get_by_label("Add links").fill(pasted)
    page.get_by_role("button", name="Add", exact=True).click()

    job = page.locator(".job").first
    expect(job).to_have_attribute("data-status", "done", timeout=90_000)
    progress = job.locator("progress")
    assert progress.evaluate("bar => [bar.value, bar.max]") == [10, 10]
    expect(job.locator(".counts")).to_contain_text("10 of 10 done")
    expect(job.locator(".counts")).to_contain_text("8 added")
    expect(job.locator(".counts")).to_contain_text("2 failed")
    failed = job.locator(".item-failed")
    expect(failed).to_have_count(2)
    for reason in failed.locator(".item-reason").all_text_contents():
        assert reason.strip()
    # The new episodes are on the list without a reload, the XSS title among them as plain text
    for n in range(7):
        expect(page.locator("#episodes .title", has_text=f"Batch video number {n}")).to_have_count(1)
    expect(page.locator("#episodes .title").filter(has_text=XSS)).to_have_text(XSS)
    assert page.locator("#episodes img[src='x']").count() == 0
    assert watched.dialogs == []
    expect(page.locator("#episodes .badge-video").first).to_have_text("video")
    assert watched.unexpected_errors(JOB_NOT_YET_VISIBLE) == []


def test_subscribing_to_a_feed_shows_its_episodes_and_html_in_titles_as_text(
    watched: Watched, stack: StackProcess, feeds: FeedServer
) -> None:
    sample = (FEEDS / "apple-sample-all-about-everything.xml").read_text(encoding="utf-8")
    escaped = XSS.replace("<", "&lt;").replace(">", "&gt;")
    hostile = sample.replace("<title>All About Everything</title>", f"<title>{escaped}</title>", 1).replace(
        "<title>Shake Shake Shake Your Spices</title>", f"<title>{escaped}</title>", 1
    )
    url = feeds.put_feed("/web-everything.xml", hostile.encode())
    page = watched.page
    sign_in(page, stack)
    page.get_by_role("button", name="Podcasts").click()

    page.get_by_label("Feed URL or Apple Podcasts link").fill(url)
    page.get_by_label("Episodes to add now").select_option("all")
    page.get_by_role("button", name="Subscribe").click()

    row = page.locator(".podcast", has_text="episode")
    expect(row.locator(".meta")).to_contain_text("last sync", timeout=60_000)
    _, podcasts = stack.request("GET", "/api/podcasts")
    (mine,) = [p for p in podcasts["podcasts"] if p["feedUrl"] == url]
    assert "<img" in mine["title"]
    expect(row.locator(".title")).to_have_text(mine["title"])
    # A sync that went well is not shown in the colour of a failure
    assert mine["lastStatus"] == "updated"
    expect(row.locator(".badge")).to_have_text("updated")
    expect(row.locator(".badge")).to_have_class(re.compile(r"\bsync-ok\b"))
    # Its episodes are on the list, as text
    page.get_by_role("button", name="List").click()
    list_filter(page, "Type").select_option("podcast")
    expect(page.locator("#episodes .badge-podcast").first).to_be_visible(timeout=30_000)
    _, listing = stack.request("GET", "/api/episodes?type=podcast&limit=50")
    titles = [e["title"] for e in listing["episodes"]]
    assert any("<img" in title for title in titles) and "Socket Wrench Shootout" in titles
    for title in titles:
        expect(page.locator("#episodes .title").filter(has_text=title).first).to_have_text(title)
    assert page.locator("img[src='x']").count() == 0
    assert watched.dialogs == []
    # Adding the episodes now is a job: the page reads its 404 until the one writer has stored it.
    assert watched.unexpected_errors(OFFLINE_ARTWORK, JOB_NOT_YET_VISIBLE) == []


def test_phone_width_has_no_horizontal_scroll(
    browser: Browser, stack: StackProcess, origin: OriginServer
) -> None:
    stack.request(
        "POST", "/api/shortcuts/add-episode?wait=20", {"url": video(origin, "web-phone", "A" * 120)}
    )
    context, watched = watch(browser, PHONE)
    try:
        sign_in(watched.page, stack)
        expect(watched.page.locator("#episodes .episode").first).to_be_visible()
        for tab in ("Podcasts", "Channels", "List"):
            widths = watched.page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], f"{tab}: content {widths[0]} px wide in a {widths[1]} px window"
            watched.page.get_by_role("button", name=tab).click()
        assert watched.unexpected_errors(OFFLINE_ARTWORK) == []
    finally:
        context.close()


def test_the_keyboard_reaches_sign_in_and_the_add_box(watched: Watched, stack: StackProcess) -> None:
    page = watched.page
    page.goto(stack.url + "/")
    # The token field has the focus on arrival, so signing in is paste and Enter
    expect(page.locator("#token")).to_be_focused()
    page.keyboard.type(stack.token)
    page.keyboard.press("Enter")
    expect(page.locator("#list-view")).to_be_visible()
    page.get_by_label("Add links").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Add"


def test_the_page_is_small_and_paints_quickly(watched: Watched, stack: StackProcess) -> None:
    page = watched.page
    page.goto(stack.url + "/")
    page.wait_for_load_state("load")
    paint = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime ?? null"
    )
    weight = total_bytes()
    print(f"page weight {weight} bytes, first contentful paint {paint:.0f} ms")

    assert weight <= MAX_PAGE_BYTES
    assert paint is not None and 0 < paint <= MAX_FIRST_PAINT_MS
