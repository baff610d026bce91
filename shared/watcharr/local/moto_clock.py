"""moto's SQS on a cheap clock: the same queue behaviour, at a cost that stays low as a queue grows.

moto 5 decides whether each message is visible or delayed by calling ``unix_time_millis()``, which
builds two naive UTC datetimes per call, and SendMessage, ReceiveMessage and DeleteMessage scan every
message of the queue that way. On a queue holding 5,000 messages one SendMessageBatch then costs over
a second and one receive + delete about 0.4 s (bench section 6), so local mode crawls as soon as a
backlog builds. ``time.time()`` is the same POSIX time, twenty times cheaper; moto's SQS module never
passes a datetime to these functions, but one that does still gets moto's own answer.

``use_cheap_requests`` takes out the rest of moto's per-request overhead in the runner: lookups moto
repeats on every request (answered from a cache), ``Queue.attributes`` rebuilt on every FIFO send and
twice for every message received (to read its retention period), a receipt handle drawn one letter
at a time, and two fixes that keep FIFO order when a batch of messages comes back after its
visibility timeout or a ChangeMessageVisibility.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
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


_CAMELCASE_CACHE_SIZE = 4096
# (owner, attribute name) → moto's own value, for every patch in place.
_ORIGINALS: dict[tuple[Any, str], Any] = {}


class _QueueAttributes(Mapping[str, Any]):
    """``Queue.attributes``, built only when something other than ContentBasedDeduplication is read.

    moto reads ``queue.attributes.get("ContentBasedDeduplication")`` up to four times per FIFO send,
    and each read rebuilds every attribute, including three counts that scan the whole queue.
    """

    def __init__(self, queue: Any, build: Callable[[Any], dict[str, Any]]) -> None:
        self._queue = queue
        self._build = build
        self._built: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self._built is None:
            self._built = self._build(self._queue)
        return self._built

    def get(self, key: str, default: Any = None) -> Any:
        """The attribute ``key``; ContentBasedDeduplication straight from the queue's field."""
        if key == "ContentBasedDeduplication":
            if not self._queue.fifo_queue:
                return default
            return str(self._queue.content_based_deduplication).lower()
        return self._all().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _lazy_attributes(original: property) -> property:
    build = original.fget
    assert build is not None
    return property(lambda queue: _QueueAttributes(queue, build))


