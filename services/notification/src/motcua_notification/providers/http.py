"""The HTTP client of the provider calls: one keep-alive aiohttp pool shared by every provider client.

Why aiohttp and not httpx (which the webhook worker and the fakes use): the provider call is on
the path of every message, and httpx costs 0.9 ms of CPU per call with one call in flight and
about 3 ms with 32 in flight (httpcore checks every pooled connection on each request), against
0.17 ms for aiohttp on asyncio's loop and 0.11 ms on uvloop (same JSON request and answer, local
server). That was a third of the notification process's CPU per message.

Errors are classified here once, because the exactly-once rules depend on it: a failure before
the request could leave (no connection, connect timeout) is `connect_error`, never ambiguous;
any failure after that (disconnect, reset, read timeout) is `transport_error`, ambiguous - the
provider may have the message, so only a provider with an idempotency key may be called again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp

from motcua_notification.providers.base import ProviderError

#: Below the idle timeout of common servers (uvicorn and many gateways close idle connections after
#: 5 s), so a pooled connection is rarely reused at the moment its server closes it: such a request
#: fails after it may have left (ambiguous), which costs a ZNS message a `technical-failure`.
KEEPALIVE_SECONDS = 4.0
#: Failures that happen before any byte of the request is sent.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class HttpClient:
    """POSTs to provider APIs over a shared keep-alive pool; create it inside the running event loop."""

    def __init__(self, *, timeout: float, max_connections: int) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout, connect=timeout),
            connector=aiohttp.TCPConnector(limit=max_connections, limit_per_host=0, keepalive_timeout=KEEPALIVE_SECONDS),
        )
        #: Proxy of each URL, looked up once (aiohttp's `trust_env` reads the environment and ~/.netrc on every
        #: request: 0.5 ms of CPU per call).
        self._proxies: dict[str, str | None] = {}

    async def post(self, provider: str, url: str, *, json_body: Any = None, form: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> HttpReply:
        """POST a JSON body (compact UTF-8) or a form; any transport failure is a classified `ProviderError`."""
        sent_headers = dict(headers or {})
        data: Any = form
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            sent_headers["Content-Type"] = "application/json"
        try:
            proxy = self._proxies[url] if url in self._proxies else self._proxies.setdefault(url, env_proxy(url))
            async with self._session.post(url, data=data, headers=sent_headers, proxy=proxy,
                                          allow_redirects=False) as response:
                return HttpReply(response.status, await response.read())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise transport_error(provider, exc) from exc

    async def close(self) -> None:
        await self._session.close()


def env_proxy(url: str) -> str | None:
    """The proxy that HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY name for `url` (httpx honoured them too)."""
    parts = urlsplit(url)
    if not parts.hostname or proxy_bypass(parts.hostname):
        return None
    proxies = getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


def transport_error(provider: str, exc: Exception) -> ProviderError:
    """Classify a failed call: nothing sent (connect) vs maybe sent (timeout or disconnect after sending)."""
    if isinstance(exc, _NOT_SENT):
        return ProviderError(provider, "connect_error", f"{type(exc).__name__}: {exc}", retryable=True, provider_fault=True)
    return ProviderError(provider, "transport_error", f"{type(exc).__name__}: {exc}", retryable=True, provider_fault=True,
                         ambiguous=True)


def http_status_error(provider: str, reply: HttpReply) -> ProviderError:
    """A non-2xx answer: 5xx and 429 are retryable (nothing was accepted), other 4xx are permanent."""
    status = reply.status
    retryable = status >= 500 or status in (408, 429)
    return ProviderError(provider, f"http_{status}", reply.text[:200], retryable=retryable, provider_fault=retryable)
