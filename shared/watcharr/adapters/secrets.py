"""Credentials the extractor may use for YouTube: a Data API key and a cookies.txt for yt-dlp.

On AWS they live in SSM Parameter Store (SecureString) or Secrets Manager and the settings only name
them; locally the key may be given as it is (WATCHARR_YOUTUBE_API_KEY). Values are cached for a few
minutes per container by powertools' parameters utility, so a rotated key is picked up without a
redeploy and a warm container does not pay an AWS call per link (a failed read is not cached: it is
tried again on the next link). No value is ever logged or put into an exception message: a failure to read
one is logged with the name and the AWS error code only, and the caller goes on without it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from watcharr.observability import logger
from watcharr.settings import Settings

# How long a warm container keeps a value before reading it again (powertools' parameters cache).
CACHE_SECONDS = 300


def _read(source: str, name: str) -> str | None:
    """The value of ``name`` through powertools' parameters utility (cached ``CACHE_SECONDS``)."""
    from aws_lambda_powertools.utilities import parameters
    from botocore.exceptions import ClientError

    try:
        if source == "ssm":
            value = parameters.get_parameter(name, decrypt=True, max_age=CACHE_SECONDS)
        else:
            value = parameters.get_secret(name, max_age=CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as exc:
        # Only the AWS error code is logged: the message of the wrapped error is not ours to trust.
        cause = exc.__cause__
        code = (
            cause.response.get("Error", {}).get("Code", "unknown") if isinstance(cause, ClientError) else None
        )
        logger.error(
            "cannot read a credential",
            extra={"source": source, "credential": name, "error_code": code or type(cause).__name__},
        )
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value) if value else None


def youtube_api_key(settings: Settings) -> str | None:
    """The Data API key: given as is, else read from SSM, else from Secrets Manager; None when none."""
    if settings.youtube_api_key:
        return settings.youtube_api_key
    if settings.youtube_api_key_parameter:
        key = _read("ssm", settings.youtube_api_key_parameter)
    elif settings.youtube_api_key_secret:
        key = _read("secretsmanager", settings.youtube_api_key_secret)
    else:
        return None
    return (key or "").strip() or None


def ytdlp_cookie_file(settings: Settings) -> str | None:
    """A cookies.txt (Netscape format) for yt-dlp, written from Secrets Manager to the temp dir, 0600.

    The file is named after a hash of its content, so a rotated secret gets a new file while yt-dlp
    keeps updating the current one (it saves the session's cookies back when it is done).
    """
    if not settings.ytdlp_cookies_secret:
        return None
    content = _read("secretsmanager", settings.ytdlp_cookies_secret)
    if not content:
        return None
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"watcharr-cookies-{digest}.txt"
    if not path.exists():
        # O_EXCL + O_NOFOLLOW: never write through a file or link someone else put there first.
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content if content.endswith("\n") else content + "\n")
        os.replace(temporary, path)
    return str(path)