def _plain_attributes(original: Callable[..., Any]) -> Callable[..., Any]:
    # GetQueueAttributes "All" hands the attributes object itself to moto's serialiser: a dict, as before.
    def get_queue_attributes(backend: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        return dict(original(backend, queue_name, attribute_names))

    return get_queue_attributes


def _groups_in_flight(_original: property) -> property:
    """``Queue.pending_message_groups`` without the messages whose visibility timeout ran out.

    moto counts such a message as in flight until its turn comes in a receive, so while a FIFO batch
    that timed out comes back, each of its messages holds back the ones before it: the batch comes back
    last message first. On SQS such a message is no longer in flight, and the batch comes back in order.
    """

    def pending_message_groups(queue: Any) -> set[str]:
        return {m.group_id for m in queue.pending_messages if m.group_id is not None and not m.visible}

    return property(pending_message_groups)


def _visible_from_its_time(_original: property) -> property:
    """``Message.visible`` from the moment its visibility timeout ends, not strictly after it.

    moto compares ``now > visible_at``, so a message given VisibilityTimeout=0 stays invisible (and in
    flight) when the next clock reading is equal, which a float clock read microseconds later can be.
    ChangeMessageVisibility then leaves it among the FIFO group's in-flight messages, and the next
    receive holds back the messages behind it. On SQS a timeout of 0 makes it visible at once.
    """
    import moto.sqs.models as sqs_models

    return property(lambda message: sqs_models.unix_time_millis() >= message.visible_at)


def _retention_from_its_field(_original: Callable[..., bool]) -> Callable[..., bool]:
    """Whether a received message is within its queue's retention period, read from the queue's field.

    moto reads the period through ``get_queue_attributes``, which builds every attribute of the queue
    twice, three counts that scan all of its messages included: for each message it hands out. The
    field is where moto's own attribute comes from (set as an int when the queue is created or changed).
    """
    import moto.sqs.models as sqs_models

    def is_message_valid_based_on_retention_period(backend: Any, queue_name: str, message: Any) -> bool:
        retention = int(backend.get_queue(queue_name).message_retention_period)
        return bool(retention + message.sent_timestamp / 1000 > sqs_models.unix_time())

    return is_message_valid_based_on_retention_period


# The length of moto's receipt handles (moto.sqs.utils.generate_receipt_handle).
RECEIPT_HANDLE_LENGTH = 185


def _drawn_at_once(_original: Callable[[], str]) -> Callable[[], str]:
    """moto's receipt handle (185 lowercase letters from moto's random source) in one draw, not 185."""
    import string

    from moto.moto_api._internal import mock_random

    letters, length = string.ascii_lowercase, RECEIPT_HANDLE_LENGTH
    return lambda: "".join(mock_random.choices(letters, k=length))


def _listed_once(original: Callable[[], Any]) -> Callable[[], tuple[str, ...]]:
    # The folders of moto's package, listed on every request to tell a service by the Host header.
    modules = tuple(original())
    return lambda: modules


def _patches() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    """(owner, attribute, how to wrap moto's value) for every request patch."""
    import moto.backends as backends
    import moto.core.responses as responses
    import moto.core.utils as core_utils
    import moto.sqs.models as sqs_models

    camelcase = _ORIGINALS.get((core_utils, "camelcase_to_underscores"), core_utils.camelcase_to_underscores)
    # moto's modules imported it by name: each module's binding is patched (later imports get the cache).
    owners = [core_utils] + [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.")
        and module is not core_utils
        and getattr(module, "camelcase_to_underscores", None) is camelcase
    ]
    cached_camelcase = lru_cache(_CAMELCASE_CACHE_SIZE)(camelcase)
    return [
        *[(module, "camelcase_to_underscores", lambda _f: cached_camelcase) for module in owners],
        (responses, "method_names_from_class", lambda f: lru_cache(None)(lambda c: frozenset(f(c)))),
        (backends, "list_of_moto_modules", _listed_once),
        (sqs_models.Queue, "attributes", _lazy_attributes),
        (sqs_models.SQSBackend, "is_message_valid_based_on_retention_period", _retention_from_its_field),
        (sqs_models, "generate_receipt_handle", _drawn_at_once),
        (sqs_models.SQSBackend, "get_queue_attributes", _plain_attributes),
        (sqs_models.Queue, "pending_message_groups", _groups_in_flight),
        (sqs_models.Message, "visible", _visible_from_its_time),
    ]


def use_cheap_requests() -> None:
    """Cache moto's per-request lookups, build queue attributes lazily and keep FIFO order on
    redelivery, in this process (idempotent)."""
    for owner, name, wrap in _patches():
        if (owner, name) not in _ORIGINALS:
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            _ORIGINALS[(owner, name)] = original
            setattr(owner, name, wrap(original))


# The patches of what a receive costs per message handed out (bench section 6 compares without them).
RECEIVE_PATCHES = ("is_message_valid_based_on_retention_period", "generate_receipt_handle")


@contextmanager
def moto_receives() -> Iterator[None]:
    """Inside the block, moto's own retention check and receipt handles (the other patches stay)."""
    taken = {key: value for key, value in _ORIGINALS.items() if key[1] in RECEIVE_PATCHES}
    for (owner, name), original in taken.items():
        setattr(owner, name, original)
        del _ORIGINALS[(owner, name)]
    try:
        yield
    finally:
        if taken:
            use_cheap_requests()


def cheap_requests_in_use() -> bool:
    """Whether moto's per-request patches are in place in this process."""
    return bool(_ORIGINALS)


def use_moto_requests() -> None:
    """Give moto its own request path back (tests and benchmarks compare the two)."""
    for (owner, name), original in list(_ORIGINALS.items()):
        setattr(owner, name, original)
        del _ORIGINALS[(owner, name)]
