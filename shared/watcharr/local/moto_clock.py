"""moto's SQS on a cheap clock: the same queue behaviour, at a cost that stays low as a queue grows.

moto 5 decides whether each message is visible or delayed by calling ``unix_time_millis()``, which
builds two naive UTC datetimes per call, and SendMessage, ReceiveMessage and DeleteMessage scan every
message of the queue that way. On a queue holding 5,000 messages one SendMessageBatch then costs over
a second and one receive + delete about 0.4 s (bench section 6), so local mode crawls as soon as a
backlog builds. ``time.time()`` is the same POSIX time, twenty times cheaper; moto's SQS module never
passes a datetime to these functions, but one that does still gets moto's own answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any


def _cheap(original: Callable[[datetime | None], float], scale: float) -> Callable[..., float]:
    def now(dt: datetime | None = None) -> float:
        return time.time() * scale if dt is None else original(dt)

    now.__wrapped__ = original  # type: ignore[attr-defined]
    return now


def use_cheap_clock() -> None:
    """Make moto's SQS read the time with ``time.time()`` in this process (idempotent)."""
    import moto.sqs.models as sqs_models

    module: Any = sqs_models
    if not cheap_clock_in_use():
        module.unix_time = _cheap(module.unix_time, 1.0)
        module.unix_time_millis = _cheap(module.unix_time_millis, 1000.0)


def cheap_clock_in_use() -> bool:
    """Whether moto's SQS reads the time with ``time.time()`` in this process."""
    import moto.sqs.models as sqs_models

    return hasattr(sqs_models.unix_time, "__wrapped__")


def use_moto_clock() -> None:
    """Give moto's SQS its own clock back (benchmarks compare the two)."""
    import moto.sqs.models as sqs_models

    module: Any = sqs_models
    if cheap_clock_in_use():
        module.unix_time = module.unix_time.__wrapped__
        module.unix_time_millis = module.unix_time_millis.__wrapped__
