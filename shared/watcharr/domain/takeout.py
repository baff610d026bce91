"""Google Takeout (YouTube): playlists and watch history out of a .zip or its extracted folder.

Pure: it reads the archive or folder it is given and nothing else (no network, no database).

Playlists live in ``YouTube and YouTube Music/playlists/``, one CSV per playlist, "Watch later"
included. Two layouts exist, and both are read:

- since 2023: ``<name>-videos.csv`` with the header ``Video ID,Playlist Video Creation Timestamp``
  and one row per video (``dQw4w9WgXcQ,2023-08-12T09:41:27+00:00``); beside them ``playlists.csv``,
  an index of playlists without videos, which is not a playlist and is passed over;
- before: ``<name>.csv`` opening with a metadata block (``Playlist ID,Channel ID,Time Created,...``
  and one row), a blank line, then ``Video ID,Time Added`` and the videos
  (``dQw4w9WgXcQ,2019-05-18 10:00:00 UTC``).

The playlist's name is the file name without ``.csv`` / ``-videos.csv``, Unicode NFC (non-ASCII kept).
A row whose video id is not 11 YouTube id characters is malformed: counted, the rest kept; a time we
cannot read leaves that video's ``added_at`` None.

Watch history is ``history/watch-history.json`` (Takeout writes HTML unless JSON was chosen; an
HTML history is reported, not read): a list of activities, each with ``titleUrl`` (the video link),
``title`` ("Watched …") and ``time``. Activities without a video link (a removed video, an ad, a
visited channel) are skipped and counted.

Bounded: a zip's directory may list at most ``TAKEOUT_MAX_MEMBERS`` entries; only the files named
above are read, each at most ``TAKEOUT_MAX_FILE_BYTES`` (counted while reading, so a lying header
changes nothing) and at most ``TAKEOUT_MAX_COMPRESSION_RATIO`` times its compressed size, all of them
together at most ``TAKEOUT_MAX_TOTAL_BYTES``; at most ``TAKEOUT_MAX_PLAYLISTS`` playlists and
``TAKEOUT_MAX_VIDEOS_PER_PLAYLIST`` videos each (YouTube's own cap) are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from watcharr.domain.links.classify import youtube_video_id
from watcharr.models.imports import TakeoutContents, TakeoutPlaylist, WatchedVideo

TAKEOUT_MAX_MEMBERS = 100_000
TAKEOUT_MAX_FILE_BYTES = 128 * 1024 * 1024
TAKEOUT_MAX_TOTAL_BYTES = 512 * 1024 * 1024
TAKEOUT_MAX_COMPRESSION_RATIO = 200
TAKEOUT_MAX_PLAYLISTS = 1_000
TAKEOUT_MAX_VIDEOS_PER_PLAYLIST = 5_000

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_HEADER_VIDEO_ID = "video id"
_HISTORY_JSON = "watch-history.json"
_HISTORY_HTML = "watch-history.html"


class TakeoutError(ValueError):
    """The Takeout cannot be read at all (or is refused as unsafe); the message says why."""


def read_takeout(path: Path | str) -> TakeoutContents:
    """Playlists and watch history of a Takeout ``.zip`` or extracted folder."""
    source = Path(path)
    if source.is_dir():
        return _read(_folder_files(source))
    if not source.is_file():
        raise TakeoutError(f"{source} does not exist")
    if not zipfile.is_zipfile(source):
        raise TakeoutError(f"{source} is neither a folder nor a .zip file")
    try:
        with zipfile.ZipFile(source) as archive:
            return _read(_zip_files(archive))
    except zipfile.BadZipFile as exc:
        raise TakeoutError(f"{source} is a damaged zip file ({exc})") from exc


# ---- where the files are --------------------------------------------------------------------------


def _kind(relative: PurePosixPath) -> str | None:
    parts = [part.lower() for part in relative.parts]
    if len(parts) >= 2 and parts[-2] == "playlists" and parts[-1].endswith(".csv"):
        return "playlist"
    if len(parts) >= 2 and parts[-2] == "history" and parts[-1] in (_HISTORY_JSON, _HISTORY_HTML):
        return "history"
    return None


_Files = Iterator[tuple[str, str, bytes]]


def _folder_files(root: Path) -> _Files:
    total = 0
    for file in sorted(root.rglob("*")):
        relative = PurePosixPath(file.relative_to(root).as_posix())
        kind = _kind(relative)
        if kind is None or not file.is_file():
            continue
        size = file.stat().st_size
        if size > TAKEOUT_MAX_FILE_BYTES:
            raise TakeoutError(
                f"{relative} is {size} bytes; a Takeout file may be at most {TAKEOUT_MAX_FILE_BYTES}"
            )
        total += size
        if total > TAKEOUT_MAX_TOTAL_BYTES:
            raise TakeoutError(f"the Takeout's playlists and history exceed {TAKEOUT_MAX_TOTAL_BYTES} bytes")
        yield kind, str(relative), file.read_bytes()


def _zip_files(archive: zipfile.ZipFile) -> _Files:
    members = archive.infolist()
    if len(members) > TAKEOUT_MAX_MEMBERS:
        raise TakeoutError(
            f"the zip lists {len(members)} files; a Takeout may list at most {TAKEOUT_MAX_MEMBERS}"
        )
    total = 0
    for info in sorted(members, key=lambda member: member.filename):
        relative = PurePosixPath(_member_name(info))
        kind = None if info.is_dir() else _kind(relative)
        if kind is None:
            continue
        limit = min(TAKEOUT_MAX_FILE_BYTES, max(info.compress_size, 1) * TAKEOUT_MAX_COMPRESSION_RATIO)
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise TakeoutError(
                f"{info.filename} expands beyond {limit} bytes ({TAKEOUT_MAX_COMPRESSION_RATIO}x its compressed size "
                f"or {TAKEOUT_MAX_FILE_BYTES} bytes): refused as a possible zip bomb"
            )
        total += len(data)
        if total > TAKEOUT_MAX_TOTAL_BYTES:
            raise TakeoutError(f"the Takeout's playlists and history exceed {TAKEOUT_MAX_TOTAL_BYTES} bytes")
        yield kind, str(relative), data


def _member_name(info: zipfile.ZipInfo) -> str:
    # Without the UTF-8 flag, zipfile reads names as cp437; zippers that omit the flag still write
    # UTF-8, so "Música" would come out as "M├║sica" unless read back as what it was.
    if info.flag_bits & 0x800 or info.filename.isascii():
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


# ---- reading ------------------------------------------------------------------------------------


def _read(files: _Files) -> TakeoutContents:
    playlists: list[TakeoutPlaylist] = []
    problems: list[str] = []
    history: list[WatchedVideo] = []
    without_video = malformed_history = 0
    saw_history = False
    for kind, name, data in files:
        if kind == "playlist":
            if len(playlists) >= TAKEOUT_MAX_PLAYLISTS:
                problems.append(
                    f"{name}: more than {TAKEOUT_MAX_PLAYLISTS} playlists; the rest were left out"
                )
                continue
            playlist = parse_playlist_csv(PurePosixPath(name).name, data, problems)
            if playlist is not None:
                playlists.append(playlist)
        elif name.lower().endswith(_HISTORY_HTML):
            problems.append(
                f"{name}: watch history exported as HTML; export it again choosing JSON to import it"
            )
        elif saw_history:
            problems.append(f"{name}: a second watch history; only the first was read")
        else:
            saw_history = True
            history, without_video, malformed_history = parse_watch_history(data, name, problems)
    return TakeoutContents(
        playlists=playlists,
        history=history,
        history_without_video=without_video,
        history_malformed=malformed_history,
        problems=problems,
    )


def playlist_name(file_name: str) -> str:
    """The playlist's name from its CSV's file name (``Watch later-videos.csv`` → ``Watch later``)."""
    stem = file_name[:-4] if file_name.lower().endswith(".csv") else file_name
    stem = stem[: -len("-videos")] if stem.endswith("-videos") else stem
    return unicodedata.normalize("NFC", stem).strip()


def parse_timestamp(text: str) -> str | None:
    """A Takeout time (``2023-08-12T09:41:27+00:00``, ``2019-05-18 10:00:00 UTC``…) as ISO ms UTC."""
    value = text.strip()
    if value.endswith(" UTC"):
        value = value[:-4] + "+00:00"
    value = value.replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_playlist_csv(file_name: str, data: bytes, problems: list[str]) -> TakeoutPlaylist | None:
    """One playlist CSV in either layout; None (with a problem noted) if it holds no video list."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(f"{file_name}: not UTF-8 text; skipped")
        return None
    rows = csv.reader(io.StringIO(text, newline=""))
    header_seen = False
    first_cells: list[str] = []
    ids: list[str] = []
    times: list[str | None] = []
    malformed = over = 0
    try:
        for row in rows:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if not header_seen:
                first_cells.append(cells[0].lower())
                header_seen = cells[0].lower() == _HEADER_VIDEO_ID
                continue
            if not _VIDEO_ID.fullmatch(cells[0]):
                malformed += 1
                continue
            if len(ids) >= TAKEOUT_MAX_VIDEOS_PER_PLAYLIST:
                over += 1
                continue
            ids.append(cells[0])
            times.append(parse_timestamp(cells[1]) if len(cells) > 1 else None)
    except csv.Error as exc:
        problems.append(f"{file_name}: unreadable CSV ({exc}); skipped")
        return None
    if not header_seen:
        # The playlist index of the 2023 layout lists playlists, not videos.
        if first_cells[:1] != ["playlist id"] or file_name.lower() != "playlists.csv":
            problems.append(f"{file_name}: no 'Video ID' column, so not a playlist; skipped")
        return None
    name = playlist_name(file_name)
    if malformed:
        problems.append(f"{name}: {malformed} malformed row(s) left out")
    if over:
        problems.append(f"{name}: {over} video(s) past {TAKEOUT_MAX_VIDEOS_PER_PLAYLIST} left out")
    return TakeoutPlaylist(
        name=name, source_file=file_name, video_ids=ids, added_at=times, malformed_rows=malformed
    )


def parse_watch_history(data: bytes, name: str, problems: list[str]) -> tuple[list[WatchedVideo], int, int]:
    """(watched videos newest first as in the file, entries without a video, malformed entries)."""
    try:
        entries = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{name}: not valid JSON ({exc}); watch history skipped")
        return [], 0, 0
    if not isinstance(entries, list):
        problems.append(f"{name}: not a list of activities; watch history skipped")
        return [], 0, 0
    watched: list[WatchedVideo] = []
    without_video = malformed = 0
    for entry in entries:
        if not isinstance(entry, dict):
            malformed += 1
            continue
        url = entry.get("titleUrl")
        video_id = youtube_video_id(url) if isinstance(url, str) else None
        if video_id is None:
            without_video += 1
            continue
        when = entry.get("time")
        title = entry.get("title")
        watched.append(
            WatchedVideo(
                video_id=video_id,
                watched_at=parse_timestamp(when) if isinstance(when, str) else None,
                title=title.removeprefix("Watched ") if isinstance(title, str) else None,
            )
        )
    if without_video:
        problems.append(f"{name}: {without_video} activit(ies) without a video link skipped")
    if malformed:
        problems.append(f"{name}: {malformed} malformed activit(ies) skipped")
    return watched, without_video, malformed
