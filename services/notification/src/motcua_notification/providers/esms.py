"""eSMS.vn brandname SMS, customer-care messages (SmsType 2).

Contract (eSMS developer documentation, "Send OTP/Customer care message"):

    POST {base}/MainService.svc/json/SendMultipleMessage_V4_post_json/
    {"ApiKey", "SecretKey", "Phone": "0912345678", "Content", "Brandname", "SmsType": "2",
     "IsUnicode": "0"|"1", "Sandbox": "0", "RequestId": <our tracking id>, "CallbackUrl": <receipt URL>}
    -> {"CodeResult": "100", "CountRegenerate": 0, "SMSID": "..."}

`RequestId` makes the call idempotent: the same RequestId again answers
CodeResult 124 ("Duplicate RequestId") and sends nothing, so a message whose
outcome is unknown (a crash or a timeout after the request left) is simply sent
again with the same RequestId. Codes used (table of error codes):
100 accepted; 124 duplicate RequestId (= already accepted); 99 phone blocked,
108 phone malformed, 177 network not registered, 146 template (content) not
registered, 104 brandname unknown, 118/300 type -> permanent; 101 bad key,
102 no price list, 103 balance, 140 IP not whitelisted -> the account is
unusable: retryable and counted against the provider (fail over); HTTP 5xx,
429, network errors -> retryable.

Receipts: eSMS calls CallbackUrl with HTTP GET and the query parameters SMSID,
RequestId, SendStatus (5 sent/delivered, 4 rejected), SendSuccess, SendFailed,
phonenumber, TypeId, telcoid. eSMS does not sign callbacks, so the URL carries a
secret token (`provider_callback_token`).
"""

from __future__ import annotations

from motcua_notification.providers.base import Accepted, OutboundMessage, ProviderError, e164_to_local
from motcua_notification.providers.http import HttpClient, http_status_error

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
PERMANENT = {"99": "phone blocked", "108": "phone number malformed", "177": "network not registered",
             "146": "customer-care template not registered", "104": "brandname not registered",
             "118": "unsupported message type", "300": "missing message type"}
ACCOUNT = {"101": "wrong ApiKey/SecretKey", "102": "no price list", "103": "insufficient balance",
           "140": "IP not whitelisted"}


class EsmsClient:
    name = "esms"
    route = "sms"
    idempotent = True

    def __init__(self, *, base_url: str, api_key: str, secret_key: str, brandname: str, callback_url: str,
                 client: HttpClient) -> None:
        self._url = base_url.rstrip("/") + SEND_PATH
        self._api_key = api_key
        self._secret_key = secret_key
        self._brandname = brandname
        self._callback_url = callback_url
        self._client = client

    async def send(self, message: OutboundMessage) -> Accepted:
        payload = {
            "ApiKey": self._api_key,
            "SecretKey": self._secret_key,
            "Phone": e164_to_local(message.recipient),
            "Content": message.body,
            "Brandname": self._brandname,
            "SmsType": "2",
            "IsUnicode": "1" if message.unicode else "0",
            "Sandbox": "0",
            "RequestId": message.tracking_id,
            "CallbackUrl": self._callback_url,
        }
        reply = await self._client.post(self.name, self._url, json_body=payload)
        if reply.status != 200:
            raise http_status_error(self.name, reply)
        try:
            body = reply.json()
        except ValueError:
            raise ProviderError(self.name, "bad_response", reply.text[:200], retryable=True, provider_fault=True) from None
        code = str(body.get("CodeResult", ""))
        if code == "100":
            return Accepted(provider_message_id=str(body.get("SMSID", "")))
        if code == "124":
            return Accepted(provider_message_id=str(body.get("SMSID", "")), duplicate=True)
        detail = str(body.get("ErrorMessage") or PERMANENT.get(code) or ACCOUNT.get(code) or body)[:200]
        if code in ACCOUNT:
            raise ProviderError(self.name, code, detail, retryable=True, provider_fault=True)
        if code in PERMANENT:
            raise ProviderError(self.name, code, detail, retryable=False)
        # Undocumented code: retry a while, but count it against the provider.
        raise ProviderError(self.name, code or "unknown", detail, retryable=True, provider_fault=True)

    async def close(self) -> None:
        return None  # the shared HTTP client is closed by its owner
