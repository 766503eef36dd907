"""The channel policy (pure): Zalo reply window and quota, ZNS, SMS, e-mail, opt-out, consent, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from motcua_notification.domain.policy import Contact, PolicyConfig, Preferences, ZaloState, next_in_chain, plan, quiet_until
from motcua_notification.domain.retry import CircuitBreaker, next_retry_in
from motcua_notification.domain.signing import sign, verify

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam
ALL = frozenset({"zalo_cs", "zns", "sms", "email"})
CONFIG = PolicyConfig(default_quiet_start=time(21, 0), default_quiet_end=time(7, 0))
FULL = Contact(phone="+84912345678", email="an@example.vn", zalo_user_id="zu1", full_name="An")


def decide(contact: Contact = FULL, prefs: Preferences = Preferences(), zalo: ZaloState = ZaloState(), now: datetime = NOW,
           urgent: bool = False, essential: bool = True, basis: str = "dossier:X") -> object:
    return plan(contact=contact, prefs=prefs, zalo=zalo, available_routes=ALL, now=now, config=CONFIG, urgent=urgent,
                essential=essential, legal_basis=basis)


def test_follower_in_reply_window_gets_zalo_cs_then_zns_then_sms_and_email_in_addition() -> None:
    result = decide(zalo=ZaloState(followed=True, last_interaction_at=NOW - timedelta(hours=3)))
    assert result.chain == ("zalo_cs", "zns", "sms")
    assert [(d.route, d.recipient) for d in result.deliveries] == [("zalo_cs", "zu1"), ("email", "an@example.vn")]
    assert next_in_chain(result.chain, "zns") == "sms" and next_in_chain(result.chain, "sms") is None


def test_outside_the_window_or_over_quota_or_unfollowed_means_zns_by_phone() -> None:
    for zalo in (ZaloState(followed=True, last_interaction_at=NOW - timedelta(hours=49)),
                 ZaloState(followed=True, last_interaction_at=NOW, cs_sent_in_window=8),
                 ZaloState(followed=False, last_interaction_at=NOW)):
        assert decide(zalo=zalo).chain == ("zns", "sms")


def test_preferences_order_and_opt_outs() -> None:
    assert decide(prefs=Preferences(channels=("sms", "zalo"))).chain == ("sms", "zns")
    assert decide(prefs=Preferences(opted_out=frozenset({"zalo", "email"}))).chain == ("sms",)
    assert decide(prefs=Preferences(opt_out_all=True), essential=False).suppressed == "opted_out"
    assert decide(prefs=Preferences(opt_out_all=True), essential=True).chain == ("zns", "sms")
    assert decide(contact=Contact()).suppressed == "no_channel"


def test_no_outreach_without_consent_or_legal_basis() -> None:
    assert decide(basis="").suppressed == "no_legal_basis"
    assert decide(basis="", prefs=Preferences(has_consent=True)).chain == ("zns", "sms")


def test_quiet_hours_defer_non_urgent_push_messages_but_not_email_or_urgent_ones() -> None:
    night = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 23:30 in Vietnam
    deferred = decide(now=night)
    assert deferred.deliveries[0].not_before == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 07:00 next morning
    assert deferred.deliveries[1].route == "email" and deferred.deliveries[1].not_before == night
    assert decide(now=night, urgent=True).deliveries[0].not_before == night
    assert quiet_until(NOW, time(21, 0), time(7, 0)) is None
    assert quiet_until(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), time(21, 0), time(7, 0)) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


def test_retries_stop_at_the_total_time_and_the_breaker_fails_over_then_probes() -> None:
    assert next_retry_in(attempt=3, first_attempt_age=10, base=2, cap=300, total=3600) is not None
    assert next_retry_in(attempt=3, first_attempt_age=3599, base=2, cap=300, total=3600) is None
    clock = [0.0]
    breaker = CircuitBreaker(threshold=3, open_seconds=30, clock=lambda: clock[0])
    assert [breaker.failure("esms") for _ in range(3)] == [False, False, True]
    assert breaker.choose("esms", "speedsms") == "speedsms"
    clock[0] = 31
    assert breaker.choose("esms", "speedsms") == "esms"  # half-open probe
    assert breaker.failure("esms") is True and breaker.choose("esms", "speedsms") == "speedsms"


def test_webhook_signature_round_trip_and_refusals() -> None:
    body = b'{"id":"1"}'
    header = sign("a" * 32, body, timestamp=1_700_000_000)
    assert verify("a" * 32, body, header, now=1_700_000_100)
    assert not verify("b" * 32, body, header, now=1_700_000_100)
    assert not verify("a" * 32, body + b" ", header, now=1_700_000_100)
    assert not verify("a" * 32, body, header, now=1_700_000_000 + 301)  # replayed too late
