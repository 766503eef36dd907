"""Channel policy: which routes to try, in which order, and when.

- No legal basis (a dossier or booking of the citizen, or a recorded consent): nothing is sent.
- Opted out of everything: only essential notices go out (reminders do not).
- Primary chain, in the citizen's channel order (default Zalo, then SMS):
  Zalo customer-service message when the citizen follows the OA, wrote to it within the
  reply window and the window's quota is not used up; else a ZNS template message by
  phone; else SMS. A route that fails for good hands over to the next one.
- E-mail in addition when the citizen gave an address (and did not opt out of it).
- Quiet hours: non-urgent messages wait until the quiet hours end (deferred, not dropped);
  e-mail is not held back (it does not ring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")

ZALO, SMS, EMAIL = "zalo", "sms", "email"
DEFAULT_ORDER = (ZALO, SMS, EMAIL)
ROUTE_CHANNEL = {"zalo_cs": ZALO, "zns": ZALO, "sms": SMS, "email": EMAIL}


@dataclass(frozen=True)
class Contact:
    phone: str = ""
    email: str = ""
    zalo_user_id: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class Preferences:
    channels: tuple[str, ...] = ()
    opted_out: frozenset[str] = frozenset()
    opt_out_all: bool = False
    quiet_start: time | None = None
    quiet_end: time | None = None
    has_consent: bool = False


@dataclass(frozen=True)
class ZaloState:
    """What the service knows of the citizen on the Official Account."""

    followed: bool | None = None  # None: never heard from the OA webhook
    last_interaction_at: datetime | None = None
    cs_sent_in_window: int = 0


@dataclass(frozen=True)
class PolicyConfig:
    cs_window: timedelta = timedelta(hours=48)
    cs_quota: int = 8
    default_quiet_start: time | None = time(21, 0)
    default_quiet_end: time | None = time(7, 0)


@dataclass(frozen=True)
class Planned:
    route: str
    recipient: str
    step: int
    not_before: datetime


@dataclass(frozen=True)
class Plan:
    """First deliveries to create, the whole primary chain (for fallbacks), or why nothing is sent."""

    deliveries: list[Planned] = field(default_factory=list)
    chain: tuple[str, ...] = ()
    suppressed: str | None = None
    reason: str = ""


def address_for(route: str, contact: Contact) -> str:
    return {"zalo_cs": contact.zalo_user_id, "zns": contact.phone, "sms": contact.phone, "email": contact.email}[route]


def in_reply_window(zalo: ZaloState, now: datetime, config: PolicyConfig) -> bool:
    if zalo.followed is False or zalo.last_interaction_at is None:
        return False
    return now - zalo.last_interaction_at <= config.cs_window and zalo.cs_sent_in_window < config.cs_quota


def quiet_until(now: datetime, start: time | None, end: time | None) -> datetime | None:
    """Return when the quiet hours containing `now` end, or None when `now` is not in them."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(VIETNAM)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_at = datetime.combine(local.date(), end, tzinfo=VIETNAM)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at.astimezone(UTC)


def plan(
    *,
    contact: Contact,
    prefs: Preferences,
    zalo: ZaloState,
    available_routes: frozenset[str],
    now: datetime,
    config: PolicyConfig,
    urgent: bool,
    essential: bool,
    legal_basis: str,
    requested_order: Sequence[str] = (),
) -> Plan:
    """Decide the deliveries of one notification (pure)."""
    if not legal_basis and not prefs.has_consent:
        return Plan(suppressed="no_legal_basis", reason="no consent or legal basis recorded for this recipient")
    if prefs.opt_out_all and not essential:
        return Plan(suppressed="opted_out", reason="the recipient opted out of non-essential messages")
    order = [c for c in (requested_order or prefs.channels or DEFAULT_ORDER) if c in DEFAULT_ORDER]
    order = list(dict.fromkeys(order))
    chain: list[str] = []
    for channel in order:
        if channel in prefs.opted_out:
            continue
        if channel == ZALO:
            if "zalo_cs" in available_routes and contact.zalo_user_id and in_reply_window(zalo, now, config):
                chain.append("zalo_cs")
            if "zns" in available_routes and contact.phone:
                chain.append("zns")
        elif channel == SMS and "sms" in available_routes and contact.phone:
            chain.append("sms")
    wants_email = EMAIL in order and EMAIL not in prefs.opted_out and "email" in available_routes and bool(contact.email)
    if not chain and not wants_email:
        opted = bool(prefs.opted_out) and any(address_for(r, contact) for r in ("zns", "email"))
        return Plan(suppressed="opted_out" if opted else "no_channel",
                    reason="the recipient opted out of every reachable channel" if opted
                    else "no reachable channel (no Zalo, phone or e-mail)")
    deferred = None if urgent else quiet_until(now, prefs.quiet_start or config.default_quiet_start,
                                               prefs.quiet_end or config.default_quiet_end)
    deliveries: list[Planned] = []
    if chain:
        deliveries.append(Planned(chain[0], address_for(chain[0], contact), 0, deferred or now))
    if wants_email:
        deliveries.append(Planned("email", contact.email, 0, now))
    return Plan(deliveries=deliveries, chain=tuple(chain))


def next_in_chain(chain: Sequence[str], route: str) -> str | None:
    """The route after `route` in the primary chain, or None at its end (or for e-mail)."""
    if route not in chain:
        return None
    index = list(chain).index(route)
    return chain[index + 1] if index + 1 < len(chain) else None
