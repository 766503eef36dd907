"""What one inbound SMS (eSMS short-code MO) does: status look-up, booking cancellation with confirmation, help.

    TC <mã hồ sơ> | #<mã hồ sơ>  -> status; the fuller status when the sender is the applicant's phone
    HUY <mã lịch hẹn>             -> "Trả lời CO để xác nhận" (only for the booking's own phone)
    CO / KHONG                    -> cancels through the scheduler / keeps it
    anything else                 -> short help

Replies are SMS through NotificationService.SendChannelReply (which applies the SMS length
policy: GSM-7 without diacritics, cut to one segment); texts here are written short and plain.
"""

from __future__ import annotations

import re
import time
from typing import Any

from prometheus_client import Counter

from motcua_gateway.channels import repository as repo
from motcua_gateway.channels.backends import Backends, local_label
from motcua_gateway.channels.repository import InboxRow
from motcua_gateway.channels.status import look_up
from motcua_gateway.channels.text import fold, normalize_dossier_code, normalize_phone
from motcua_gateway.channels.worker import Outcome, PermanentError
from motcua_gateway.ratelimit import TokenBucketLimiter
from motcua_gateway.settings import Settings
from motcua_platform.logging import get_logger

log = get_logger(__name__)

RATE_LIMITED = Counter("motcua_channel_sms_rate_limited_total", "SMS look-ups refused by the per-phone rate limit")
CHANNEL = "sms"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

HELP = "Mot Cua: nhan TC <ma ho so> de tra cuu ho so; HUY <ma lich hen> de huy lich hen. VD: TC 000.00.41.H29-250101-0001"
BAD_CODE = "Ma ho so chua dung. Nhan: TC <ma ho so>, VD: TC 000.00.41.H29-250101-0001"
NO_BOOKING = "Khong tim thay lich hen {ref} dang ky bang so dien thoai nay."
CONFIRM = "Ban muon huy lich hen {ref} luc {when}? Tra loi CO de xac nhan, KHONG de giu lich."
CANCELLED = "Da huy lich hen {ref} luc {when}. Cam on ban."
KEPT = "Lich hen {ref} duoc giu nguyen."
NOTHING_TO_CONFIRM = "Khong co yeu cau huy lich nao dang cho xac nhan. " + HELP
NOT_CANCELLABLE = "Lich hen {ref} khong the huy qua SMS (da dien ra hoac da huy). Vui long goi Bo phan Mot cua."
RATE_LIMIT_TEXT = "Ban tra cuu qua nhanh, vui long thu lai sau {seconds} giay."


def parse(content: str, service_keyword: str = "") -> tuple[str, str]:
    """(command, argument): ('TC', code) | ('HUY', ref) | ('CO', '') | ('KHONG', '') | ('', text)."""
    words = content.strip().split()
    # eSMS passes the MO's first word as `keyword`; a service keyword ("MOTCUA TC ...") is dropped.
    if len(words) > 1 and service_keyword.isalpha() and fold(words[0]) == fold(service_keyword) \
            and fold(words[0]) not in ("tc", "huy", "co", "khong"):
        words = words[1:]
    if not words:
        return "", ""
    head = fold(words[0])
    rest = " ".join(words[1:])
    if words[0].startswith("#"):
        return "TC", " ".join(words)[1:]
    if head in ("tc", "tra", "tracuu"):
        return "TC", rest
    if head == "huy":
        return "HUY", rest.strip()
    if head in ("co", "yes", "ok", "dong y") and not rest:
        return "CO", ""
    if head in ("khong", "ko", "k") and not rest:
        return "KHONG", ""
    return "", content.strip()


class SmsHandler:
    def __init__(self, *, pool: Any, backends: Backends, settings: Settings, limiter: TokenBucketLimiter) -> None:
        self._pool = pool
        self._b = backends
        self._s = settings
        self._limiter = limiter

    async def __call__(self, row: InboxRow, out: Outcome) -> None:
        phone = normalize_phone(row.sender)
        if phone is None:
            raise PermanentError("sender is not a Vietnamese mobile number")
        command, argument = parse(str(row.payload.get("content", "")), str(row.payload.get("keyword", "")))
        sent = 0

        async def reply(text: str) -> None:
            nonlocal sent
            sent += 1
            await self._b.reply(key=f"sms:{row.dedupe_key}:{sent}", phone=phone, text=text)

        if command == "TC":
            code = normalize_dossier_code(argument)
            if code is None:
                await reply(BAD_CODE)
                return
            wait = self._limiter.acquire(f"sms:{phone}")
            if wait > 0:
                RATE_LIMITED.inc()
                await reply(RATE_LIMIT_TEXT.format(seconds=max(1, round(wait))))
                return
            answer = await look_up(self._b, code=code, token="", phone=phone, base_url=self._s.public_base_url)
            log.info("sms_lookup", found=answer.found, linked=answer.linked)
            await reply(answer.short)
        elif command == "HUY":
            ref = argument.lower()
            booking = await self._b.booking_as_system(ref) if _UUID.match(ref) else None
            if booking is None or normalize_phone(booking.citizen.phone) != phone:
                await reply(NO_BOOKING.format(ref=argument[:36] or "?"))
                return
            state = {"step": "confirm_cancel", "booking_id": booking.id, "updated_at": time.time()}
            out.add(lambda c: repo.save_conversation(c, channel=CHANNEL, sender=phone, state=state))
            await reply(CONFIRM.format(ref=booking.id[:8].upper(), when=local_label(booking.slot.starts_at)))
        elif command in ("CO", "KHONG"):
            async with self._pool.acquire() as conn:
                state = await repo.conversation(conn, channel=CHANNEL, sender=phone)
            fresh = state is not None and time.time() - float(state.get("updated_at", 0)) \
                <= self._s.channels.conversation_timeout_seconds
            if not fresh or state is None or state.get("step") != "confirm_cancel":
                await reply(NOTHING_TO_CONFIRM)
                return
            out.add(lambda c: repo.save_conversation(c, channel=CHANNEL, sender=phone, state=None))
            booking = await self._b.booking_as_system(str(state["booking_id"]))
            if booking is None or normalize_phone(booking.citizen.phone) != phone:
                await reply(NO_BOOKING.format(ref=str(state["booking_id"])[:8].upper()))
                return
            ref, when = booking.id[:8].upper(), local_label(booking.slot.starts_at)
            if command == "KHONG":
                await reply(KEPT.format(ref=ref))
                return
            import grpc

            try:
                await self._b.cancel_booking(booking_id=booking.id, token=booking.token, reason="Công dân huỷ qua SMS")
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                    raise
                await reply(NOT_CANCELLABLE.format(ref=ref))
                return
            log.info("sms_booking_cancelled", booking_id=booking.id)
            await reply(CANCELLED.format(ref=ref, when=when))
        else:
            await reply(HELP)
