"""structlog JSON logging with personal data masked by a processor.

Masking works on two levels so that nobody has to remember it:
- keys that name personal data (`phone`, `full_name`, `address`, `email`,
  `id_number`, ...) are masked whatever their value;
- every other string value is scanned for phone numbers, e-mail addresses and
  citizen ID numbers (CCCD 12 digits, CMND 9 digits) and those are masked in place.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import re
import sys
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

#: Keys whose values are personal data, compared after lower-casing.
PERSONAL_KEYS = frozenset(
    {
        "phone",
        "phone_number",
        "msisdn",
        "mobile",
        "name",
        "full_name",
        "fullname",
        "applicant_name",
        "citizen_name",
        "display_name",
        "address",
        "street",
        "email",
        "e_mail",
        "id_number",
        "citizen_id",
        "cccd",
        "cmnd",
        "national_id",
        "identity_number",
        "date_of_birth",
        "dob",
    }
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Vietnamese mobile/landline numbers: 0xxxxxxxxx or +84/84 followed by 9-10 digits,
# optionally grouped by spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w.])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?![\w])")
# Citizen ID (CCCD, 12 digits) and the older CMND (9 digits).
_CITIZEN_ID = re.compile(r"(?<![\w.-])(?:\d{12}|\d{9})(?![\w.-])")  # not inside hex ids (request/trace ids)


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return "***"
    return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_name(value: str) -> str:
    """Keep the first letter of each word: 'Nguyễn Văn An' -> 'N***** V** A*'."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in value.split())


# What every match of the three patterns above contains: an "@" (e-mail), or nine digits with at most one
# separator between two of them (a phone number is 0 or 84 and 8-10 more digits; an ID number, 9 or 12
# digits). A value with neither cannot change, and most logged values (event names, routes, statuses,
# timestamps, hex ids) have neither: one scan for them instead of three.
_MAY_HOLD_NUMBER = re.compile(r"\d(?:[\s.-]?\d){8}")


def mask_text(value: str) -> str:
    """Mask every phone number, e-mail address and ID number found in free text."""
    if "@" not in value and _MAY_HOLD_NUMBER.search(value) is None:
        return value
    return _mask_text_scan(value)


def _mask_text_scan(value: str) -> str:
    value = _EMAIL.sub(lambda m: mask_email(m.group(0)), value)
    value = _CITIZEN_ID.sub(lambda m: "*" * len(m.group(0)), value)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), value)


def _mask_key(key: str, value: Any) -> Any:
    lowered = key.lower()
    if value is None or value == "":
        return value
    if not isinstance(value, str):
        return "***"
    if "phone" in lowered or lowered == "msisdn" or lowered == "mobile":
        return mask_phone(value)
    if "email" in lowered:
        return mask_email(value)
    if "name" in lowered:
        return mask_name(value)
    return "***"


def mask_value(key: str, value: Any) -> Any:
    """Mask one value in the context of its key, recursing into containers."""
    if key.lower() in PERSONAL_KEYS:
        return _mask_key(key, value)
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    return value


def mask_personal_data(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask personal data in every key and value of a log event."""
    for key in list(event_dict):
        event_dict[key] = mask_value(key, event_dict[key])
    return event_dict


def _add_trace_ids(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    from motcua_platform.tracing import add_trace_ids

    return add_trace_ids(logger, method, event_dict)  # type: ignore[arg-type]


def configure_logging(*, service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Configure structlog and the stdlib root logger once per process.

    Every line is one JSON object with `service`, `level`, `timestamp`, the
    bound context (request id, trace id, ...) and personal data masked.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _add_trace_ids,
        mask_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # Our own lines go straight from structlog to stdout (no stdlib record, handler or second formatting
    # pass: a third of the cost of the per-request line); foreign stdlib lines get the same processors below.
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=_STDOUT),  # type: ignore[arg-type]
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(_ImmediateStdout())  # type: ignore[arg-type]  # after ours: lines stay in order
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "asyncio", "uvicorn.access", "grpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


class _CurrentStdout:
    """Whatever `sys.stdout` is at the time of writing (tests and tools swap it; loggers are cached).

    Our own lines (structlog) logged during one turn of a running event loop are written together, by one
    `write`, at the start of its next turn, instead of one `write` system call per line (under load a
    service logs several lines per turn; the calls were 3-5 % of a process's CPU). Outside a running loop
    each line is written at once. Lines of the standard library's loggers (uvicorn, aiokafka, asyncio:
    rare, and some are a process's last words, as uvicorn's "Application shutdown complete." before it
    re-raises SIGTERM) are written at once, after the pending ones (`immediate`). Pending lines are
    written at exit too; only a process killed outright can lose the lines of its last turn (milliseconds).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop that will write `_pending`

    def write(self, text: str) -> int:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            if loop is not None and self._loop in (None, loop):
                self._pending.append(text)
                if self._loop is None:
                    self._loop = loop
                    loop.call_soon(self.write_pending)
                return len(text)
            earlier, self._pending, self._loop = self._pending, [], None  # another loop's lines come first
        self._out("".join(earlier) + text)
        return len(text)

    def flush(self) -> None:
        if self._loop is None:
            sys.stdout.flush()

    def write_now(self, text: str) -> int:
        """Write `text` at once, after the lines still pending."""
        with self._lock:
            earlier, self._pending, self._loop = self._pending, [], None
        self._out("".join(earlier) + text)
        return len(text)

    def write_pending(self) -> None:
        with self._lock:
            lines, self._pending, self._loop = self._pending, [], None
        if lines:
            self._out("".join(lines))

    @staticmethod
    def _out(text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except (OSError, ValueError):  # stdout closed (shutdown, a reader gone): nowhere to log to
            pass


class _ImmediateStdout:
    """The stream of the standard library's handler: every line at once, after our pending ones."""

    def write(self, text: str) -> int:
        return _STDOUT.write_now(text)

    def flush(self) -> None:
        pass  # write_now flushed


_STDOUT = _CurrentStdout()
atexit.register(_STDOUT.write_pending)


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)
