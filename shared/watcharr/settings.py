"""Every environment variable the functions read, in one model.

On AWS the template sets these; in local mode the runner sets them to moto's queues and ./data. Endpoints
themselves come from boto3's own AWS_ENDPOINT_URL_<SERVICE> variables, so no code path differs.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from watcharr import limits


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    extract_queue_url: str = ""
    results_queue_url: str = ""
    database_path: str = "/mnt/data/watcharr.db"
    # Name of the QueryFunction for lambda:Invoke; empty means call it in-process (local mode, tests).
    query_function_name: str = ""
    # Local mode fetches from 127.0.0.1 and private addresses; on AWS the SSRF guard refuses them.
    allow_private_network: bool = False
    extract_max_receive_count: int = 5
    socket_timeout: float = limits.SOCKET_TIMEOUT_SECONDS
    playlist_limit: int = limits.PLAYLIST_LIMIT
    youtube_api_key: str = Field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(f"WATCHARR_{name.upper()}")
            if raw is not None:
                values[name] = raw.lower() in {"1", "true", "yes"} if name == "allow_private_network" else raw
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once (a Lambda container or the local runner)."""
    return Settings.from_env()
