"""Use cases behind the gRPC API; one transaction each. Errors are MotcuaError with Vietnamese text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import asyncpg

from motcua_notification import repository
from motcua_notification.crypto import SecretBox
from motcua_notification.domain import templates as tpl
from motcua_notification.domain.text import sms_segments
from motcua_notification.settings import Settings
from motcua_notification.webhooks import DISABLED_NOW, SECRET_MIN_BYTES, SubscriptionRefused, check_url
from motcua_notification.worker import DeliveryWorker
from motcua_platform.errors import InvalidArgument, NotFound, PermissionDenied, PreconditionFailed
from motcua_platform.logging import get_logger

log = get_logger(__name__)

_PHONE = re.compile(r"^\+84\d{9,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
AUTO_PARAMS = frozenset({"full_name", "lookup_url"})
CHANNELS = ("zalo", "sms", "email")


def normalize_phone(value: str) -> str:
    """'0912 345 678', '84912345678', '+84912345678' -> '+84912345678'; raise InvalidArgument otherwise."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("0"):
        digits = "+84" + digits[1:]
    elif digits.startswith("84"):
        digits = "+" + digits
    if not _PHONE.match(digits):
        raise InvalidArgument("PHONE_INVALID", "phone must be a Vietnamese number (+84...)",
                              "Số điện thoại không hợp lệ (định dạng +84...).")
    return digits


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:5] + "*" * max(0, len(phone) - 8) + phone[-3:]


