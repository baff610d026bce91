"""Google Takeout: playlists (both CSV layouts) and watch history, from a real zip and a real folder."""

from __future__ import annotations

import json
import random
import string
import zipfile
from pathlib import Path

import pytest

from watcharr.domain.takeout import (
    TAKEOUT_MAX_COMPRESSION_RATIO,
    TakeoutError,
    parse_timestamp,
    playlist_name,
    read_takeout,
)

YT = "Takeout/YouTube and YouTube Music"


def _ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-_"
    return ["".join(rng.choice(alphabet) for _ in range(11)) for _ in range(count)]


def _new_layout(ids: list[str]) -> str:
    rows = [f"{vid},2023-08-{1 + i % 28:02d}T09:41:{i % 60:02d}+00:00" for i, vid in enumerate(ids)]
    return "Video ID,Playlist Video Creation Timestamp\n" + "\n".join(rows) + "\n"


def _old_layout(title: str, ids: list[str]) -> str:
    return (
        "Playlist ID,Channel ID,Time Created,Time Updated,Title,Description,Visibility\n"
        f"PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf,UCuAXFkgsw1L7xaCfnd5JJOw,2019-05-18 10:00:00 UTC,"
        f"2020-01-02 11:00:00 UTC,{title},,Private\n"
        "\n"
        "Video ID,Time Added\n"
        + "".join(f"{vid},2019-05-18 10:00:{i:02d} UTC\n" for i, vid in enumerate(ids))
    )


PLAYLIST_INDEX = (
    "Playlist ID,Add new videos to top,Playlist Title (Original),Playlist Title (Original) Language,"
    "Playlist Create Timestamp,Playlist Update Timestamp,Playlist Video Order,Playlist Visibility\n"
    "WL,False,Watch later,,2019-05-18T10:00:00+00:00,2023-08-12T09:41:27+00:00,Manual,Private\n"
)

HISTORY = [
    {
        "header": "YouTube",
        "title": "Watched Never Gonna Give You Up",
        "titleUrl": "https://www.youtube.com/watch?v\u003ddQw4w9WgXcQ",
        "subtitles": [
            {"name": "Rick Astley", "url": "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw"}
        ],
        "time": "2024-03-01T12:34:56.789Z",
        "products": ["YouTube"],
        "activityControls": ["YouTube watch history"],
    },
    {
        "header": "YouTube Music",
        "title": "Watched Despacito",
        "titleUrl": "https://music.youtube.com/watch?v=kJQP7kiw5Fk",
        "time": "2024-02-29T08:00:00Z",
    },
    {
        "header": "YouTube",
        "title": "Watched a video that has been removed",
        "time": "2024-02-28T08:00:00.000Z",
    },
    {
        "header": "YouTube",
        "title": "Visited Rick Astley",
        "titleUrl": "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        "time": "2024-02-27T08:00:00.000Z",
    },
    "not an activity",
]


def _files(big: list[str]) -> dict[str, str]:
    return {
        f"{YT}/playlists/playlists.csv": PLAYLIST_INDEX,
        f"{YT}/playlists/Watch later-videos.csv": _new_layout(big),
        f"{YT}/playlists/Música para estudiar 📚-videos.csv": _new_layout(["dQw4w9WgXcQ", "kJQP7kiw5Fk"]),
        f"{YT}/playlists/Old favourites.csv": _old_layout("Old favourites", ["9bZkp7q19f0", "OPf0YbXqDm0"]),
        f"{YT}/playlists/Broken-videos.csv": (
            "Video ID,Playlist Video Creation Timestamp\n"
            "dQw4w9WgXcQ,2023-08-12T09:41:27+00:00\n"
            "not-an-id,2023-08-12T09:41:27+00:00\n"
            "dQw4w9WgX,2023-08-12T09:41:27+00:00\n"
            ",\n"
            "kJQP7kiw5Fk,yesterday\n"
        ),
        f"{YT}/history/watch-history.json": json.dumps(HISTORY),
        f"{YT}/subscriptions/subscriptions.csv": "Channel Id,Channel Url,Channel Title\n",
    }


def _write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


def _write_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("shape", ["zip", "folder"])
def test_playlists_and_history_from_a_takeout(tmp_path: Path, shape: str) -> None:
    # Given a Takeout with a 2,000-video Watch later, a non-ASCII playlist, the old layout and bad rows
    big = _ids(2000, seed=15)
    files = _files(big)
    source = (
        _write_zip(tmp_path / "takeout-20240301.zip", files)
        if shape == "zip"
        else _write_folder(tmp_path, files)
    )

    # When it is read
    contents = read_takeout(source)

    # Then every playlist comes with its videos in order, and what was left out is counted
    playlists = {p.name: p for p in contents.playlists}
    assert set(playlists) == {"Watch later", "Música para estudiar 📚", "Old favourites", "Broken"}
    watch_later = playlists["Watch later"]
    assert watch_later.video_ids == big and len(watch_later.video_ids) == 2000
    assert watch_later.added_at[0] == "2023-08-01T09:41:00.000Z"
    assert playlists["Música para estudiar 📚"].video_ids == ["dQw4w9WgXcQ", "kJQP7kiw5Fk"]
    old = playlists["Old favourites"]
    assert old.video_ids == ["9bZkp7q19f0", "OPf0YbXqDm0"]
    assert old.added_at == ["2019-05-18T10:00:00.000Z", "2019-05-18T10:00:01.000Z"]
    broken = playlists["Broken"]
    assert broken.video_ids == ["dQw4w9WgXcQ", "kJQP7kiw5Fk"]
    assert broken.added_at == ["2023-08-12T09:41:27.000Z", None]
    assert broken.malformed_rows == 2
    assert "Broken: 2 malformed row(s) left out" in contents.problems
    # The 2023 layout's playlist index is not a playlist and is not a problem either.
    assert not any("playlists.csv" in problem for problem in contents.problems)

    assert [(w.video_id, w.watched_at, w.title) for w in contents.history] == [
        ("dQw4w9WgXcQ", "2024-03-01T12:34:56.789Z", "Never Gonna Give You Up"),
        ("kJQP7kiw5Fk", "2024-02-29T08:00:00.000Z", "Despacito"),
    ]
    assert (contents.history_without_video, contents.history_malformed) == (2, 1)


