"""Provider clients classify the documented error codes and transport failures (a local aiohttp server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from motcua_notification.providers.base import OutboundMessage, ProviderError
from motcua_notification.providers.esms import EsmsClient
from motcua_notification.providers.http import HttpClient
from motcua_notification.providers.speedsms import SpeedSmsClient
from motcua_notification.providers.zalo import ZaloTokens, ZnsClient

SMS = OutboundMessage(delivery_id="d1", tracking_id="t1", route="sms", recipient="+84912345678", body="Hồ sơ X")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(timeout=2, max_connections=4)
    yield client
    await client.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Serve one handler for every path; return its base URL."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


async def test_esms_accepts_treats_duplicate_request_id_as_sent_and_classifies_errors(serve, http) -> None:
    answers: list[tuple[int, dict[str, object]]] = [
        (200, {"CodeResult": "100", "SMSID": "s1"}), (200, {"CodeResult": "124", "ErrorMessage": "Request exist"}),
        (200, {"CodeResult": "99"}), (200, {"CodeResult": "103"}), (502, {})]

    async def handler(request: web.Request) -> web.Response:
        sent = json.loads(await request.read())
        assert request.content_type == "application/json"
        assert sent["Phone"] == "0912345678" and sent["RequestId"] == "t1" and sent["SmsType"] == "2"
        assert sent["Content"] == "Hồ sơ X"
        status, answer = answers.pop(0)
        return web.json_response(answer, status=status)

    esms = EsmsClient(base_url=await serve(handler), api_key="k", secret_key="s", brandname="B", callback_url="http://cb",
                      client=http)
    assert (await esms.send(SMS)).provider_message_id == "s1"
    assert (await esms.send(SMS)).duplicate
    with pytest.raises(ProviderError) as blocked:
        await esms.send(SMS)
    assert not blocked.value.retryable
    with pytest.raises(ProviderError) as balance:
        await esms.send(SMS)
    assert balance.value.retryable and balance.value.provider_fault
    with pytest.raises(ProviderError) as down:
        await esms.send(SMS)
    assert down.value.retryable and down.value.code == "http_502" and not down.value.ambiguous


async def test_speedsms_invalid_phone_is_permanent(serve, http) -> None:
    async def handler(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Basic dDp4"  # base64("t:x")
        return web.json_response({"status": "error", "code": "105", "message": "invalid phone"})

    client = SpeedSmsClient(base_url=await serve(handler), access_token="t", sender="B", client=http)
    with pytest.raises(ProviderError) as refused:
        await client.send(SMS)
    assert not refused.value.retryable and refused.value.code == "105"


async def test_zns_refreshes_an_invalid_token_once_and_stores_the_new_pair(serve, http) -> None:
    saved: list[tuple[str, str, int]] = []
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/v4/oa/access_token":
            form = await request.post()
            assert request.headers["secret_key"] == "app-secret" and form["grant_type"] == "refresh_token"
            return web.json_response({"access_token": "new", "refresh_token": "r2", "expires_in": "90000"})
        calls.append(request.headers["access_token"])
        if request.headers["access_token"] != "new":
            return web.json_response({"error": -124, "message": "Access token is invalid"})
        return web.json_response({"error": 0, "data": {"msg_id": "m1"}})

    async def load() -> tuple[str, str] | None:
        return (saved[-1][0], saved[-1][1]) if saved else None

    async def save(access: str, refresh: str, expires: int) -> None:
        saved.append((access, refresh, expires))

    base = await serve(handler)
    tokens = ZaloTokens(oauth_base_url=base, app_id="a", app_secret="app-secret", bootstrap_access="old",
                        bootstrap_refresh="r1", load=load, save=save, client=http)
    zns = ZnsClient(base_url=base, tokens=tokens, client=http)
    message = OutboundMessage(delivery_id="d", tracking_id="t", route="zns", recipient="+84912345678",
                              zns_template_id="1", zns_data={"a": "b"})
    assert (await zns.send(message)).provider_message_id == "m1"
    assert calls == ["old", "new"] and saved == [("new", "r2", 90000)]


async def test_a_call_that_could_not_leave_is_not_ambiguous_and_one_cut_after_sending_is(serve, http) -> None:
    """The exactly-once rules rest on this: only an ambiguous failure may mean the provider has the message."""
    async def hang_up(request: web.Request) -> web.StreamResponse:
        await request.read()
        assert request.transport is not None
        request.transport.close()  # the request arrived; the answer never comes
        await asyncio.sleep(1)
        return web.Response()

    with pytest.raises(ProviderError) as cut:
        await http.post("esms", await serve(hang_up) + "/send", json_body={"RequestId": "t1"})
    assert cut.value.ambiguous and cut.value.retryable and cut.value.code == "transport_error"

    closed = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    with pytest.raises(ProviderError) as refused:
        await http.post("esms", f"http://127.0.0.1:{port}/send", json_body={"RequestId": "t1"})
    assert not refused.value.ambiguous and refused.value.retryable and refused.value.code == "connect_error"
