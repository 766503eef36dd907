"""SpeedSMS.vn brandname SMS: the second SMS provider (failover).

Contract (SpeedSMS API documentation):

    POST {base}/index.php/sms/send     Authorization: Basic base64("<access token>:x")
    {"to": ["84912345678"], "content": "...", "sms_type": 3, "sender": "<brandname>"}
    -> {"status": "success", "code": "00", "data": {"tranId": 123, "totalSMS": 1, "totalPrice": 250,
                                                     "invalidPhone": []}}
    -> {"status": "error", "code": "105", "message": "..."}

SpeedSMS has no idempotency key: a message whose outcome is unknown is never
re-sent (it becomes technical-failure). Codes used: 101 bad parameters, 105
invalid phone, 110 encoding not supported, 113 content too long -> permanent;
007 IP locked, 008 account locked, 009 API not allowed, 300 balance -> account
unusable: retryable and counted against the provider; 500 -> retryable.

Receipts: SpeedSMS POSTs delivery reports to the webhook URL registered in its
dashboard: {"type": "report", "tranId": 123, "phone": "849...", "status": 0}
(0 = delivered, any other value = failed). The URL carries our secret token.
"""

from __future__ import annotations

import base64

from motcua_notification.providers.base import Accepted, OutboundMessage, ProviderError, e164_to_84
from motcua_notification.providers.http import HttpClient, http_status_error

SEND_PATH = "/index.php/sms/send"
PERMANENT = {"101": "invalid parameters", "105": "invalid phone number", "110": "encoding not supported",
             "113": "content too long"}
ACCOUNT = {"007": "IP locked", "008": "account locked", "009": "API access not allowed", "300": "insufficient balance"}


class SpeedSmsClient:
    name = "speedsms"
    route = "sms"
    idempotent = False

    def __init__(self, *, base_url: str, access_token: str, sender: str, client: HttpClient) -> None:
        self._url = base_url.rstrip("/") + SEND_PATH
        self._headers = {"Authorization": "Basic " + base64.b64encode(f"{access_token}:x".encode()).decode()}
        self._sender = sender
        self._client = client

    async def send(self, message: OutboundMessage) -> Accepted:
        payload = {"to": [e164_to_84(message.recipient)], "content": message.body, "sms_type": 3, "sender": self._sender}
        reply = await self._client.post(self.name, self._url, json_body=payload, headers=self._headers)
        if reply.status != 200:
            raise http_status_error(self.name, reply)
        try:
            body = reply.json()
        except ValueError:
            raise ProviderError(self.name, "bad_response", reply.text[:200], retryable=True, provider_fault=True) from None
        if body.get("status") == "success":
            data = body.get("data") or {}
            if data.get("invalidPhone"):
                raise ProviderError(self.name, "105", "invalid phone number", retryable=False)
            return Accepted(provider_message_id=str(data.get("tranId", "")))
        code = str(body.get("code", ""))
        detail = str(body.get("message") or PERMANENT.get(code) or ACCOUNT.get(code) or body)[:200]
        if code in PERMANENT:
            raise ProviderError(self.name, code, detail, retryable=False)
        raise ProviderError(self.name, code or "unknown", detail, retryable=True, provider_fault=True)

    async def close(self) -> None:
        return None  # the shared HTTP client is closed by its owner
