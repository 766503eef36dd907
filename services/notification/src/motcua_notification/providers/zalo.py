"""Zalo Official Account customer-service messages and ZNS template messages, with token refresh.

Contracts (Zalo for Developers, Official Account API v3 and ZNS API):

Customer-service (tư vấn) message, allowed in the reply window after the citizen wrote to the OA:

    POST {oa_base}/v3.0/oa/message/cs          header access_token: <OA access token>
    {"recipient": {"user_id": "..."}, "message": {"text": "..."}}
    or, to ask the citizen to share name/phone/address (answered by the webhook event user_submit_info):
    {"recipient": {...}, "message": {"attachment": {"type": "template", "payload": {
        "template_type": "request_user_info", "elements": [{"title", "subtitle", "image_url"}]}}}}
    -> {"error": 0, "message": "Success", "data": {"message_id": "...", "user_id": "..."}}

ZNS template message by phone number:

    POST {zns_base}/message/template            header access_token: <OA access token>
    {"phone": "84912345678", "template_id": "...", "template_data": {...}, "tracking_id": "<ours>"}
    -> {"error": 0, "message": "Success", "data": {"msg_id": "...", "sent_time": "...", "quota": {...}}}

Access tokens expire (about 25 hours); on error -216 (OA API) or -124 (ZNS)
"access token invalid" the client refreshes once and retries:

    POST {oauth_base}/v4/oa/access_token        header secret_key: <app secret>
    form: refresh_token=..., app_id=..., grant_type=refresh_token
    -> {"access_token": "...", "refresh_token": "...", "expires_in": "90000"}

Refresh tokens are single use: the new pair is stored (table provider_tokens)
before it is used, so a restart or another replica picks it up.

Neither API deduplicates on our id, so an unknown outcome is never re-sent.
ZNS receipts (webhook event user_received_message) carry msg_id and our tracking_id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from motcua_notification.providers.base import Accepted, OutboundMessage, ProviderError, e164_to_84
from motcua_notification.providers.http import HttpClient, http_status_error

TOKEN_ERRORS = {-216, -124}
#: Banner of the request_user_info card (Zalo requires an image URL).
REQUEST_INFO_IMAGE = "https://dichvucong.gov.vn/p/home/images/logo.png"
RETRYABLE = {-32: "rate limit exceeded", -100: "unknown error, try again later"}
# OA API errors that mean: this citizen cannot get a customer-service message now.
CS_PERMANENT = {-201: "invalid parameters", -204: "OA deleted", -205: "OA does not exist", -211: "out of quota",
                -213: "user has not followed the OA", -217: "user blocked the OA", -230: "user has not interacted in the window",
                -232: "message type not allowed for this user"}
ZNS_PERMANENT = {-108: "phone number invalid", -109: "template id invalid", -111: "template data empty",
                 -112: "template data invalid", -114: "user inactive or rejected the message", -115: "out of quota",
                 -118: "Zalo account does not exist", -119: "account cannot receive ZNS", -131: "template not approved",
                 -133: "ZNS not allowed at night", -139: "user refused ZNS", -141: "user refused ZNS from this OA"}

LoadTokens = Callable[[], Awaitable[tuple[str, str] | None]]
SaveTokens = Callable[[str, str, int], Awaitable[None]]


class ZaloTokens:
    """The OA's access token, refreshed on demand; one refresh at a time in this process."""

    def __init__(self, *, oauth_base_url: str, app_id: str, app_secret: str, bootstrap_access: str, bootstrap_refresh: str,
                 load: LoadTokens, save: SaveTokens, client: HttpClient) -> None:
        self._url = oauth_base_url.rstrip("/") + "/v4/oa/access_token"
        self._app_id = app_id
        self._app_secret = app_secret
        self._bootstrap = (bootstrap_access, bootstrap_refresh)
        self._load = load
        self._save = save
        self._client = client
        self._lock = asyncio.Lock()
        self._current: tuple[str, str] | None = None
        self.refreshes = 0

    async def access_token(self) -> str:
        if self._current is None:
            self._current = await self._load() or self._bootstrap
        return self._current[0]

    async def refresh(self, rejected: str) -> str:
        """Return a fresh access token; `rejected` is the one the API refused (another task may have refreshed)."""
        async with self._lock:
            stored = await self._load()
            if stored and stored[0] != rejected:
                self._current = stored
                return stored[0]
            refresh_token = (stored or self._current or self._bootstrap)[1]
            try:
                reply = await self._client.post(
                    "zalo_oauth", self._url, headers={"secret_key": self._app_secret},
                    form={"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"},
                )
                body = reply.json() if reply.status == 200 else {}
            except (ProviderError, ValueError) as exc:
                raise ProviderError("zalo_oauth", "refresh_failed", f"{type(exc).__name__}: {exc}", retryable=True,
                                    provider_fault=True) from exc
            if not body.get("access_token") or not body.get("refresh_token"):
                raise ProviderError("zalo_oauth", str(body.get("error", f"http_{reply.status}")),
                                    str(body.get("error_description") or body)[:200], retryable=True, provider_fault=True)
            expires_in = int(body.get("expires_in") or 90000)
            await self._save(body["access_token"], body["refresh_token"], expires_in)
            self._current = (body["access_token"], body["refresh_token"])
            self.refreshes += 1
            return body["access_token"]


