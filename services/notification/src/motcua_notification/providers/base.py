"""What every provider client speaks: one message in, accepted or a classified error out.

Errors are classified by the client from the provider's documented codes:
- `retryable`: the provider or the network had a problem; the same call may succeed later;
- otherwise permanent: the message will never go through this route (invalid number,
  blocked, not a Zalo user, template refused): never retried, the next route is tried.
`provider_fault` marks errors that say the provider (not the message) is unhealthy:
they feed the circuit breaker that fails SMS over to the second provider.
`ambiguous` marks errors after which the provider may or may not have the message
(a timeout once the request was sent): only providers with an idempotency key
(`Provider.idempotent`) may retry those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    delivery_id: str
    #: Our id sent to the provider (eSMS RequestId, ZNS tracking_id, e-mail Message-ID): stable across retries.
    tracking_id: str
    route: str
    recipient: str  # E.164 phone, Zalo user id or e-mail address, per route
    body: str = ""
    subject: str = ""
    body_html: str = ""
    zns_template_id: str = ""
    zns_data: dict[str, str] = field(default_factory=dict)
    unicode: bool = False


@dataclass(frozen=True)
class Accepted:
    provider_message_id: str
    #: True when the provider said it already had this message (idempotent replay).
    duplicate: bool = False


class ProviderError(Exception):
    def __init__(self, provider: str, code: str, message: str, *, retryable: bool, provider_fault: bool = False,
                 ambiguous: bool = False) -> None:
        super().__init__(f"{provider} {code}: {message}")
        self.provider = provider
        self.code = code
        self.message = message
        self.retryable = retryable
        self.provider_fault = provider_fault
        self.ambiguous = ambiguous


class Provider(Protocol):
    name: str
    route: str
    #: The provider deduplicates on our tracking id: re-sending after a crash or timeout is safe.
    idempotent: bool

    async def send(self, message: OutboundMessage) -> Accepted: ...

    async def close(self) -> None: ...


def e164_to_local(phone: str) -> str:
    """'+84912345678' -> '0912345678' (the form Vietnamese SMS gateways document)."""
    digits = phone.lstrip("+")
    return "0" + digits[2:] if digits.startswith("84") else digits


def e164_to_84(phone: str) -> str:
    """'+84912345678' -> '84912345678' (the form ZNS and SpeedSMS document)."""
    digits = phone.lstrip("+")
    return "84" + digits[1:] if digits.startswith("0") else digits
