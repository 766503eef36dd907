"""In-process cache of read results, emptied whenever the catalogue changes (in any process).

Searches repeat a lot (the same few hundred words from Zalo, SMS and the web) and the
catalogue changes rarely, so answers are cached until the next change. Every write
fires a NOTIFY on commit (a statement trigger on each catalogue table), which every
replica LISTENs to: a publish on one replica, a CLI import or a manual SQL fix empties
all caches. The writer also empties its own cache right after commit, so it reads its
own writes even before the notification arrives. While the LISTEN connection is down,
the cache is bypassed: a missed notification must never leave stale answers behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import asyncpg
from prometheus_client import Counter

from motcua_platform.db import check_schema_name
from motcua_platform.logging import get_logger

log = get_logger(__name__)

CACHE_LOOKUPS = Counter("motcua_catalogue_cache_lookups_total", "Catalogue read cache look-ups", ["result"])
_HIT = CACHE_LOOKUPS.labels("hit")
_MISS = CACHE_LOOKUPS.labels("miss")


def change_channel(schema: str) -> str:
    """The NOTIFY channel the catalogue tables' triggers use (see migration 0001)."""
    return f"motcua_catalogue_changed_{check_schema_name(schema)}"[:63]


class ReadCache:
    """A bounded LRU map with a generation number; `invalidate()` empties it and moves to the next generation."""

    def __init__(self, max_entries: int = 1_000) -> None:
        self.max_entries = max_entries
        self.generation = 0
        self.enabled = max_entries > 0
        self._data: OrderedDict[Hashable, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable) -> Any | None:
        if not self.enabled:
            return None
        value = self._data.get(key)
        if value is None:
            _MISS.inc()
            return None
        self._data.move_to_end(key)
        _HIT.inc()
        return value

    def put(self, key: Hashable, value: Any, generation: int) -> None:
        """Store `value`, computed from data read during `generation`; dropped if the catalogue changed since."""
        if not self.enabled or generation != self.generation:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def invalidate(self) -> None:
        self.generation += 1
        self._data.clear()

    def suspend(self) -> None:
        """Bypass the cache (changes cannot be heard) until `resume()`."""
        self.enabled = False
        self.invalidate()

    def resume(self) -> None:
        self.invalidate()
        self.enabled = self.max_entries > 0


class ChangeListener:
    """LISTEN for catalogue changes on a dedicated connection; reconnect with backoff when it drops."""

    def __init__(self, *, dsn: str, schema: str, cache: ReadCache, retry_seconds: float = 1.0) -> None:
        self.dsn = dsn
        self.channel = change_channel(schema)
        self.cache = cache
        self.retry_seconds = retry_seconds
        self._stop = asyncio.Event()
        self._lost = asyncio.Event()
        self.listening = asyncio.Event()
        # No caching until LISTEN is in place: a change committed before would go unheard.
        cache.suspend()

    def _on_notify(self, *_: object) -> None:
        self.cache.invalidate()

    def _on_lost(self, *_: object) -> None:
        self.cache.suspend()
        self.listening.clear()
        self._lost.set()

    async def run(self) -> None:
        self.cache.suspend()
        delay = self.retry_seconds
        while not self._stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=10, server_settings={"application_name": "motcua-catalogue-cache"})
                self._lost.clear()
                conn.add_termination_listener(self._on_lost)
                await conn.add_listener(self.channel, self._on_notify)
                # Anything committed before LISTEN took effect is covered by starting a new generation now.
                self.cache.resume()
                self.listening.set()
                delay = self.retry_seconds
                log.info("catalogue_cache_listening", channel=self.channel)
                stop = asyncio.create_task(self._stop.wait())
                lost = asyncio.create_task(self._lost.wait())
                await asyncio.wait([stop, lost], return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
                lost.cancel()
                if self._lost.is_set():
                    log.warning("catalogue_cache_listener_lost")
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.cache.suspend()
                log.warning("catalogue_cache_listener_failed", error=type(exc).__name__, retry_in=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 30.0)
            finally:
                self.listening.clear()
                self.cache.suspend()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    async def stop(self) -> None:
        self._stop.set()
