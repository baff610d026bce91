"""The Channels tab in headless Chromium against the local stack: follow a YouTube channel or playlist by
its link, see it listed with its title and first sync, a refused link's reason, unfollow it; by keyboard
and at phone width.

YouTube is ``FakeYouTubeChannels`` on 127.0.0.1, started in this process. The stack's processes reach it
through the environment they inherit: WATCHARR_YOUTUBE_SITE_URL (channel pages and feeds are read
there, while subscriptions keep www.youtube.com's URLs) and the Data API settings with a key. The first
sync stores the uploads from the feed alone (partial, as on AWS; yt-dlp is not involved), so the
episodes reach the list without YouTube's video pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.browser.browser import PHONE, Watched, watch
from tests.browser.conftest import list_filter, sign_in
from tests.support.stack import StackProcess, running_stack
from tests.support.stack_fixtures import STACK_ARGS
from tests.support.youtube_channel_fakes import FakeChannel, FakePlaylist, FakeUpload, FakeYouTubeChannels
from tests.support.youtube_fakes import youtube_settings_env

pytestmark = pytest.mark.e2e

CHANNEL_ID = "UCOpenMovies_0123456789a"
HANDLE = "@OpenMoviesHQ"
# Text that looks like HTML: the page must show it as text.
CHANNEL_TITLE = "Open Movies <img src=x onerror=alert(1)>"
PLAYLIST_ID = "PLOpenMovies0123456789abcdefghij"
PLAYLIST_TITLE = "Every open movie ever made, in the order they were released, with the long name it has"
SHORT, BUNNY, SINTEL = "Shrt_000001", "Bunny000001", "Sintel00001"
# A second channel, followed for its new uploads only
FRESH_ID, FRESH_HANDLE, FRESH_TITLE = "UCFreshUploads_012345678", "@FreshUploads", "Fresh Uploads"
OLD, CHARGE = "OldUpload01", "Charge00001"
# The feed's thumbnails are on YouTube's image host, which this machine (no internet) cannot reach.
OFFLINE_THUMBNAILS = r"^https://i\d?\.ytimg\.com/"
REFUSED = r"/api/channels$"


@pytest.fixture(scope="module")
def youtube() -> Iterator[FakeYouTubeChannels]:
    """YouTube's channel side: one channel with a Short and two videos, and a playlist of the Short and one."""
    with FakeYouTubeChannels() as fake:
        channel = fake.add_channel(
            FakeChannel(
                CHANNEL_ID,
                CHANNEL_TITLE,
                HANDLE,
                uploads=[
                    FakeUpload(
                        SHORT, "A quick tip #shorts", published="2024-03-16T09:30:00+00:00", is_short=True
                    ),
                    FakeUpload(BUNNY, "Big Buck Bunny", published="2024-03-15T10:00:00+00:00"),
                    FakeUpload(SINTEL, "Sintel", published="2024-03-01T08:00:00+00:00"),
                ],
            )
        )
        fake.add_playlist(FakePlaylist(PLAYLIST_ID, PLAYLIST_TITLE, channel, [SHORT, SINTEL]))
        old = FakeUpload(OLD, "From before", published="2024-02-01T08:00:00+00:00")
        fake.add_channel(FakeChannel(FRESH_ID, FRESH_TITLE, FRESH_HANDLE, uploads=[old]))
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, youtube: FakeYouTubeChannels) -> Iterator[StackProcess]:
    """This module's own local stack, its functions pointed at the fake YouTube."""
    env = {**youtube_settings_env(youtube, with_key=True), "WATCHARR_YOUTUBE_SITE_URL": youtube.base_url}
    data_dir = tmp_path_factory.mktemp("channels-stack") / "data"
    with running_stack(data_dir, args=STACK_ARGS, env=env) as running:
        yield running


def open_channels(page: Page, stack: StackProcess) -> None:
    sign_in(page, stack)
    page.get_by_role("button", name="Channels").click()
    expect(page.locator("#channels-view")).to_be_visible()


def is_follow(response: Response) -> bool:
    return urlsplit(response.url).path == "/api/channels" and response.request.method == "POST"


def followed(stack: StackProcess) -> dict[str, dict[str, Any]]:
    status, answer = stack.request("GET", "/api/channels")
    assert status == 200, answer
    return {c["id"]: c for c in answer["channels"]}