def test_names_and_times() -> None:
    assert playlist_name("Watch later-videos.csv") == "Watch later"
    assert playlist_name("Old favourites.csv") == "Old favourites"
    # macOS hands decomposed names over; the tag name is the composed one.
    assert playlist_name("Mu\u0301sica-videos.csv") == "Música"
    assert parse_timestamp("2023-08-12T09:41:27+00:00") == "2023-08-12T09:41:27.000Z"
    assert parse_timestamp("2023-08-12T11:41:27+02:00") == "2023-08-12T09:41:27.000Z"
    assert parse_timestamp("2019-05-18 10:00:00 UTC") == "2019-05-18T10:00:00.000Z"
    assert parse_timestamp("2019-05-18T10:00:00+0000") == "2019-05-18T10:00:00.000Z"
    assert parse_timestamp("yesterday") is None


def test_a_csv_without_video_column_is_reported(tmp_path: Path) -> None:
    root = _write_folder(tmp_path, {f"{YT}/playlists/notes.csv": "Name,Value\na,b\n"})
    contents = read_takeout(root)
    assert contents.playlists == []
    assert contents.problems == ["notes.csv: no 'Video ID' column, so not a playlist; skipped"]


def test_html_history_is_reported_not_read(tmp_path: Path) -> None:
    root = _write_folder(tmp_path, {f"{YT}/history/watch-history.html": "<html><body>Watched</body></html>"})
    contents = read_takeout(root)
    assert contents.history == []
    assert "export it again choosing JSON" in contents.problems[0]


def test_broken_history_json_is_reported_and_playlists_still_come(tmp_path: Path) -> None:
    root = _write_folder(
        tmp_path,
        {
            f"{YT}/history/watch-history.json": '[{"titleUrl": ',
            f"{YT}/playlists/Watch later-videos.csv": _new_layout(["dQw4w9WgXcQ"]),
        },
    )
    contents = read_takeout(root)
    assert [p.video_ids for p in contents.playlists] == [["dQw4w9WgXcQ"]]
    assert any("not valid JSON" in problem for problem in contents.problems)


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    # 20 MB of one repeated row compresses to a few KB: far beyond the allowed ratio.
    bomb = (
        "Video ID,Playlist Video Creation Timestamp\n" + "dQw4w9WgXcQ,2023-08-12T09:41:27+00:00\n" * 500_000
    )
    path = _write_zip(tmp_path / "bomb.zip", {f"{YT}/playlists/Watch later-videos.csv": bomb})
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
        assert info.file_size > TAKEOUT_MAX_COMPRESSION_RATIO * info.compress_size
    with pytest.raises(TakeoutError, match="possible zip bomb"):
        read_takeout(path)


def test_a_zip_with_too_many_entries_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real bound is 100,000 entries; writing that many in a unit test would take long, so the
    # bound is lowered for this test only (the check itself is the real code).
    monkeypatch.setattr("watcharr.domain.takeout.TAKEOUT_MAX_MEMBERS", 10)
    path = _write_zip(
        tmp_path / "many.zip", {f"{YT}/playlists/p{i}-videos.csv": _new_layout([]) for i in range(11)}
    )
    with pytest.raises(TakeoutError, match="lists 11 files"):
        read_takeout(path)


def test_not_a_takeout(tmp_path: Path) -> None:
    text = tmp_path / "takeout.zip"
    text.write_text("I am not a zip")
    with pytest.raises(TakeoutError, match=r"neither a folder nor a \.zip"):
        read_takeout(text)
    with pytest.raises(TakeoutError, match="does not exist"):
        read_takeout(tmp_path / "missing.zip")


def test_a_zip_without_the_utf8_flag_keeps_non_ascii_names(tmp_path: Path) -> None:
    # Given a zip whose names are UTF-8 bytes but without the UTF-8 flag, as some zippers write them:
    # written with an ASCII stand-in of the same length, then the name bytes swapped in place.
    path = _write_zip(
        tmp_path / "flagless.zip", {f"{YT}/playlists/MXXsica-videos.csv": _new_layout(["dQw4w9WgXcQ"])}
    )
    path.write_bytes(path.read_bytes().replace(b"MXXsica", "Música".encode()))
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].filename.endswith("M├║sica-videos.csv")

    # When it is read, the playlist keeps its real name
    assert [p.name for p in read_takeout(path).playlists] == ["Música"]
