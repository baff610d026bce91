"""OPML: the shapes AntennaPod, Pocket Casts and Apple Podcasts export, refusals, and our export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcharr.domain.opml import OPML_MAX_DEPTH, OpmlError, parse_opml, write_opml
from watcharr.models.imports import OpmlSubscription

ANTENNAPOD = b"""<?xml version='1.0' encoding='UTF-8' standalone='no' ?>
<opml version="2.0">
  <head>
    <title>AntennaPod Subscriptions</title>
    <dateCreated>01 Mar 24 10:00:00 +0000</dateCreated>
  </head>
  <body>
    <outline text="The Daily" title="The Daily" type="rss"
             xmlUrl="https://feeds.simplecast.com/54nAGcIl" htmlUrl="https://www.nytimes.com/the-daily" />
    <outline text="Radiolab" title="Radiolab" type="rss"
             xmlUrl="https://feeds.feedburner.com/radiolab" htmlUrl="https://radiolab.org" />
  </body>
</opml>
"""

POCKET_CASTS = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<opml version="1.0">
  <head>
    <title>Pocket Casts Feeds</title>
  </head>
  <body>
    <outline text="feeds">
      <outline type="rss" text="Café com Leite 🎙" xmlUrl="https://anchor.fm/s/abc123/podcast/rss" />
      <outline type="rss" text="The Daily" xmlUrl="HTTPS://FEEDS.SIMPLECAST.COM/54nAGcIl#dup" />
      <outline text="Nested folder">
        <outline type="rss" text="99% Invisible" xmlUrl="https://feeds.simplecast.com/BqbsxVfO" />
      </outline>
    </outline>
  </body>
</opml>
""".encode()

APPLE_PODCASTS = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head><title>Podcasts</title></head>
<body>
<outline text="Hardcore History" type="rss" xmlurl="itpc://feeds.feedburner.com/dancarlin/history" />
<outline text="Old link" type="rss" xmlUrl="ftp://example.com/feed.xml" />
<outline text="A folder without feeds"/>
</body>
</opml>
"""


def test_antennapod_export() -> None:
    result = parse_opml(ANTENNAPOD)
    assert result.subscriptions == [
        OpmlSubscription(
            xml_url="https://feeds.simplecast.com/54nAGcIl",
            title="The Daily",
            html_url="https://www.nytimes.com/the-daily",
        ),
        OpmlSubscription(
            xml_url="https://feeds.feedburner.com/radiolab", title="Radiolab", html_url="https://radiolab.org"
        ),
    ]
    assert result.duplicates == 0 and result.skipped == []


def test_pocket_casts_nested_outlines_and_duplicates() -> None:
    result = parse_opml(POCKET_CASTS)
    assert [(s.title, s.xml_url) for s in result.subscriptions] == [
        ("Café com Leite 🎙", "https://anchor.fm/s/abc123/podcast/rss"),
        ("The Daily", "HTTPS://FEEDS.SIMPLECAST.COM/54nAGcIl#dup"),
        ("99% Invisible", "https://feeds.simplecast.com/BqbsxVfO"),
    ]
    # Combined with AntennaPod's list, the same feed in another spelling counts once.
    combined = POCKET_CASTS.replace(
        b"</outline>\n  </body>",
        b'<outline type="rss" text="Again" xmlUrl="https://feeds.simplecast.com/BqbsxVfO"/></outline>\n  </body>',
    )
    again = parse_opml(combined)
    assert len(again.subscriptions) == 3 and again.duplicates == 1


def test_apple_podcasts_lowercase_attribute_and_podcast_scheme() -> None:
    result = parse_opml(APPLE_PODCASTS)
    assert [(s.title, s.xml_url) for s in result.subscriptions] == [
        ("Hardcore History", "https://feeds.feedburner.com/dancarlin/history")
    ]
    assert result.skipped == ["Old link: ftp://example.com/feed.xml is not an http(s) feed link"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"<opml version='2.0'><body><outline xmlUrl='https://a.example/f'></body>", "not well-formed XML"),
        (b"<rss version='2.0'><channel/></rss>", "not OPML"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"%PDF-1.7 binary", "not well-formed XML"),
    ],
)
def test_malformed_opml_is_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(OpmlError, match=reason):
        parse_opml(body)


def test_entity_expansion_is_refused() -> None:
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://a.example/f"/></body></opml>
"""
    with pytest.raises(OpmlError, match="declares XML entities"):
        parse_opml(laughs)
    external = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/f"/></body></opml>
"""
    with pytest.raises(OpmlError, match="declares XML entities"):
        parse_opml(external)


def test_too_deep_nesting_is_refused() -> None:
    depth = OPML_MAX_DEPTH + 1
    body = (
        b"<opml version='2.0'><body>"
        + b"<outline text='x'>" * depth
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    with pytest.raises(OpmlError, match="more than 32 deep"):
        parse_opml(body)


def test_export_is_opml_2_that_reads_back() -> None:
    subscriptions = [
        OpmlSubscription(
            xml_url="https://feeds.simplecast.com/54nAGcIl", title="The Daily", html_url="https://nyt.com"
        ),
        OpmlSubscription(xml_url="https://example.com/feed?a=1&b=2", title='Tom & "Jerry" <live>'),
        OpmlSubscription(xml_url="https://example.com/untitled.xml"),
    ]
    body = write_opml(subscriptions, created=datetime(2026, 2, 5, 10, 0, tzinfo=UTC))
    text = body.decode("utf-8")
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert "<dateCreated>Thu, 05 Feb 2026 10:00:00 +0000</dateCreated>" in text
    assert (
        '<outline type="rss" text="The Daily" title="The Daily" xmlUrl="https://feeds.simplecast.com/54nAGcIl" '
        'htmlUrl="https://nyt.com" />' in text
    )
    assert "a=1&amp;b=2" in text and "Tom &amp; &quot;Jerry&quot; &lt;live&gt;" in text
    read_back = parse_opml(body).subscriptions
    assert [(s.xml_url, s.title, s.html_url) for s in read_back] == [
        ("https://feeds.simplecast.com/54nAGcIl", "The Daily", "https://nyt.com"),
        ("https://example.com/feed?a=1&b=2", 'Tom & "Jerry" <live>', None),
        ("https://example.com/untitled.xml", "https://example.com/untitled.xml", None),
    ]