def mask_email(email: str | None) -> str:
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass
class Page:
    page: int
    size: int

    @classmethod
    def of(cls, page: int, size: int) -> Page:
        return cls(max(1, page or 1), min(100, max(1, size or 20)))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class NotificationService:
    def __init__(self, *, pool: asyncpg.Pool, settings: Settings, worker: DeliveryWorker, box: SecretBox) -> None:
        self._pool = pool
        self._s = settings
        self.settings = settings
        self._worker = worker
        self._box = box

    # -- sending and looking up --------------------------------------------------------------------

    async def send_message(self, *, idempotency_key: str, phone: str, email: str, zalo_user_id: str,
                           channel_preference: Sequence[str], template_code: str, params: Mapping[str, str],
                           dossier_code: str, booking_id: str, urgent: bool) -> uuid.UUID:
        """Accept a direct send; the worker plans and sends it. Idempotent on `idempotency_key`."""
        if not idempotency_key or len(idempotency_key) > 200:
            raise InvalidArgument("IDEMPOTENCY_KEY_REQUIRED", "idempotency_key is required (at most 200 characters)",
                                  "Thiếu khoá chống gửi trùng (idempotency_key).")
        try:
            kind = tpl.kind_of(template_code)
        except tpl.UnknownTemplate:
            raise NotFound("TEMPLATE_NOT_FOUND", f"unknown template {template_code!r}", "Không tìm thấy mẫu tin nhắn.") from None
        phone = normalize_phone(phone) if phone else ""
        if email and not _EMAIL.match(email):
            raise InvalidArgument("EMAIL_INVALID", "email is not valid", "Địa chỉ e-mail không hợp lệ.")
        if not (phone or email or zalo_user_id):
            raise InvalidArgument("RECIPIENT_REQUIRED", "a phone, e-mail or Zalo user id is required",
                                  "Cần số điện thoại, e-mail hoặc Zalo của người nhận.")
        missing = sorted(kind.param_names - AUTO_PARAMS - set(params))
        if missing:
            raise InvalidArgument("TEMPLATE_PARAMS_MISSING", f"missing template parameters: {', '.join(missing)}",
                                  f"Thiếu tham số của mẫu tin nhắn: {', '.join(missing)}.", metadata={"missing": ",".join(missing)})
        async with self._pool.acquire() as conn, conn.transaction():
            prefs, _ = await repository.preferences(conn, phone=phone)
            basis = f"dossier:{dossier_code}" if dossier_code else (f"booking:{booking_id}" if booking_id else "")
            if not basis and prefs.has_consent:
                basis = "consent"
            if not basis:
                raise PreconditionFailed("NO_LEGAL_BASIS",
                                         "no recorded consent and no dossier or booking: outreach is not allowed",
                                         "Chưa có sự đồng ý nhận thông báo của công dân, không thể gửi tin.")
            values = {k: str(v) for k, v in params.items() if k in kind.param_names}
            values.setdefault("lookup_url", "https://motcua.gov.vn/tra-cuu")
            nid, created = await repository.insert_notification(
                conn, source_key=f"direct:{idempotency_key}", template_code=template_code, params=values,
                contact_source="direct", dossier_code=dossier_code, booking_id=booking_id, urgent=urgent,
                essential=kind.essential, legal_basis=basis, channel_order=list(channel_preference), phone=phone or None,
                email=email or None, zalo_user_id=zalo_user_id or None,
            )
        if created:
            self._worker.wake()
            log.info("notification_accepted", notification_id=str(nid), template=template_code, direct=True)
        return nid

    async def send_reply(self, *, idempotency_key: str, zalo_user_id: str, phone: str, text: str,
                         request_user_info_title: str = "") -> uuid.UUID:
        """Accept a reply to a citizen who wrote on Zalo or by SMS; sent at once. Idempotent on `idempotency_key`."""
        if not idempotency_key or len(idempotency_key) > 200:
            raise InvalidArgument("IDEMPOTENCY_KEY_REQUIRED", "idempotency_key is required (at most 200 characters)",
                                  "Thiếu khoá chống gửi trùng (idempotency_key).")
        if not text.strip() or len(text) > tpl.ZALO_TEXT_MAX:
            raise InvalidArgument("REPLY_TEXT_INVALID", f"text must have 1..{tpl.ZALO_TEXT_MAX} characters",
                                  "Nội dung trả lời trống hoặc quá dài.")
        if bool(zalo_user_id) == bool(phone):
            raise InvalidArgument("RECIPIENT_REQUIRED", "exactly one of zalo_user_id and phone is required",
                                  "Cần đúng một người nhận: Zalo hoặc số điện thoại.")
        phone = normalize_phone(phone) if phone else ""
        if request_user_info_title and not zalo_user_id:
            raise InvalidArgument("REPLY_CARD_ZALO_ONLY", "request_user_info_title needs a Zalo recipient",
                                  "Thẻ chia sẻ thông tin chỉ gửi được qua Zalo.")
        code = "zalo_request_user_info" if request_user_info_title else "channel_reply"
        params = {"text": text, **({"title": request_user_info_title} if request_user_info_title else {})}
        async with self._pool.acquire() as conn:
            nid, created = await repository.insert_notification(
                conn, source_key=f"reply:{idempotency_key}", template_code=code, params=params, contact_source="direct",
                urgent=True, essential=True, legal_basis="citizen_message", channel_order=["zalo" if zalo_user_id else "sms"],
                phone=phone or None, zalo_user_id=zalo_user_id or None)
        if created:
            self._worker.wake()
            log.info("channel_reply_accepted", notification_id=str(nid), template=code, zalo=bool(zalo_user_id))
        return nid

    async def notifications(self, *, phone: str = "", dossier_code: str = "", notification_id: uuid.UUID | None = None,
                            page: Page | None = None) -> tuple[list[dict[str, Any]], int]:
        page = page or Page(1, 20)
        if phone:
            phone = normalize_phone(phone)
        async with self._pool.acquire() as conn:
            rows, total = await repository.notifications_by(conn, phone=phone, dossier_code=dossier_code,
                                                            notification_id=notification_id, limit=page.size,
                                                            offset=page.offset)
            deliveries = await repository.deliveries_of(conn, [r["id"] for r in rows])
            attempts = await repository.attempts_of(conn, [d["id"] for d in deliveries])
        by_note: dict[uuid.UUID, list[dict[str, Any]]] = {}
        channel_of = {d["id"]: d["channel"] for d in deliveries}
        tries: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for a in attempts:
            tries.setdefault(a["delivery_id"], []).append({**dict(a), "channel": channel_of[a["delivery_id"]]})
        for d in deliveries:
            by_note.setdefault(d["notification_id"], []).append({**dict(d), "attempt_rows": tries.get(d["id"], [])})
        return [{**dict(r), "deliveries": by_note.get(r["id"], [])} for r in rows], total

    async def notification(self, notification_id: str) -> dict[str, Any]:
        try:
            nid = uuid.UUID(notification_id)
        except ValueError:
            raise NotFound("NOTIFICATION_NOT_FOUND", "no such notification", "Không tìm thấy thông báo.") from None
        items, _ = await self.notifications(notification_id=nid)
        if not items:
            raise NotFound("NOTIFICATION_NOT_FOUND", "no such notification", "Không tìm thấy thông báo.")
        return items[0]

    # -- preferences -------------------------------------------------------------------------------

    async def get_preferences(self, *, phone: str) -> dict[str, Any]:
        phone = normalize_phone(phone)
        async with self._pool.acquire() as conn:
            _, row = await repository.preferences(conn, phone=phone)
        return dict(row) if row else {"phone": phone, "channels": [], "opted_out": [], "opt_out_all": False,
                                       "quiet_start": None, "quiet_end": None, "consent_purpose": "",
                                       "consent_given_at": None, "consent_text_version": "", "updated_at": None}

    async def set_preferences(self, *, phone: str, channels: Sequence[str], opted_out: Sequence[str], opt_out_all: bool,
                              quiet_start: time | None, quiet_end: time | None, consent_purpose: str,
                              consent_given_at: datetime | None, consent_text_version: str) -> dict[str, Any]:
        phone = normalize_phone(phone)
        bad = [c for c in [*channels, *opted_out] if c not in CHANNELS]
        if bad:
            raise InvalidArgument("CHANNEL_INVALID", f"unknown channels {bad}", "Kênh nhận tin không hợp lệ.")
        if (quiet_start is None) != (quiet_end is None):
            raise InvalidArgument("QUIET_HOURS_INVALID", "quiet hours need a start and an end",
                                  "Khung giờ yên lặng cần có giờ bắt đầu và giờ kết thúc.")
        async with self._pool.acquire() as conn:
            row = await repository.save_preferences(
                conn, phone=phone, channels=list(dict.fromkeys(channels)), opted_out=sorted(set(opted_out)),
                opt_out_all=opt_out_all, quiet_start=quiet_start, quiet_end=quiet_end, consent_purpose=consent_purpose,
                consent_given_at=consent_given_at, consent_text_version=consent_text_version)
        log.info("preferences_saved", phone=phone, opted_out=sorted(set(opted_out)), opt_out_all=opt_out_all)
        return dict(row)

    async def record_zalo_interaction(self, *, zalo_user_id: str, interaction: str, at: datetime) -> dict[str, Any]:
        if not zalo_user_id or interaction not in ("follow", "unfollow", "message"):
            raise InvalidArgument("INTERACTION_INVALID", "zalo_user_id and interaction are required",
                                  "Thiếu thông tin tương tác Zalo.")
        async with self._pool.acquire() as conn:
            row = await repository.record_zalo_interaction(
                conn, zalo_user_id=zalo_user_id, followed=interaction != "unfollow",
                message_at=at if interaction == "message" else None)
        return dict(row)

    # -- templates ---------------------------------------------------------------------------------

    async def preview(self, *, code: str, route: str, params: Mapping[str, str]) -> tuple[tpl.Rendered, int]:
        async with self._pool.acquire() as conn:
            found = {(t.code, t.channel): t for t, _ in await repository.current_templates(conn, code=code)}
        template = found.get((code, route))
        if template is None:
            raise NotFound("TEMPLATE_NOT_FOUND", f"no template {code!r} for {route!r}", "Không tìm thấy mẫu tin nhắn.")
        rendered = tpl.render(template, params, sms_unicode=self._s.sms_unicode)
        segments = sms_segments(rendered.body, unicode=self._s.sms_unicode) if route == "sms" else 0
        return rendered, segments

    async def save_template(self, template: tpl.Template) -> tuple[tpl.Template, datetime]:
        try:
            valid = tpl.validate(template, sms_unicode=self._s.sms_unicode, sms_max_segments=self._s.sms_max_segments)
        except tpl.TemplateInvalid as exc:
            raise InvalidArgument("TEMPLATE_INVALID", str(exc), "Mẫu tin nhắn không hợp lệ: " + "; ".join(exc.problems),
                                  metadata={"problems": " | ".join(exc.problems)[:2000]}) from None
        async with self._pool.acquire() as conn:
            saved = await repository.insert_template(conn, template=valid)
        assert saved is not None
        self._worker.templates.invalidate()
        log.info("template_saved", code=saved[0].code, channel=saved[0].channel, version=saved[0].version,
                 actor=template.created_by)
        return saved

    async def list_templates(self, *, code: str = "") -> list[tuple[tpl.Template, datetime]]:
        async with self._pool.acquire() as conn:
            return await repository.current_templates(conn, code=code)

    # -- subscriptions -----------------------------------------------------------------------------

    async def create_subscription(self, *, agency_id: str, url: str, event_types: Sequence[str],
                                  procedure_codes: Sequence[str], secret: str) -> asyncpg.Record:
        if not agency_id:
            raise InvalidArgument("AGENCY_REQUIRED", "agency_id is required", "Thiếu mã cơ quan đăng ký.")
        try:
            url = check_url(url, allow_insecure_localhost=self._s.webhook_allow_insecure_localhost)
        except SubscriptionRefused as exc:
            raise InvalidArgument("SUBSCRIPTION_URL_INVALID", str(exc),
                                  "Địa chỉ nhận webhook phải dùng HTTPS tới máy chủ công khai.") from None
        if len(secret.encode("utf-8")) < SECRET_MIN_BYTES:
            raise InvalidArgument("SUBSCRIPTION_SECRET_TOO_SHORT", f"the secret needs at least {SECRET_MIN_BYTES} bytes",
                                  f"Khoá ký cần tối thiểu {SECRET_MIN_BYTES} ký tự.")
        from motcua_notification.domain.events import WEBHOOK_EVENTS

        unknown = [t for t in event_types if t not in WEBHOOK_EVENTS]
        if unknown:
            raise InvalidArgument("EVENT_TYPE_INVALID", f"unknown event types {unknown}",
                                  "Loại sự kiện không hợp lệ (chỉ sự kiện hồ sơ motcua.dossier.v1.* "
                                  "hoặc lịch hẹn motcua.scheduler.v1.*).")
        async with self._pool.acquire() as conn:
            row = await repository.create_subscription(conn, agency_id=agency_id, url=url,
                                                       event_types=sorted(set(event_types)),
                                                       procedure_codes=sorted(set(procedure_codes)),
                                                       secret_ciphertext=self._box.seal(secret))
        log.info("subscription_created", subscription_id=str(row["id"]), agency_id=agency_id)
        return row

    async def list_subscriptions(self, *, agency_id: str, page: Page) -> tuple[list[asyncpg.Record], int]:
        async with self._pool.acquire() as conn:
            return await repository.list_subscriptions(conn, agency_id=agency_id, limit=page.size, offset=page.offset)

    async def delete_subscription(self, *, subscription_id: str, agency_id: str) -> bool:
        sid = _uuid(subscription_id)
        if sid is None:
            return False
        async with self._pool.acquire() as conn, conn.transaction():
            existing = await repository.subscription(conn, subscription_id=sid)
            if existing is not None and existing["agency_id"] != agency_id:
                raise PermissionDenied("SUBSCRIPTION_NOT_OWNED", "the subscription belongs to another agency",
                                       "Đăng ký này thuộc cơ quan khác.")
            deleted = await repository.delete_subscription(conn, subscription_id=sid, agency_id=agency_id)
        if deleted:
            log.info("subscription_deleted", subscription_id=subscription_id, agency_id=agency_id)
        return deleted

    async def reenable_subscription(self, *, subscription_id: str, agency_id: str) -> asyncpg.Record:
        """Re-activate the agency's own subscription after a failure streak; idempotent (one transaction)."""
        if not agency_id:
            raise InvalidArgument("AGENCY_REQUIRED", "agency_id is required", "Thiếu mã cơ quan đăng ký.")
        sid = _uuid(subscription_id)
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                row = await repository.reenable_subscription(conn, subscription_id=sid, agency_id=agency_id) if sid else None
            if row is None:
                raise NotFound("SUBSCRIPTION_NOT_FOUND", "no such subscription", "Không tìm thấy đăng ký nhận sự kiện.")
            # The alert gauge follows at once (the webhook loop also recounts it every 30 s).
            DISABLED_NOW.set(await repository.disabled_subscriptions(conn))
        if not row["was_active"]:
            self._worker.wake_webhooks()
            log.info("subscription_reenabled", subscription_id=subscription_id, agency_id=agency_id)
        return row

    # -- e-mail suppressions (hard bounces, complaints) ---------------------------------------------

    async def email_suppression(self, *, email: str) -> asyncpg.Record:
        address = _suppression_address(email)
        async with self._pool.acquire() as conn:
            row = await repository.email_suppression(conn, address=address)
        if row is None:
            raise NotFound("EMAIL_NOT_SUPPRESSED", "the address is not suppressed",
                           "Địa chỉ e-mail này không bị chặn gửi.")
        return row

    async def lift_email_suppression(self, *, email: str, actor: str, reason: str) -> asyncpg.Record:
        """Delete the suppression and audit the lift (one statement); new notifications plan e-mail again."""
        address = _suppression_address(email)
        if not actor:
            raise InvalidArgument("ACTOR_REQUIRED", "actor is required", "Thiếu người thực hiện.")
        reason = (reason or "").strip()
        if not reason or len(reason) > 500:
            raise InvalidArgument("REASON_REQUIRED", "a reason of 1 to 500 characters is required",
                                  "Cần ghi lý do bỏ chặn (tối đa 500 ký tự).")
        async with self._pool.acquire() as conn:
            row = await repository.lift_email_suppression(conn, address=address, actor=actor, reason=reason)
        if row is None:
            raise NotFound("EMAIL_NOT_SUPPRESSED", "the address is not suppressed",
                           "Địa chỉ e-mail này không bị chặn gửi.")
        log.info("email_suppression_lifted", email=mask_email(address), suppression_reason=row["reason"], actor=actor)
        return row

    async def subscription_deliveries(self, *, subscription_id: str, status: str, page: Page
                                      ) -> tuple[asyncpg.Record, list[asyncpg.Record], int]:
        sid = _uuid(subscription_id)
        async with self._pool.acquire() as conn:
            sub = await repository.subscription(conn, subscription_id=sid) if sid else None
            if sub is None:
                raise NotFound("SUBSCRIPTION_NOT_FOUND", "no such subscription", "Không tìm thấy đăng ký nhận sự kiện.")
            rows, total = await repository.webhook_log(conn, subscription_id=sid, status=status, limit=page.size,
                                                       offset=page.offset)
        return sub, rows, total

    # -- receipts ----------------------------------------------------------------------------------

    async def record_receipt(self, *, provider: str, provider_message_id: str, tracking_id: str, status: str,
                             error_code: str, occurred_at: datetime | None) -> tuple[bool, str]:
        if not provider or not (provider_message_id or tracking_id):
            raise InvalidArgument("RECEIPT_INVALID", "provider and a message id are required", "Biên nhận không hợp lệ.")
        matched, nid = await self._worker.apply_receipt(
            provider=provider, provider_message_id=provider_message_id, tracking_id=tracking_id, status=status,
            error_code=error_code, occurred_at=occurred_at or datetime.now(UTC))
        log.info("provider_receipt", provider=provider, status=status, matched=matched, error_code=error_code or None)
        return matched, nid


def _suppression_address(email: str) -> str:
    address = (email or "").strip().lower()
    if not _EMAIL.match(address) or len(address) > 320:
        raise InvalidArgument("EMAIL_INVALID", "email is not valid", "Địa chỉ e-mail không hợp lệ.")
    return address


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None
