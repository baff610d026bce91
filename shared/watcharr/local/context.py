"""A stand-in for the Lambda context object, for calling handlers outside Lambda."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from watcharr.local.state import ACCOUNT_ID, REGION


@dataclass
class LocalContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_ms: int = 60_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms
