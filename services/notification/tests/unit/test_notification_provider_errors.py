"""Provider clients classify the documented error codes (httpx MockTransport: no network)."""

from __future__ import annotations

import json

import httpx
import pytest

from motcua_notification.providers.base import OutboundMessage, ProviderError
from motcua_notification.providers.esms import EsmsClient
from motcua_notification.providers.speedsms import SpeedSmsClient
from motcua_notification.providers.zalo import ZaloTokens, ZnsClient

SMS = OutboundMessage(delivery_id="d1", tracking_id="t1", route="sms", recipient="+84912345678", body="Ho so X")


def esms(answer: dict[str, object], status: int = 200) -> EsmsClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        assert sent["Phone"] == "0912345678" and sent["RequestId"] == "t1" and sent["SmsType"] == "2"
        return httpx.Response(status, json=answer)

    return EsmsClient(base_url="http://esms", api_key="k", secret_key="s", brandname="B", callback_url="http://cb",
                      timeout=1, client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_esms_accepts_treats_duplicate_request_id_as_sent_and_classifies_errors() -> None:
    assert (await esms({"CodeResult": "100", "SMSID": "s1"}).send(SMS)).provider_message_id == "s1"
    assert (await esms({"CodeResult": "124", "ErrorMessage": "Request exist"}).send(SMS)).duplicate
    with pytest.raises(ProviderError) as blocked:
        await esms({"CodeResult": "99"}).send(SMS)
    assert not blocked.value.retryable
    with pytest.raises(ProviderError) as balance:
        await esms({"CodeResult": "103"}).send(SMS)
    assert balance.value.retryable and balance.value.provider_fault
    with pytest.raises(ProviderError) as down:
        await esms({}, status=502).send(SMS)
    assert down.value.retryable and down.value.code == "http_502"


async def test_speedsms_invalid_phone_is_permanent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        return httpx.Response(200, json={"status": "error", "code": "105", "message": "invalid phone"})

    client = SpeedSmsClient(base_url="http://speed", access_token="t", sender="B", timeout=1,
                            client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    with pytest.raises(ProviderError) as refused:
        await client.send(SMS)
    assert not refused.value.retryable and refused.value.code == "105"


async def test_zns_refreshes_an_invalid_token_once_and_stores_the_new_pair() -> None:
    saved: list[tuple[str, str, int]] = []
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v4/oa/access_token":
            assert request.headers["secret_key"] == "app-secret" and b"grant_type=refresh_token" in request.content
            return httpx.Response(200, json={"access_token": "new", "refresh_token": "r2", "expires_in": "90000"})
        calls.append(request.headers["access_token"])
        if request.headers["access_token"] != "new":
            return httpx.Response(200, json={"error": -124, "message": "Access token is invalid"})
        return httpx.Response(200, json={"error": 0, "data": {"msg_id": "m1"}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))

    async def load() -> tuple[str, str] | None:
        return (saved[-1][0], saved[-1][1]) if saved else None

    async def save(access: str, refresh: str, expires: int) -> None:
        saved.append((access, refresh, expires))

    tokens = ZaloTokens(oauth_base_url="http://oauth", app_id="a", app_secret="app-secret", bootstrap_access="old",
                        bootstrap_refresh="r1", load=load, save=save, client=http)
    zns = ZnsClient(base_url="http://zns", tokens=tokens, client=http)
    message = OutboundMessage(delivery_id="d", tracking_id="t", route="zns", recipient="+84912345678",
                              zns_template_id="1", zns_data={"a": "b"})
    assert (await zns.send(message)).provider_message_id == "m1"
    assert calls == ["old", "new"] and saved == [("new", "r2", 90000)]
