"""Feed parsing with real feedparser on the 11 real feeds in shared/data/feeds and on crafted ones."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from watcharr.domain.feed_values import parse_duration
from watcharr.domain.feeds import (
    DESCRIPTION_MAX_CHARS,
    UNTITLED,
    FeedParseError,
    ParsedFeed,
    feed_id_hash,
    feed_item_key_hash,
    parse_feed,
    select_new_episodes,
)

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feeds"
FEED_URL = "https://feeds.example.com/show.xml"
MP3 = "https://cdn.example.com/episode.mp3"
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

# Item counts from SOURCES.md.
ITEM_COUNTS = {
    "apple-sample-all-about-everything.xml": 3,
    "atom-podlove-chapters-sample.xml": 1,
    "giantbomb-bombcast-730-items.xml": 730,
    "libsyn-all-things-chemical-broken.xml": 4,
    "libsyn-frank-and-erik.xml": 6,
    "podcasting20-namespace-example.xml": 3,
    "rtve-spanish-non-ascii.xml": 6,
    "se-radio-missing-guids.xml": 249,
    "simplecast-design-details-html.xml": 102,
    "simplecast-serial-bonus-episodes.xml": 40,
    "taverncast-odd-dates-leading-blankline.xml": 131,
}


@cache
def parsed(name: str) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), FEED_URL)


def by_title(feed: ParsedFeed, title: str) -> list:
    return [episode for episode in feed.episodes if episode.media.title == title]


def rss(items: str, *, channel: str = "<title>Crafted</title>", prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode()


def item(title: str, *, guid: str = "", url: str = "", date: str = "", extra: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if guid:
        parts.append(f"<guid>{guid}</guid>")
    if url:
        parts.append(f'<enclosure url="{url}" type="audio/mpeg" length="1"/>')
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + extra + "</item>"


# ---- the real feeds --------------------------------------------------------------------------


def test_every_fixture_is_listed() -> None:
    assert sorted(path.name for path in FEEDS.glob("*.xml")) == sorted(ITEM_COUNTS)


@pytest.mark.parametrize(("name", "count"), ITEM_COUNTS.items(), ids=list(ITEM_COUNTS))
def test_every_real_feed_yields_all_its_episodes_with_unique_stable_keys(name: str, count: int) -> None:
    feed = parsed(name)

    assert len(feed.episodes) == count
    assert len({e.key for e in feed.episodes}) == count
    assert len({e.key_hash for e in feed.episodes}) == count
    assert len({e.media.media_key for e in feed.episodes}) == count
    for episode in feed.episodes:
        media = episode.media
        assert media.type == "podcast"
        assert media.media_key == f"podcast:{feed_id_hash(FEED_URL)}:{episode.key_hash}"
        assert episode.key_hash == feed_item_key_hash(episode.key)
        assert re.fullmatch(r"[0-9a-f]{16}", episode.key_hash)
        assert media.url.startswith(("http://", "https://"))
        assert media.title and media.title != UNTITLED
        assert media.channel is not None and media.channel.id == f"podcast:{feed_id_hash(FEED_URL)}"
        assert media.published_date is not None and re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", media.published_date
        )
    # Newest first.
    stamps = [e.published_ts for e in feed.episodes]
    assert stamps == sorted(stamps, reverse=True)
    # A second parse gives the very same keys: media keys are stable across syncs.
    again = parse_feed((FEEDS / name).read_bytes(), FEED_URL)
    assert [e.media.media_key for e in again.episodes] == [e.media.media_key for e in feed.episodes]


def test_the_podcasting20_live_item_is_not_an_episode() -> None:
    feed = parsed("podcasting20-namespace-example.xml")
    assert [e.media.title for e in feed.episodes] == [
        "Episode 3 - The Future",
        "Episode 2 - The Present",
        "Episode 1 - The Past",
    ]
    assert not by_title(feed, "Podcasting 2.0 Live Show")


def test_se_radio_items_without_guid_are_keyed_by_their_enclosure() -> None:
    feed = parsed("se-radio-missing-guids.xml")
    keyed_by_enclosure = [e for e in feed.episodes if e.key == e.media.url]
    assert len(keyed_by_enclosure) == 166
    assert len({e.key for e in feed.episodes}) == 249


def test_durations_in_every_shape_the_feeds_use() -> None:
    apple = parsed("apple-sample-all-about-everything.xml")
    assert [e.media.duration for e in by_title(apple, "Shake Shake Shake Your Spices")] == [424]
    assert [e.media.duration for e in by_title(parsed("libsyn-frank-and-erik.xml"), "Episode 29")] == [3252]
    giantbomb = parsed("giantbomb-bombcast-730-items.xml")
    assert giantbomb.episodes[0].media.title == "Giant Bombcast 603: Call of Tuesday"
    assert giantbomb.episodes[0].media.duration == 10475
    # 34 items say "0", a placeholder rather than a length.
    assert sum(e.media.duration is None for e in giantbomb.episodes) == 34
    # The Podcasting 2.0 example has no itunes:duration at all.
    assert all(e.media.duration is None for e in parsed("podcasting20-namespace-example.xml").episodes)


def test_taverncast_odd_dates_all_land_on_the_day_written_in_the_feed() -> None:
    # Every time in this feed is at or before noon EST/GMT, so the UTC day is the day written.
    text = (FEEDS / "taverncast-odd-dates-leading-blankline.xml").read_text(encoding="utf-8").lstrip()
    months = {name: i for i, name in enumerate(MONTHS, 1)}
    expected: Counter[tuple[str, str]] = Counter()
    for node in ET.fromstring(text).iter("item"):
        day, month, year = re.search(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", node.findtext("pubDate", "")).groups()
        title = " ".join((node.findtext("title") or "").split())
        expected[(title, f"{year}-{months[month[:3].lower()]:02d}-{int(day):02d}")] += 1

    feed = parsed("taverncast-odd-dates-leading-blankline.xml")
    got = Counter((e.media.title, (e.media.published_date or "")[:10]) for e in feed.episodes)

    assert sum(expected.values()) == 131
    assert got == expected


@pytest.mark.parametrize(
    ("title", "published"),
    [
        ("Taverncast 62 - Temporal Anomaly", "2015-11-07T17:00:00Z"),  # 07 Nov 2015 12:00:00 EST
        ("Taverncast 54: 2011 Christmas Special", "2011-12-23T15:00:00Z"),  # Fri, 23 December 2011 10:00 EST
    ],
)
def test_taverncast_dates_without_weekday_or_with_full_month_names(title: str, published: str) -> None:
    episodes = by_title(parsed("taverncast-odd-dates-leading-blankline.xml"), title)
    assert [e.media.published_date for e in episodes] == [published]


def test_named_pacific_zones_are_applied() -> None:
    feed = parsed("se-radio-missing-guids.xml")
    # "Thu, 28 Jan 2016 10:06:52 PST" and "Thu, 22 Oct 2015 10:34:34 PDT".
    assert feed.episodes[0].media.published_date == "2016-01-28T18:06:52Z"
    dates = {e.media.published_date for e in feed.episodes}
    assert "2015-10-22T17:34:34Z" in dates


def test_spanish_accents_are_kept() -> None:
    feed = parsed("rtve-spanish-non-ascii.xml")
    assert feed.title == "Tiempo de valientes. El diario de Julián Martínez"
    titles = [e.media.title for e in feed.episodes]
    assert "El Ministerio del Tiempo - Tiempo de valientes: capítulo 6" in titles
    descriptions = " ".join(e.media.description or "" for e in feed.episodes)
    # Written as &aacute; (in HTML show notes) and as plain UTF-8 in the feed.
    assert "Soy Julián Martínez" in descriptions
    assert "&aacute;" not in descriptions
    channel = feed.episodes[0].media.channel
    assert channel is not None and channel.description is not None
    assert "¿Qué sucedió con él? ¿Volverá?" in channel.description


def test_curly_quotes_and_dashes_survive() -> None:
    feed = parsed("simplecast-serial-bonus-episodes.xml")
    text = " ".join((e.media.description or "") + e.media.title for e in feed.episodes)
    assert any(char in text for char in "’“”—…")


def test_simplecast_show_notes_become_plain_text_paragraphs() -> None:
    feed = parsed("simplecast-design-details-html.xml")
    for episode in feed.episodes:
        description = episode.media.description or ""
        assert description
        assert not re.search(r"</?[a-zA-Z][^>]*>", description), description[:200]
        assert "&amp;" not in description and "&nbsp;" not in description
        assert len(description) <= DESCRIPTION_MAX_CHARS
    first = feed.episodes[0].media.description or ""
    assert first.startswith("Episode 100! We made it")
    # Paragraphs stay apart, on their own lines.
    assert "\n" in first


def test_a_broken_feed_yields_what_it_can_with_a_warning() -> None:
    feed = parsed("libsyn-all-things-chemical-broken.xml")
    assert len(feed.episodes) == 4
    assert feed.title is None
    assert any("not well-formed" in warning for warning in feed.warnings)
    assert feed.episodes[0].media.title == "Confidential Business Information under TSCA"


def test_channel_and_thumbnails() -> None:
    apple = parsed("apple-sample-all-about-everything.xml")
    assert apple.title == "All About Everything"
    assert apple.artwork_url == "http://example.com/podcasts/everything/AllAboutEverything.jpg"
    channel = apple.episodes[0].media.channel
    assert channel is not None
    assert channel.name == "All About Everything"
    assert channel.url == "http://www.example.com/podcasts/everything/index.html"
    assert channel.thumbnail_url == apple.artwork_url
    # An item's own itunes:image wins; an item without one shows the show's artwork.
    assert apple.episodes[0].media.thumbnail_url == (
        "http://example.com/podcasts/everything/AllAboutEverything/Episode1.jpg"
    )
    rtve = parsed("rtve-spanish-non-ascii.xml")
    assert {e.media.thumbnail_url for e in rtve.episodes} == {rtve.artwork_url}


# ---- keys, order and selection on crafted feeds ------------------------------------------------


def test_key_falls_back_from_guid_to_enclosure_to_link_to_title_and_date() -> None:
    body = rss(
        item("With guid", guid="guid-1", url="https://cdn.example.com/1.mp3")
        + item("Enclosure only", url="https://cdn.example.com/2.mp3")
        + "<item><title>Link only</title><link>https://example.com/ep3</link></item>"
        + "<item><title>Nothing but a title</title><link>https://example.com/ep4</link></item>"
    )
    keys = {e.media.title: e.key for e in parse_feed(body, FEED_URL).episodes}
    assert keys == {
        "With guid": "guid-1",
        "Enclosure only": "https://cdn.example.com/2.mp3",
        "Link only": "https://example.com/ep3",
        "Nothing but a title": "https://example.com/ep4",
    }


def test_media_key_ignores_case_of_scheme_and_host_and_the_fragment() -> None:
    body = rss(item("One", guid="g1", url="https://cdn.example.com/1.mp3"))
    plain = parse_feed(body, "https://feeds.example.com/Show.xml").episodes[0].media.media_key
    assert parse_feed(body, "HTTPS://FEEDS.Example.com/Show.xml#top").episodes[0].media.media_key == plain
    # The path is case-sensitive on most servers, so it is another feed.
    assert parse_feed(body, "https://feeds.example.com/show.xml").episodes[0].media.media_key != plain


def test_items_sharing_a_guid_stay_apart_and_the_older_keeps_the_plain_key() -> None:
    body = rss(
        item("Newer cut", guid="same", url=MP3, date="Tue, 02 Aug 2011 01:30:00 GMT")
        + item("Older cut", guid="same", url=MP3, date="Tue, 02 Aug 2011 01:30:00 GMT")
        + item("Older cut", guid="same", url=MP3, date="Tue, 02 Aug 2011 01:30:00 GMT")
    )
    feed = parse_feed(body, FEED_URL)
    keys = {e.media.title: e.key for e in feed.episodes}
    assert len(feed.episodes) == 2
    assert keys["Older cut"] == "same"
    assert keys["Newer cut"].startswith("same#")
    assert any("repeat another item's guid" in w for w in feed.warnings)
    assert any("exact repeats" in w for w in feed.warnings)


def test_undated_items_come_last_in_feed_order() -> None:
    body = rss(
        item("Undated A", guid="a", url="https://x.example/a.mp3")
        + item("Old", guid="b", url="https://x.example/b.mp3", date="Mon, 01 Jan 2018 10:00:00 GMT")
        + item("Undated B", guid="c", url="https://x.example/c.mp3", date="not a date")
        + item("New", guid="d", url="https://x.example/d.mp3", date="Tue, 01 Jan 2019 10:00:00 GMT")
    )
    feed = parse_feed(body, FEED_URL)
    assert [e.media.title for e in feed.episodes] == ["New", "Old", "Undated A", "Undated B"]
    assert feed.episodes[2].media.published_date is None
    assert feed.episodes[2].published_ts is None


@pytest.fixture(scope="module")
def five() -> ParsedFeed:
    items = "".join(
        item(f"Episode {n}", guid=f"ep-{n}", url=MP3, date=f"0{n} Mar 2020 10:00:00 GMT") for n in range(1, 6)
    )
    return parse_feed(rss(items), FEED_URL)


def test_select_new_episodes_all_unknown_newest_first(five: ParsedFeed) -> None:
    known = {feed_item_key_hash("ep-5"), feed_item_key_hash("ep-3")}
    new = select_new_episodes(five, known, None)
    assert [e.media.title for e in new] == ["Episode 4", "Episode 2", "Episode 1"]


def test_select_new_episodes_backfill_takes_the_newest_unknown(five: ParsedFeed) -> None:
    known = {feed_item_key_hash("ep-5")}
    assert [e.media.title for e in select_new_episodes(five, known, 2)] == ["Episode 4", "Episode 3"]
    assert select_new_episodes(five, known, 0) == []
    assert len(select_new_episodes(five, set(), 100)) == 5


def test_select_new_episodes_when_everything_is_known(five: ParsedFeed) -> None:
    assert select_new_episodes(five, {e.key_hash for e in five.episodes}, None) == []


# ---- fields --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("3723", 3723),
        (" 3723 ", 3723),
        ("3723.9", 3723),
        ("62:03", 3723),
        ("1:02:03", 3723),
        ("01:02:03", 3723),
        ("01:02:03.5", 3723),
        ("7:04", 424),
        ("00:60:05", 3605),
        ("1h2m3s", None),
        ("1:02:03:04", None),
        ("1:75", None),
        ("1:02:75", None),
        ("-5", None),
        ("0", None),
        ("00:00:00", None),
        ("", None),
        ("abc", None),
        (None, None),
        ("9" * 5000, None),
        ("99999999", None),
    ],
)
def test_parse_duration(raw: str | None, seconds: int | None) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize(
    ("written", "published"),
    [
        ("July 25, 2011", "2011-07-25T00:00:00Z"),  # feedparser: None
        ("Monday 25 July 2011 1:30 PM EST", "2011-07-25T18:30:00Z"),  # feedparser ignores PM
        ("Mon, 25 Jul 2011 01:30:00 AEST", "2011-07-24T15:30:00Z"),  # feedparser reads AEST as UTC
        ("Mon, 25 Jul 2011 09:30:00 CEST", "2011-07-25T07:30:00Z"),
        ("Fri 3 Dec 2010 04:30:00 GMT", "2010-12-03T04:30:00Z"),
        ("07 Nov 2015 12:00:00 EST", "2015-11-07T17:00:00Z"),
        ("Tue, 6 June 2006 10:30:00 GMT", "2006-06-06T10:30:00Z"),
        ("Tue, 24 Jan 2012 19:43:44 PST", "2012-01-25T03:43:44Z"),
        ("Tue, 24 Jan 2012 19:43:44 -0800", "2012-01-25T03:43:44Z"),
        ("2016-01-28T10:06:52-08:00", "2016-01-28T18:06:52Z"),
        ("Mon, 31 Jun 2011 01:30:00 GMT", None),
        ("someday", None),
    ],
)
def test_published_date_from_the_shapes_feeds_write(written: str, published: str | None) -> None:
    feed = parse_feed(rss(item("Dated", guid="d", url="https://x.example/d.mp3", date=written)), FEED_URL)
    assert feed.episodes[0].media.published_date == published


def test_description_is_plain_text_without_scripts_and_capped() -> None:
    notes = (
        "<p>First&nbsp;paragraph with <a href='https://example.com'>a link</a>\n and AT&amp;T.</p>"
        "<script>alert('x')</script><style>p {color: red}</style>"
        "<ul><li>one</li><li>two</li></ul>Last line<br/>after break"
    )
    body = rss(item("Notes", guid="n", url=MP3, extra=f"<description><![CDATA[{notes}]]></description>"))
    description = parse_feed(body, FEED_URL).episodes[0].media.description
    assert description == "First paragraph with a link and AT&T.\none\ntwo\nLast line\nafter break"

    long_notes = "<p>" + "word " * 3000 + "</p>"
    body = rss(item("Long", guid="l", url=MP3, extra=f"<description><![CDATA[{long_notes}]]></description>"))
    capped = parse_feed(body, FEED_URL).episodes[0].media.description or ""
    assert len(capped) == DESCRIPTION_MAX_CHARS
    assert capped.endswith("…")


def test_missing_title_and_unsafe_or_relative_urls() -> None:
    body = rss(
        "<item><guid>a</guid><enclosure url='javascript:alert(1)' type='audio/mpeg'/>"
        "<link>https://example.com/a</link></item>"
        "<item><guid>b</guid><enclosure url='/audio/b.mp3' type='audio/mpeg'/></item>"
        "<item><guid>c</guid><enclosure url='data:audio/mpeg;base64,AAAA' type='audio/mpeg'/></item>"
    )
    feed = parse_feed(body, FEED_URL)
    assert [(e.key, e.media.title, e.media.url) for e in feed.episodes] == [
        ("a", UNTITLED, "https://example.com/a"),
        ("b", UNTITLED, "https://feeds.example.com/audio/b.mp3"),
    ]
    assert any("neither an enclosure nor a link" in w for w in feed.warnings)


def test_an_atom_feed_reads_its_enclosure_link() -> None:
    feed = parsed("atom-podlove-chapters-sample.xml")
    assert [(e.media.title, e.media.url) for e in feed.episodes] == [
        ("Fiat Lux", "http://podlove.org/files/fiatlux.mp3")
    ]
    assert feed.episodes[0].key == "urn:uuid:3241ace2-ca21-dd12-2341-1412ce31fad2"


# ---- bodies that are not feeds -------------------------------------------------------------------

NOT_FEEDS = {
    "html page": (
        b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>hi</p></body></html>",
        "HTML",
    ),
    "json feed": (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "JSON"),
    "binary": (bytes(range(256)) * 8, "binary"),
    "empty": (b"", "empty"),
    "whitespace": (b"  \n\t ", "empty"),
    "other xml": (b'<?xml version="1.0"?><config><item>1</item></config>', "root element"),
    "a path to a local feed": (str(FEEDS / "apple-sample-all-about-everything.xml").encode(), "root element"),
}


@pytest.mark.parametrize(("body", "looks_like"), NOT_FEEDS.values(), ids=NOT_FEEDS.keys())
def test_a_body_that_is_no_feed_is_refused_with_a_reason(body: bytes, looks_like: str) -> None:
    reason = rf"{re.escape(FEED_URL)} is not an RSS or Atom feed \(.*{looks_like}"
    with pytest.raises(FeedParseError, match=reason):
        parse_feed(body, FEED_URL)


def test_a_feed_with_no_items_is_a_feed() -> None:
    feed = parse_feed(rss(""), FEED_URL)
    assert feed.title == "Crafted"
    assert feed.episodes == []


# ---- XML attacks ---------------------------------------------------------------------------------

LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10))
ATTACKS = {
    "billion laughs": f'<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n{LAUGHS}]>\n',
    # Plain-text entities are the kind feedparser keeps, and its loose parser expands them itself.
    "quadratic blow-up": '<!DOCTYPE rss [\n<!ENTITY a "' + "x" * 50_000 + '">\n]>\n',
    "external entity, file": '<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n',
    "external entity, http": '<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">\n]>\n',
    "parameter entity": '<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "file:///etc/passwd">\n%p;\n]>\n',
    "entity on the DOCTYPE line": '<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]>\n',
}
USES = {
    "billion laughs": "&lol9;",
    "quadratic blow-up": "&a;" * 5000,
    "entity on the DOCTYPE line": "&a;" * 5000,
}


@pytest.mark.parametrize("name", ATTACKS)
def test_feeds_declaring_entities_are_refused(name: str) -> None:
    reference = USES.get(name, "&xxe;")
    body = rss(item(f"t {reference}", guid="1", url="https://x.example/1.mp3"), prolog=ATTACKS[name])
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse_feed(body, FEED_URL)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "cp037", "utf-7"])
def test_entities_are_refused_in_any_encoding_feedparser_reads(encoding: str) -> None:
    prolog = '<!DOCTYPE rss [\n<!ENTITY a "' + "x" * 1000 + '">\n]>\n'
    text = rss(item("&a;" * 100, guid="1", url="https://x.example/1.mp3"), prolog=prolog).decode()
    text = text.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    if encoding == "utf-7":
        # "<" written as UTF-7 base64, so no "<!ENTITY" appears in the raw bytes.
        body = text.replace("<!ENTITY", "+ADw-!ENTITY").encode("ascii")
    else:
        body = text.encode(encoding)
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse_feed(body, FEED_URL)


def test_an_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "LEAKED-FROM-DISK">', encoding="utf-8")
    body = rss(
        item("Episode &secret;", guid="1", url="https://x.example/1.mp3"),
        prolog=f'<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">\n',
    )
    feed = parse_feed(body, FEED_URL)
    assert len(feed.episodes) == 1
    assert "LEAKED" not in feed.episodes[0].media.title


def test_a_public_doctype_without_entities_is_fine() -> None:
    prolog = (
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
    )
    feed = parse_feed(rss(item("Old school", guid="1", url=MP3), prolog=prolog), FEED_URL)
    assert [e.media.title for e in feed.episodes] == ["Old school"]


def test_a_feed_with_escape_sequences_overlong_texts_and_script_urls_is_stored_safely() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Show &#x1b;[31mRed&#x1b;[0m &#x202e;evil</title>
<itunes:image href="javascript:alert(1)"/>
<item><title>{"T" * 900}&#x1b;]0;owned&#x7;</title><guid>ep-1</guid>
<description>{"d" * 30000}</description>
<enclosure url="https://cdn.example.com/ep1.mp3" type="audio/mpeg" length="1"/>
<itunes:image href=" DATA:image/png;base64,AAAA"/></item>
</channel></rss>""".encode()

    parsed = parse_feed(body, "https://example.com/feed.xml")

    (episode,) = parsed.episodes
    assert episode.media.title == "T" * 499 + "…"
    # A feed's episode notes are capped shorter than a video's description (50 travel in one message).
    assert episode.media.description is not None and len(episode.media.description) == 5000
    assert episode.media.thumbnail_url is None
    assert episode.media.channel is not None and episode.media.channel.name == "Show Red evil"
    assert parsed.artwork_url is None