def test_following_a_channel_lists_it_with_its_first_sync_and_unfollowing_removes_it(
    watched: Watched, stack: StackProcess, youtube: FakeYouTubeChannels
) -> None:
    page = watched.page
    open_channels(page, stack)
    expect(page.locator("#channel-message")).to_have_text("No channels followed yet.")
    expect(page.locator("#channels .channel")).to_have_count(0)

    # Follow the channel by its link on www.youtube.com: the newest 5, without Shorts, tagged
    page.get_by_label("YouTube channel or playlist link").fill(f"https://www.youtube.com/{HANDLE}")
    page.get_by_label("Uploads to add now").select_option("5")
    page.get_by_label("Tag for the channel's episodes").fill("open-movies")
    page.get_by_label("Include Shorts").uncheck()
    with page.expect_response(is_follow) as answered:
        page.get_by_role("button", name="Follow", exact=True).click()

    assert answered.value.status == 202
    follow = answered.value.json()
    assert follow["feedUrl"] == f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL_ID}"
    assert follow["channelId"] == CHANNEL_ID
    expect(page.get_by_label("YouTube channel or playlist link")).to_have_value("")
    # The page follows the first sync to its end and says what it brought
    expect(page.locator("#channel-message")).to_have_text(
        f"Following “{CHANNEL_TITLE}”: 2 episodes.", timeout=60_000
    )
    mine = followed(stack)[follow["subscriptionId"]]
    assert (mine["title"], mine["lastStatus"], mine["lastError"], mine["episodeCount"]) == (
        CHANNEL_TITLE, "updated", None, 2,
    )  # fmt: skip
    assert (mine["kind"], mine["tag"], mine["includeShorts"]) == ("youtube_channel", "open-movies", False)
    # The stack's functions read the channel page and the feed from the fake, not from www.youtube.com
    assert (f"/{HANDLE}", 200, None) in youtube.requests
    assert [status for path, status, _ in youtube.feed_requests() if CHANNEL_ID in path] == [200]
    card = page.locator(f'#channels .channel[data-id="{follow["subscriptionId"]}"]')
    expect(card.locator(".title")).to_have_text(CHANNEL_TITLE)
    expect(card.locator("a.title")).to_have_attribute("href", f"https://www.youtube.com/channel/{CHANNEL_ID}")
    expect(card.locator(".badge")).to_have_text("updated")
    expect(card.locator(".meta")).to_contain_text("2 episodes")
    expect(card.locator(".meta")).to_contain_text("last sync")
    expect(card.locator(".meta")).to_contain_text("no Shorts")
    expect(card.locator(".tag")).to_have_text("open-movies")
    expect(card.locator(".error")).to_have_count(0)
    assert page.locator("img[src='x']").count() == 0

    # Its uploads (not the Short) are on the list with the tag
    page.get_by_role("button", name="List").click()
    list_filter(page, "Tag").fill("open-movies")
    expect(page.locator("#episodes")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#episodes .episode")).to_have_count(2)
    assert sorted(page.locator("#episodes .title").all_inner_texts()) == ["Big Buck Bunny", "Sintel"]

    # Unfollow: the card goes once the API no longer lists it; the episodes stay
    page.get_by_role("button", name="Channels").click()
    card.get_by_role("button", name="Unfollow").click()

    expect(card).to_have_count(0, timeout=30_000)
    expect(page.locator("#toast")).to_have_text(
        f"Unfollowed “{CHANNEL_TITLE}”; its episodes stay on the list."
    )
    assert follow["subscriptionId"] not in followed(stack)
    _, listing = stack.request("GET", "/api/episodes?tag=open-movies&limit=50")
    assert sorted(e["title"] for e in listing["episodes"]) == ["Big Buck Bunny", "Sintel"]
    assert watched.dialogs == []
    assert watched.unexpected_errors(OFFLINE_THUMBNAILS) == []


@pytest.mark.parametrize(
    ("link", "because"),
    [
        (f"https://www.youtube.com/watch?v={BUNNY}", "is a video, not a channel"),
        ("https://example.com/feed.xml", "is not a YouTube link"),
    ],
)
def test_a_link_that_is_not_a_channel_shows_the_reason(
    watched: Watched, stack: StackProcess, link: str, because: str
) -> None:
    page = watched.page
    open_channels(page, stack)
    before = followed(stack)
    field = page.get_by_label("YouTube channel or playlist link")
    field.fill(link)
    with page.expect_response(is_follow) as answered:
        page.get_by_role("button", name="Follow", exact=True).click()

    assert answered.value.status == 422
    reason = answered.value.json()["error"]
    assert because in reason
    # The API's own sentence, as text; the link stays in the box to be corrected
    expect(page.locator("#channel-message")).to_have_text(reason)
    expect(field).to_have_value(link)
    expect(page.locator("#channels .channel")).to_have_count(len(before))
    assert followed(stack) == before
    assert watched.unexpected_errors(REFUSED, OFFLINE_THUMBNAILS) == []


def test_a_handle_youtube_does_not_know_is_followed_and_its_first_sync_says_why(
    watched: Watched, stack: StackProcess
) -> None:
    # With a Data API key configured, the API leaves a handle its page lookup did not find to the
    # extractor (which holds the key); the first sync then fails with the reason
    page = watched.page
    open_channels(page, stack)
    page.get_by_label("YouTube channel or playlist link").fill("@NoSuchChannel0")
    with page.expect_response(is_follow) as answered:
        page.get_by_role("button", name="Follow", exact=True).click()
    assert answered.value.status == 202
    follow = answered.value.json()

    expect(page.locator("#channel-message")).to_have_text(
        "Synced with an error: YouTube has no channel @NoSuchChannel0", timeout=60_000
    )
    mine = followed(stack)[follow["subscriptionId"]]
    assert (mine["title"], mine["lastStatus"], mine["episodeCount"]) == (None, "failed", 0)
    card = page.locator(f'#channels .channel[data-id="{follow["subscriptionId"]}"]')
    expect(card.locator(".title")).to_have_text(mine["feedUrl"])
    expect(card.locator(".badge")).to_have_text("failed")
    expect(card.locator(".error")).to_have_text(mine["lastError"])

    card.get_by_role("button", name="Unfollow").click()
    expect(card).to_have_count(0, timeout=30_000)
    assert follow["subscriptionId"] not in followed(stack)
    assert watched.unexpected_errors(OFFLINE_THUMBNAILS) == []


def test_a_playlist_is_followed_and_unfollowed_by_keyboard_at_phone_width(
    browser: Browser, stack: StackProcess
) -> None:
    context, watched = watch(browser, PHONE)
    try:
        page = watched.page
        sign_in(page, stack)
        # The tab is the next stop after Podcasts, and Enter opens it
        page.get_by_role("button", name="Podcasts").focus()
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Channels")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#channels-view")).to_be_visible()
        expect(page.get_by_role("button", name="Channels")).to_have_attribute("aria-current", "page")
        # Past "Sign out", the link box; Enter there follows
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.get_by_label("YouTube channel or playlist link")).to_be_focused()
        page.keyboard.type(f"https://www.youtube.com/playlist?list={PLAYLIST_ID}")
        page.keyboard.press("Enter")

        card = page.locator("#channels .channel").filter(has_text=PLAYLIST_TITLE)
        expect(card.locator(".badge")).to_have_text("updated", timeout=60_000)
        (mine,) = [c for c in followed(stack).values() if c["kind"] == "youtube_playlist"]
        # Its newest upload, the Short (Shorts are included unless unticked)
        assert (mine["title"], mine["lastStatus"], mine["lastError"], mine["episodeCount"]) == (
            PLAYLIST_TITLE, "updated", None, 1,
        )  # fmt: skip
        expect(card.locator(".meta")).to_contain_text("playlist")
        expect(card.locator(".meta")).to_contain_text("1 episode")
        expect(card.locator("a.title")).to_have_attribute(
            "href", f"https://www.youtube.com/playlist?list={PLAYLIST_ID}"
        )
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"content {widths[0]} px wide in a {widths[1]} px window"

        # Tab on to the card's Unfollow button; Enter there unfollows
        unfollow = card.get_by_role("button", name="Unfollow")
        for _ in range(12):
            page.keyboard.press("Tab")
            if unfollow.evaluate("button => button === document.activeElement"):
                break
        expect(unfollow).to_be_focused()
        page.keyboard.press("Enter")

        expect(card).to_have_count(0, timeout=30_000)
        assert mine["id"] not in followed(stack)
        assert watched.unexpected_errors(OFFLINE_THUMBNAILS) == []
    finally:
        context.close()


