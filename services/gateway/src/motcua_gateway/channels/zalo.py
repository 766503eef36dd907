"""What one Zalo OA event does: receipts, follows, look-ups, keyword search, registration, photos.

Replies go out through NotificationService.SendChannelReply (the notification service's Zalo
provider: same base URL, token refresh and fakes), keyed `zalo:<inbound key>:<rank>` so a
reprocessed event never replies twice. Personal data (name, phone, address) stays in the
gateway's tables and is never logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from prometheus_client import Counter

from motcua.notification.v1 import notification_service_pb2 as note
from motcua.scheduler.v1 import scheduler_service_pb2 as sch
from motcua_gateway.channels import conversation as conv
from motcua_gateway.channels import repository as repo
from motcua_gateway.channels.backends import Backends, local_label
from motcua_gateway.channels.repository import Conn, InboxRow
from motcua_gateway.channels.status import BAD_FORMAT, look_up
from motcua_gateway.channels.text import fold, normalize_phone, parse_lookup
from motcua_gateway.channels.worker import Outcome
from motcua_gateway.ratelimit import TokenBucketLimiter
from motcua_gateway.settings import Settings
from motcua_platform.logging import get_logger

log = get_logger(__name__)

RATE_LIMITED = Counter("motcua_channel_rate_limited_total", "Look-ups refused by the per-user rate limit", ["channel"])
CHANNEL = "zalo"
SUPPLEMENT_REQUESTED = 5
LINK_PHRASES = frozenset({"lien ket", "chia se thong tin", "lien ket ho so"})

WELCOME = ("Cảm ơn anh/chị đã quan tâm Bộ phận Một cửa! Anh/chị có thể:\n"
           "• gửi #<mã hồ sơ> để tra cứu hồ sơ, ví dụ #000.00.41.H29-250101-0001;\n"
           "• gõ tên thủ tục (ví dụ “khai sinh”, “rượu”) để tìm thủ tục;\n"
           "• bấm “ĐK hỗ trợ tại nhà” để đăng ký cán bộ đến nhà hỗ trợ nộp hồ sơ.")
HELP = ("Xin lỗi, chưa hiểu yêu cầu “{text}”. " + WELCOME.split("! ", 1)[1])
RATE_LIMIT_TEXT = "Anh/chị tra cứu quá nhanh, vui lòng thử lại sau {seconds} giây."
LINK_TITLE = "Liên kết Zalo với hồ sơ của anh/chị"
LINK_TEXT = ("Bấm “Chia sẻ thông tin” (có đánh dấu đồng ý) để liên kết số điện thoại: khi gửi #<mã hồ sơ>, anh/chị sẽ "
             "xem được đầy đủ hồ sơ đứng tên số điện thoại này.")
INFO_THANKS = ("Cảm ơn anh/chị đã chia sẻ thông tin. Từ nay khi gửi #<mã hồ sơ>, anh/chị xem được đầy đủ các hồ sơ "
               "đứng tên số điện thoại {phone}.")
INFO_BAD_PHONE = ("Số điện thoại chia sẻ chưa đúng (cần số di động Việt Nam). Anh/chị vui lòng cập nhật số điện thoại "
                  "trong thông tin chia sẻ và bấm “Chia sẻ thông tin” lại.")
IMAGE_SAVED = ("Đã nhận {count} ảnh giấy tờ bổ sung cho hồ sơ {code}. Cán bộ sẽ kiểm tra và báo lại cho anh/chị. "
               "Khi đến nhận kết quả, anh/chị mang theo bản chính để đối chiếu.")
IMAGE_GUIDE = ("Ảnh giấy tờ chỉ được nhận cho hồ sơ của anh/chị đang chờ bổ sung. Anh/chị hãy bấm “Chia sẻ thông tin” để "
               "liên kết số điện thoại, gửi #<mã hồ sơ> rồi gửi lại ảnh; hoặc bổ sung tại Bộ phận Một cửa.")
OTHER_MESSAGE = "Hiện Zalo OA chỉ nhận tin nhắn chữ và ảnh giấy tờ. " + WELCOME.split("! ", 1)[1]


def event_time(payload: dict[str, Any]) -> datetime:
    stamp = str(payload.get("timestamp", ""))
    return datetime.fromtimestamp(int(stamp) / 1000, UTC) if stamp.isdigit() else datetime.now(UTC)


def routing(body: dict[str, Any]) -> tuple[str, str] | None:
    """(dedupe key, sender) of an event the webhook keeps; None for events it only acknowledges."""
    name = str(body.get("event_name", ""))
    stamp = str(body.get("timestamp", ""))
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    if name in ("follow", "unfollow"):
        user = str((body.get("follower") or {}).get("id", ""))
        return (f"{name}:{user}:{stamp}", user) if user else None
    if name == "user_received_message":
        user = str((body.get("recipient") or {}).get("id", ""))
        msg_id = str(message.get("msg_id", ""))
        return (f"{name}:{msg_id}", user) if msg_id else None
    if name == "user_seen_message":
        user = str((body.get("recipient") or {}).get("id", ""))
        ids = ",".join(str(m) for m in message.get("msg_ids") or [])
        return (f"{name}:{user}:{stamp}:{ids}"[:400], user) if ids else None
    if name == "user_submit_info" or name.startswith("user_send_"):
        user = str((body.get("sender") or {}).get("id", ""))
        if not user:
            return None
        msg_id = str(message.get("msg_id", ""))
        return (f"msg:{msg_id}" if msg_id else f"{name}:{user}:{stamp}", user)
    return None


@dataclass
class Replies:
    backends: Backends
    user: str
    key: str
    sent: int = 0

    async def send(self, text: str, *, card_title: str = "") -> None:
        self.sent += 1
        await self.backends.reply(key=f"zalo:{self.key}:{self.sent}", zalo_user_id=self.user, text=text[:2000],
                                  card_title=card_title)


class ZaloHandler:
    def __init__(self, *, pool: Any, backends: Backends, settings: Settings, limiter: TokenBucketLimiter) -> None:
        self._pool = pool
        self._b = backends
        self._s = settings
        self._limiter = limiter

    async def __call__(self, row: InboxRow, out: Outcome) -> None:
        e, name, user = row.payload, row.event_name, row.sender
        at = event_time(e)
        message = e.get("message") if isinstance(e.get("message"), dict) else {}
        if name == "user_received_message":
            tracking = str(message.get("tracking_id") or "")
            millis = str(message.get("delivery_time") or "")
            when = datetime.fromtimestamp(int(millis) / 1000, UTC) if millis.isdigit() else at
            await self._b.receipt(provider="zalo_zns" if tracking else "zalo_oa",
                                  provider_message_id=str(message.get("msg_id", "")), tracking_id=tracking, at=when)
            return
        if name == "user_seen_message":
            for msg_id in message.get("msg_ids") or []:
                await self._b.receipt(provider="zalo_oa", provider_message_id=str(msg_id), tracking_id="", at=at)
            return
        replies = Replies(self._b, user, row.dedupe_key)
        if name in ("follow", "unfollow"):
            kind = note.ZALO_INTERACTION_FOLLOW if name == "follow" else note.ZALO_INTERACTION_UNFOLLOW
            await self._b.zalo_interaction(zalo_user_id=user, kind=kind, at=at)
            if name == "follow":
                # Following is an interaction too (Zalo opens the consultation window): answer with the menu.
                await self._b.zalo_interaction(zalo_user_id=user, kind=note.ZALO_INTERACTION_MESSAGE, at=at)
                await replies.send(WELCOME)
            return
        # The citizen wrote to the OA: this opens the reply window before we answer.
        await self._b.zalo_interaction(zalo_user_id=user, kind=note.ZALO_INTERACTION_MESSAGE, at=at)
        async with self._pool.acquire() as conn:
            state = conv.State.from_json(await repo.conversation(conn, channel=CHANNEL, sender=user))
            ident = await repo.identity(conn, channel=CHANNEL, sender=user)
        if name == "user_submit_info":
            await self._on_info(e.get("info") or {}, state, at, replies, out, user)
        elif name == "user_send_text":
            await self._on_text(str(message.get("text", "")), state, ident, replies, out, user, row.dedupe_key)
        elif name == "user_send_image":
            await self._on_image(message, ident, replies, out, user)
        else:
            await replies.send(OTHER_MESSAGE)

    # -- text ------------------------------------------------------------------------------------------

    async def _on_text(self, text: str, state: conv.State | None, ident: Any, replies: Replies, out: Outcome, user: str,
                       key: str) -> None:
        now = time.time()
        timeout = self._s.channels.conversation_timeout_seconds
        decision = conv.decide(state, text, now=now, timeout=timeout)
        kind = decision.kind
        if kind == conv.START:
            self._save(out, user, conv.State(step="await_info", updated_at=now))
            await replies.send(conv.ASK_INFO_TEXT, card_title=conv.ASK_INFO_TITLE)
        elif kind in (conv.ABORT, conv.EXPIRE):
            self._save(out, user, None)
            await replies.send(conv.ABORTED if kind == conv.ABORT else conv.EXPIRED)
        elif kind == conv.REPROMPT:
            assert state is not None
            state.updated_at = now
            self._save(out, user, state)
            await replies.send(decision.message)
        elif kind == conv.SEARCH:
            assert state is not None
            if not await self._allowed(user, replies):
                return
            found = await self._b.search_procedures(decision.keyword)
            state.updated_at = now
            if not found:
                self._save(out, user, state)
                await replies.send(conv.NO_PROCEDURE.format(keyword=decision.keyword))
                return
            state.step, state.procedures = "choose_procedure", [{"code": p.code, "name": p.name} for p in found]
            self._save(out, user, state)
            await replies.send(conv.CHOOSE_PROCEDURE.format(items=conv.numbered([p.name for p in found])))
        elif kind == conv.PICK_PROCEDURE:
            assert state is not None
            await self._pick_procedure(state, decision.index, ident, replies, out, user, now)
        elif kind == conv.PICK_SLOT:
            assert state is not None
            await self._pick_slot(state, decision.index, ident, replies, out, user, now, key)
        else:
            await self._command(text, ident, replies, out, user)

    async def _command(self, text: str, ident: Any, replies: Replies, out: Outcome, user: str) -> None:
        lookup = parse_lookup(text)
        if lookup is not None:
            if not await self._allowed(user, replies):
                return
            if not lookup.code:
                await replies.send(BAD_FORMAT)
                return
            phone = ident["phone"] if ident is not None else ""
            answer = await look_up(self._b, code=lookup.code, token=lookup.token, phone=phone,
                                   base_url=self._s.public_base_url)
            if answer.linked and ident is not None:
                out.add(lambda c, code=lookup.code: repo.set_last_dossier(c, channel=CHANNEL, sender=user, dossier_code=code))
            log.info("zalo_lookup", found=answer.found, linked=answer.linked)
            await replies.send(answer.text)
            return
        folded = fold(text)
        if folded in LINK_PHRASES:
            await replies.send(LINK_TEXT, card_title=LINK_TITLE)
            return
        if not folded:
            await replies.send(HELP.format(text=text[:40]))
            return
        if not await self._allowed(user, replies):
            return
        found = await self._b.search_procedures(text.strip()[:100])
        if not found:
            await replies.send(HELP.format(text=text.strip()[:40]))
            return
        base = self._s.public_base_url.rstrip("/")
        items = conv.numbered([f"{p.name}\n   {base}/thu-tuc/{p.code}" for p in found])
        await replies.send(f"Các thủ tục phù hợp với “{text.strip()[:60]}”:\n{items}\n"
                           "Cần hỗ trợ nộp hồ sơ tại nhà? Bấm “ĐK hỗ trợ tại nhà”.")

    async def _allowed(self, user: str, replies: Replies) -> bool:
        wait = self._limiter.acquire(f"zalo:{user}")
        if wait <= 0:
            return True
        RATE_LIMITED.labels(CHANNEL).inc()
        log.info("channel_rate_limited", channel=CHANNEL, retry_after_s=round(wait, 1))
        await replies.send(RATE_LIMIT_TEXT.format(seconds=max(1, round(wait))))
        return False

    # -- registration ----------------------------------------------------------------------------------

    async def _pick_procedure(self, state: conv.State, index: int, ident: Any, replies: Replies, out: Outcome, user: str,
                              now: float) -> None:
        procedure = state.procedures[index]
        if ident is None or not ident["phone"]:
            self._save(out, user, conv.State(step="await_info", updated_at=now))
            await replies.send(conv.ASK_INFO_TEXT, card_title=conv.ASK_INFO_TITLE)
            return
        ward = await self._b.ward_code(ident["ward_name"])
        if not ward:
            self._save(out, user, None)
            await replies.send(conv.UNKNOWN_AREA.format(ward=ident["ward_name"] or "chưa rõ",
                                                        portal=self._s.public_base_url.rstrip("/")))
            return
        slots = await self._b.home_slots(ward_code=ward, procedure_code=procedure["code"])
        if not slots:
            self._save(out, user, None)
            await replies.send(conv.NO_SLOT)
            return
        state.step, state.procedure, state.updated_at = "choose_slot", procedure, now
        state.slots = [{"slot_id": s.slot_id, "label": local_label(s.starts_at), "ward_code": ward} for s in slots]
        self._save(out, user, state)
        await replies.send(conv.CHOOSE_SLOT.format(items=conv.numbered([s["label"] for s in state.slots])))

    async def _pick_slot(self, state: conv.State, index: int, ident: Any, replies: Replies, out: Outcome, user: str,
                         now: float, key: str) -> None:
        slot = state.slots[index]
        if ident is None or not ident["phone"]:
            self._save(out, user, conv.State(step="await_info", updated_at=now))
            await replies.send(conv.ASK_INFO_TEXT, card_title=conv.ASK_INFO_TITLE)
            return
        try:
            booked = await self._b.book_home_visit(
                key=f"zalo-booking:{key}", slot_id=slot["slot_id"], full_name=ident["full_name"], phone=ident["phone"],
                street=ident["street"], ward_code=slot["ward_code"], ward_name=ident["ward_name"],
                district_name=ident["district_name"], province_name=ident["province_name"], zalo_user_id=user,
                procedure_code=state.procedure.get("code", ""),
                consent_at=ident["consent_given_at"] or datetime.now(UTC),
                consent_version=ident["consent_text_version"] or conv.CONSENT_TEXT_VERSION)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ALREADY_EXISTS):
                raise
            slots = await self._b.home_slots(ward_code=slot["ward_code"], procedure_code=state.procedure.get("code", ""))
            if not slots:
                self._save(out, user, None)
                await replies.send(conv.NO_SLOT)
                return
            state.slots = [{"slot_id": s.slot_id, "label": local_label(s.starts_at), "ward_code": slot["ward_code"]}
                           for s in slots]
            state.updated_at = now
            self._save(out, user, state)
            await replies.send(conv.SLOT_TAKEN.format(items=conv.numbered([s["label"] for s in state.slots])))
            return
        booking: sch.Booking = booked.booking
        self._save(out, user, None)
        link = f"{self._s.public_base_url.rstrip('/')}/lich-hen/{booking.id}?token={booking.token}"
        log.info("zalo_booking_requested", booking_id=booking.id, replayed=booked.replayed)
        await replies.send(conv.SUCCESS.format(procedure=state.procedure.get("name", ""),
                                               when=local_label(booking.slot.starts_at) if booking.slot.slot_id
                                               else slot["label"], ref=booking.id[:8].upper(), link=link))

    async def _on_info(self, info: dict[str, Any], state: conv.State | None, at: datetime, replies: Replies, out: Outcome,
                       user: str) -> None:
        phone = normalize_phone(str(info.get("phone", "")))
        current = conv.active(state, time.time(), self._s.channels.conversation_timeout_seconds)
        if phone is None:
            await replies.send(INFO_BAD_PHONE)
            return
        values = {"full_name": str(info.get("name", ""))[:120], "phone": phone, "street": str(info.get("address", ""))[:300],
                  "ward_name": str(info.get("ward", ""))[:120], "district_name": str(info.get("district", ""))[:120],
                  "province_name": str(info.get("city", ""))[:120]}

        async def save(conn: Conn) -> None:
            await repo.save_identity(conn, channel=CHANNEL, sender=user, consent_given_at=at,
                                     consent_text_version=conv.CONSENT_TEXT_VERSION, **values)

        out.add(save)
        log.info("zalo_identity_shared", phone=phone)
        if current is not None and current.step == "await_info":
            self._save(out, user, conv.State(step="await_keyword", updated_at=time.time()))
            await replies.send(conv.ASK_KEYWORD.format(name=values["full_name"] or ""))
        else:
            from motcua_gateway.channels.text import mask_phone

            await replies.send(INFO_THANKS.format(phone=mask_phone(phone)))

    # -- images ----------------------------------------------------------------------------------------

    async def _on_image(self, message: dict[str, Any], ident: Any, replies: Replies, out: Outcome, user: str) -> None:
        urls = [str((a.get("payload") or {}).get("url", "")) for a in message.get("attachments") or []
                if isinstance(a, dict) and a.get("type") == "image"]
        urls = [u for u in urls if u.startswith(("https://", "http://"))]
        caption = parse_lookup(str(message.get("text", "")))
        code = caption.code if caption is not None and caption.code else (ident["last_dossier_code"] if ident else "")
        dossier = await self._b.dossier_full(code) if code and ident is not None and ident["phone"] and urls else None
        if dossier is None or normalize_phone(dossier.applicant.phone) != ident["phone"] \
                or dossier.status_code != SUPPLEMENT_REQUESTED:
            await replies.send(IMAGE_GUIDE)
            return
        msg_id = str(message.get("msg_id", ""))
        for url in urls:
            out.add(lambda c, u=url: repo.add_attachment(c, channel=CHANNEL, sender=user, dossier_code=dossier.code, url=u,
                                                         message_id=msg_id))
        log.info("zalo_supplement_images", dossier_code=dossier.code, count=len(urls))
        await replies.send(IMAGE_SAVED.format(count=len(urls), code=dossier.code))

    def _save(self, out: Outcome, user: str, state: conv.State | None) -> None:
        data = state.to_json() if state is not None else None
        out.add(lambda c: repo.save_conversation(c, channel=CHANNEL, sender=user, state=data))