class _ZaloApi:
    name = ""
    route = ""
    idempotent = False
    permanent: ClassVar[dict[int, str]] = {}

    def __init__(self, *, base_url: str, tokens: ZaloTokens, client: HttpClient) -> None:
        self._base = base_url.rstrip("/")
        self._tokens = tokens
        self._client = client

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        token = await self._tokens.access_token()
        for attempt in (1, 2):
            reply = await self._client.post(self.name, self._base + path, json_body=payload, headers={"access_token": token})
            if reply.status != 200:
                raise http_status_error(self.name, reply)
            try:
                body = reply.json()
                error = int(body.get("error", -100))
            except (ValueError, TypeError):
                raise ProviderError(self.name, "bad_response", reply.text[:200], retryable=True,
                                    provider_fault=True) from None
            if error == 0:
                return body.get("data") or {}
            if error in TOKEN_ERRORS and attempt == 1:
                token = await self._tokens.refresh(token)
                continue
            detail = str(body.get("message") or self.permanent.get(error) or RETRYABLE.get(error) or "")[:200]
            if error in self.permanent:
                raise ProviderError(self.name, str(error), detail, retryable=False)
            raise ProviderError(self.name, str(error), detail or "undocumented error", retryable=True, provider_fault=True)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        return None


class ZaloCsClient(_ZaloApi):
    name = "zalo_oa"
    route = "zalo_cs"
    permanent = CS_PERMANENT

    async def send(self, message: OutboundMessage) -> Accepted:
        if message.subject:
            # A customer-service message with a subject is a request_user_info card (template
            # zalo_request_user_info): the citizen taps it to share name, phone and address.
            content: dict[str, Any] = {"attachment": {"type": "template", "payload": {
                "template_type": "request_user_info",
                "elements": [{"title": message.subject, "subtitle": message.body, "image_url": REQUEST_INFO_IMAGE}]}}}
        else:
            content = {"text": message.body}
        data = await self._call("/v3.0/oa/message/cs", {"recipient": {"user_id": message.recipient}, "message": content})
        return Accepted(provider_message_id=str(data.get("message_id", "")))


class ZnsClient(_ZaloApi):
    name = "zalo_zns"
    route = "zns"
    permanent = ZNS_PERMANENT

    async def send(self, message: OutboundMessage) -> Accepted:
        data = await self._call("/message/template", {
            "phone": e164_to_84(message.recipient),
            "template_id": message.zns_template_id,
            "template_data": message.zns_data,
            "tracking_id": message.tracking_id,
        })
        return Accepted(provider_message_id=str(data.get("msg_id", "")))
