"""E-mail bounces and complaints against real SMTP servers (aiosmtpd): refused at RCPT, bounced later by a DSN
sent to our VERP return path, complained about through a feedback loop; suppressed addresses get no more e-mail."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import aiosmtplib
import grpc
import pytest

from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_notification import repository
from motcua_notification.fakes.server import FakeProviders, FakesSettings
from motcua_notification.testing import ContactDirectory, RunningNotification, running_notification, settings_for_test
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_client import decode_rpc_error

pytestmark = pytest.mark.integration

DOMAIN = "bounces.motcua.test"


@pytest.fixture
async def world(postgres_url: str, kafka_bootstrap: str, kafka_idempotence: bool, db_schema: str,
                contacts: ContactDirectory) -> AsyncIterator[tuple[RunningNotification, FakeProviders]]:
    bounce_port = free_port()
    fakes = FakeProviders(FakesSettings(fakes_http_port=free_port(), fakes_smtp_port=free_port(), fakes_receipts=False,
                                        fakes_bounce_smtp=f"127.0.0.1:{bounce_port}"))
    await fakes.start()
    settings = settings_for_test(
        postgres_url=postgres_url, kafka_bootstrap=kafka_bootstrap, idempotence=kafka_idempotence, fakes=fakes,
        contacts_address=contacts.address, suffix=uuid.uuid4().hex[:8], bounce_smtp_port=bounce_port,
        smtp={"host": fakes.settings.fakes_host, "port": fakes.smtp_port, "return_path_domain": DOMAIN})
    try:
        async with running_notification(settings, db_schema, consumer=False) as running:
            yield running, fakes
    finally:
        await fakes.stop()


async def send_email(running: RunningNotification, email: str, key: str, *, phone: str = "") -> uuid.UUID:
    return await running.parts.service.send_message(
        idempotency_key=key, phone=phone, email=email, zalo_user_id="", channel_preference=["sms", "email"],
        template_code="officer_message", params={"message": "Mời ông/bà đến nhận kết quả.", "dossier_code": key},
        dossier_code=key, booking_id="", urgent=True)


async def email_delivery(running: RunningNotification, nid: uuid.UUID) -> Any:
    return await running.pool.fetchrow(
        "SELECT status, last_error_code, attempts FROM deliveries WHERE notification_id = $1 AND channel = 'email'", nid)


async def test_refused_at_rcpt_is_a_permanent_failure_never_retried_and_the_address_is_suppressed(
    world: tuple[RunningNotification, FakeProviders], poll: Callable[..., Awaitable[Any]],
) -> None:
    running, fakes = world
    fakes.state.recipient_codes[("smtp", "khong.co@example.vn")] = "550"
    first = await send_email(running, "khong.co@example.vn", "B-1")

    async def failed() -> Any:
        row = await email_delivery(running, first)
        return row if row is not None and row["status"] != "sending" and row["status"] != "created" else None

    row = await poll(failed)
    assert row is not None and (row["status"], row["last_error_code"], row["attempts"]) == ("permanent-failure", "550", 1)
    await asyncio.sleep(1.0)  # retry backoff is 0.1-0.5 s here: a retry would have happened
    assert fakes.state.calls["smtp"] == 0 and (await email_delivery(running, first))["attempts"] == 1  # refused before DATA
    suppressed = await running.pool.fetchrow("SELECT reason, status_code FROM email_suppressions WHERE address = $1",
                                             "khong.co@example.vn")
    assert suppressed is not None and (suppressed["reason"], suppressed["status_code"]) == ("hard_bounce", "550")

    # The next message to that citizen: SMS still goes, e-mail is not even attempted (address compared case-blind).
    second = await send_email(running, "Khong.Co@example.vn", "B-2", phone="+84925000001")

    async def sms_sent() -> bool:
        return await running.pool.fetchval(
            "SELECT status = 'sent' FROM deliveries WHERE notification_id = $1 AND channel = 'sms'", second) or False

    assert await poll(sms_sent)
    assert await email_delivery(running, second) is None

    # The citizen fixed the mailbox: an officer looks the suppression up, lifts it (audited), and e-mail goes again.
    async with grpc.aio.insecure_channel(running.address) as channel:
        stub = NotificationServiceStub(channel)
        found = await stub.GetEmailSuppression(pb.GetEmailSuppressionRequest(email=" KHONG.CO@example.vn "))
        assert (found.email, found.reason, found.status_code) == ("khong.co@example.vn", "hard_bounce", "550")
        for bad in (pb.LiftEmailSuppressionRequest(email="khong.co@example.vn", actor="canbo.saigon", reason=" "),
                    pb.LiftEmailSuppressionRequest(email="not-an-address", actor="canbo.saigon", reason="x")):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.LiftEmailSuppression(bad)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        del fakes.state.recipient_codes[("smtp", "khong.co@example.vn")]
        lifted = await stub.LiftEmailSuppression(pb.LiftEmailSuppressionRequest(
            email="khong.co@example.vn", actor="canbo.saigon", reason="Công dân xác nhận đã khôi phục hộp thư"))
        assert (lifted.email, lifted.reason) == ("khong.co@example.vn", "hard_bounce")
        for call in (lambda: stub.GetEmailSuppression(pb.GetEmailSuppressionRequest(email="khong.co@example.vn")),
                     lambda: stub.LiftEmailSuppression(pb.LiftEmailSuppressionRequest(
                         email="khong.co@example.vn", actor="canbo.saigon", reason="lần hai"))):
            with pytest.raises(grpc.aio.AioRpcError) as gone:
                await call()
            assert gone.value.code() == grpc.StatusCode.NOT_FOUND
            assert (decode_rpc_error(gone.value) or pytest.fail("no details")).code == "EMAIL_NOT_SUPPRESSED"
    audit = await running.pool.fetch("SELECT * FROM email_suppression_lifts")
    assert [(a["address_sha256"], a["suppression_reason"], a["status_code"], a["lifted_by"], a["lift_reason"])
            for a in audit] == [(repository.address_sha256("khong.co@example.vn"), "hard_bounce", "550", "canbo.saigon",
                                 "Công dân xác nhận đã khôi phục hộp thư")]
    fourth = await send_email(running, "khong.co@example.vn", "B-4")

    async def emailed() -> Any:
        row = await email_delivery(running, fourth)
        return row if row is not None and row["status"] == "sent" else None

    assert await poll(emailed)
    # A 4xx at RCPT (greylisting, mailbox busy) is not a bounce: retried, not suppressed.
    fakes.state.recipient_codes[("smtp", "dang.ban@example.vn")] = "451"
    third = await send_email(running, "dang.ban@example.vn", "B-3")

    async def retried() -> Any:
        row = await email_delivery(running, third)
        return row if row is not None and row["attempts"] >= 2 else None

    assert await poll(retried)
    assert await running.pool.fetchval("SELECT count(*) FROM email_suppressions WHERE address = 'dang.ban@example.vn'") == 0


async def test_bounces_and_complaints_received_by_smtp_fail_the_delivery_and_suppress_the_address(
    world: tuple[RunningNotification, FakeProviders], poll: Callable[..., Awaitable[Any]],
) -> None:
    running, fakes = world
    # Accepted by the (fake) mail server, then bounced asynchronously to our VERP return path.
    fakes.state.recipient_codes[("smtp_bounce", "da.xoa@example.vn")] = "5.1.1"
    fakes.state.recipient_codes[("smtp_bounce", "chan.thu@example.vn")] = "5.7.1"  # refused as spam: not the address
    fakes.state.recipient_codes[("smtp_bounce", "hop.thu.day@example.vn")] = "4.2.2"  # delayed: still trying
    gone = await send_email(running, "da.xoa@example.vn", "D-1")
    spam = await send_email(running, "chan.thu@example.vn", "D-2")
    slow = await send_email(running, "hop.thu.day@example.vn", "D-3")

    async def bounced(nid: uuid.UUID) -> Any:
        row = await email_delivery(running, nid)
        return row if row is not None and row["status"] == "permanent-failure" else None

    row = await poll(lambda: bounced(gone))
    assert row is not None and row["last_error_code"] == "5.1.1"
    row = await poll(lambda: bounced(spam))
    assert row is not None and row["last_error_code"] == "5.7.1"
    assert len(fakes.state.by_channel("email")) == 3  # each was accepted once; bounces are not retried
    note = await running.pool.fetchrow("SELECT status, reason FROM notifications WHERE id = $1", gone)
    assert note["status"] == "failed" and note["reason"].startswith("5.1.1")
    suppressed = {r["address"]: (r["reason"], r["status_code"]) for r in
                  await running.pool.fetch("SELECT address, reason, status_code FROM email_suppressions")}
    assert suppressed == {"da.xoa@example.vn": ("hard_bounce", "5.1.1")}
    await asyncio.sleep(0.5)
    assert (await email_delivery(running, slow))["status"] == "sent"  # a delay report changes nothing

    # A feedback-loop complaint (RFC 5965) about the delivery to chan.thu@: that address is suppressed too.
    tracking = await running.pool.fetchval("SELECT tracking_id FROM deliveries WHERE notification_id = $1", spam)
    await aiosmtplib.send(arf_report("chan.thu@example.vn", tracking), hostname="127.0.0.1",
                          port=running.settings.bounce_smtp_port, sender="fbl@mailbox-provider.example",
                          recipients=[f"fbl@{DOMAIN}"])
    assert await poll(lambda: running.pool.fetchval(
        "SELECT reason = 'complaint' FROM email_suppressions WHERE address = 'chan.thu@example.vn'"))

    # The receiver is no relay: any other recipient is refused at RCPT.
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await aiosmtplib.send(arf_report("x@example.vn", tracking), hostname="127.0.0.1",
                              port=running.settings.bounce_smtp_port, sender="someone@example.vn",
                              recipients=["someone.else@example.vn"])


def arf_report(recipient: str, tracking_id: str) -> MIMEMultipart:
    """An abuse report as mailbox providers' feedback loops send it (multipart/report; report-type=feedback-report)."""
    report = MIMEMultipart("report", report_type="feedback-report")
    report["From"] = "fbl@mailbox-provider.example"
    report["To"] = f"fbl@{DOMAIN}"
    report["Subject"] = "Abuse report"
    report.attach(MIMEText("This is an email abuse report for an email message received from IP 203.0.113.7.", "plain"))
    feedback = MIMEBase("message", "feedback-report")
    feedback.set_payload(f"Feedback-Type: abuse\nUser-Agent: fbl/1.0\nVersion: 1\nOriginal-Rcpt-To: {recipient}\n")
    report.attach(feedback)
    headers = MIMEBase("text", "rfc822-headers")
    headers.set_payload(f"Message-ID: <{tracking_id}@motcua.gov.vn>\nX-Motcua-Tracking-Id: {tracking_id}\n"
                        f"From: no-reply@motcua.gov.vn\nTo: {recipient}\n")
    report.attach(headers)
    return report