def test_sync_now_brings_a_followed_channel_s_new_upload(
    watched: Watched, stack: StackProcess, youtube: FakeYouTubeChannels
) -> None:
    page = watched.page
    open_channels(page, stack)
    # Followed for its new uploads only: the first sync adds none of what is already there
    page.get_by_label("YouTube channel or playlist link").fill(FRESH_HANDLE)
    page.get_by_label("Uploads to add now").select_option("0")
    with page.expect_response(is_follow) as answered:
        page.get_by_role("button", name="Follow", exact=True).click()
    follow = answered.value.json()
    expect(page.locator("#channel-message")).to_have_text(
        f"Following “{FRESH_TITLE}”: 0 episodes.", timeout=60_000
    )
    card = page.locator(f'#channels .channel[data-id="{follow["subscriptionId"]}"]')
    expect(card.locator(".meta")).to_contain_text("0 episodes")

    # The channel publishes; "Sync now" (the local stack's) runs the scheduled sync at once
    youtube.publish(FRESH_ID, FakeUpload(CHARGE, "Charge", published="2024-03-20T12:00:00+00:00"))
    page.get_by_role("button", name="Sync now").click()

    expect(page.locator("#toast")).to_contain_text("Sync started: ")
    expect(card.locator(".meta")).to_contain_text("1 episode", timeout=60_000)
    assert followed(stack)[follow["subscriptionId"]]["episodeCount"] == 1
    _, listing = stack.request("GET", "/api/episodes?search=Charge&limit=50")
    assert [e["url"] for e in listing["episodes"]] == [f"https://www.youtube.com/watch?v={CHARGE}"]
    _, before = stack.request("GET", "/api/episodes?search=From%20before&limit=50")
    assert before["episodes"] == []
    stack.request("DELETE", f"/api/channels/{follow['subscriptionId']}")
    assert watched.unexpected_errors(OFFLINE_THUMBNAILS) == []
