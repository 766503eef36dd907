"""Reading bounces (RFC 3464 delivery status notifications) and complaints (RFC 5965 feedback reports)."""

from __future__ import annotations

from motcua_notification.domain import dsn
from motcua_notification.fakes.server import dsn_message

TRACKING = "0f3c2a9e8b7d4c1a9e8b7d4c1a0f3c2a"
ORIGINAL = (f"From: no-reply@motcua.gov.vn\r\nTo: an@example.vn\r\nMessage-ID: <{TRACKING}@motcua.gov.vn>\r\n"
            f"X-Motcua-Tracking-Id: {TRACKING}\r\nSubject: Hồ sơ\r\n\r\nbody").encode()

POSTFIX_BOUNCE = b"""From: MAILER-DAEMON@mx.example.vn (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounce+0f3c2a9e8b7d4c1a9e8b7d4c1a0f3c2a@bounces.motcua.gov.vn
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.vn
X-Postfix-Queue-ID: 4Xq9

Final-Recipient: rfc822; An.Tran@Example.vn
Original-Recipient: rfc822;an.tran@example.vn
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.example.vn
Diagnostic-Code: smtp; 550 5.1.1 <an.tran@example.vn>: Recipient address
    rejected: User unknown in virtual mailbox table

--B1
Content-Type: text/rfc822-headers

Message-ID: <0f3c2a9e8b7d4c1a9e8b7d4c1a0f3c2a@motcua.gov.vn>
Subject: test

--B1--
"""


def test_a_postfix_bounce_names_the_delivery_by_verp_and_suppresses_an_unknown_mailbox() -> None:
    report = dsn.parse(POSTFIX_BOUNCE, envelope_recipients=[f"bounce+{TRACKING}@bounces.motcua.gov.vn"])
    assert report.kind == "bounce" and report.tracking_id == TRACKING and report.status == "5.1.1"
    assert report.recipient == "an.tran@example.vn" and report.suppress
    assert report.diagnostic.startswith("smtp; 550 5.1.1 <an.tran@example.vn>: Recipient address rejected: User unknown")


def test_without_verp_the_returned_headers_name_the_delivery() -> None:
    report = dsn.parse(POSTFIX_BOUNCE, envelope_recipients=["postmaster@bounces.motcua.gov.vn"])
    assert report.tracking_id == TRACKING  # from the Message-ID of the text/rfc822-headers part
    raw = dsn_message(reporting_mta="mx.example.vn", envelope_from="x@y", recipient="an@example.vn", status="5.2.1",
                      original=ORIGINAL)
    assert dsn.parse(raw) == dsn.Report(kind="bounce", tracking_id=TRACKING, recipient="an@example.vn", status="5.2.1",
                                        diagnostic="smtp; 550 5.2.1 <an@example.vn>: Recipient address rejected (fake)",
                                        suppress=True)


def test_only_failures_about_the_address_suppress_it_and_delays_are_not_failures() -> None:
    def status_of(code: str) -> dsn.Report:
        return dsn.parse(dsn_message(reporting_mta="mx", envelope_from="x@y", recipient="an@example.vn", status=code,
                                     original=ORIGINAL))

    assert [(r.kind, r.suppress) for r in map(status_of, ("5.1.2", "5.1.10", "5.7.1", "5.3.4", "4.2.2"))] == [
        ("bounce", True), ("bounce", True), ("bounce", False), ("bounce", False), ("delay", False)]
    assert dsn.suppresses("5.1.1") and not dsn.suppresses("5.2.2") and not dsn.suppresses("4.1.1")


def test_an_abuse_feedback_report_is_a_complaint_and_anything_else_is_unknown() -> None:
    arf = (b'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n--F\nContent-Type: text/plain\n\n'
           b"abuse report\n--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n"
           b"Original-Rcpt-To: <Binh@Example.vn>\n\n--F\nContent-Type: message/rfc822\n\n" + ORIGINAL + b"\n--F--\n")
    report = dsn.parse(arf, envelope_recipients=["fbl@bounces.motcua.gov.vn"])
    assert (report.kind, report.tracking_id, report.recipient, report.suppress) == ("complaint", TRACKING, "binh@example.vn",
                                                                                    True)
    assert dsn.parse(b"Subject: out of office\n\nI am away.").kind == "unknown"
    assert dsn.tracking_from_verp("<BOUNCE+" + TRACKING.upper() + "@b.example>") == TRACKING
    assert dsn.tracking_from_verp("bounce+short@b.example") == ""
