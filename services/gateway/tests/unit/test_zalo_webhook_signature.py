"""Zalo OA webhook authenticity and eSMS MO signatures (channels/signatures.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from motcua_gateway.channels.signatures import (
    SignatureRejected,
    esms_mo_sign,
    verify_esms_mo,
    verify_zalo,
    zalo_signature,
)

APP_ID = "motcua-test-app"
OA_KEY = "oa-secret-current"
OLD_KEY = "oa-secret-previous"
APP_SECRET = "app-secret-not-the-oa-key"


def event(stamp_ms: int | None = None, **extra: object) -> bytes:
    stamp = str(stamp_ms if stamp_ms is not None else int(time.time() * 1000))
    body = {"app_id": APP_ID, "event_name": "user_send_text", "sender": {"id": "u1"},
            "message": {"msg_id": "m1", "text": "#000.00.41.H29-250101-0001"}, "timestamp": stamp, **extra}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def sign(raw: bytes, key: str = OA_KEY) -> str:
    stamp = json.loads(raw)["timestamp"]
    return zalo_signature(app_id=APP_ID, body=raw, timestamp=stamp, oa_secret_key=key)


def check(raw: bytes, header: str, secrets: tuple[str, ...] = (OA_KEY,), window: float = 300) -> None:
    verify_zalo(raw=raw, header=header, app_id=APP_ID, secrets=secrets, window_seconds=window)


def test_correct_signature_is_accepted_and_matches_zalos_formula() -> None:
    raw = event()
    stamp = json.loads(raw)["timestamp"]
    # The formula written out independently: sha256(appId + data + timeStamp + OAsecretKey), hex, "mac=" prefix.
    expected = "mac=" + hashlib.sha256((APP_ID + raw.decode() + stamp + OA_KEY).encode()).hexdigest()
    assert sign(raw) == expected
    assert verify_zalo(raw=raw, header=expected, app_id=APP_ID, secrets=[OA_KEY], window_seconds=300).name == "user_send_text"


def test_one_byte_change_in_the_raw_body_is_rejected() -> None:
    raw = event()
    header = sign(raw)
    tampered = raw.replace(b'"u1"', b'"u2"')
    assert len(tampered) == len(raw) and tampered != raw
    with pytest.raises(SignatureRejected) as refused:
        check(tampered, header)
    assert refused.value.reason == "mismatch"
    # Re-serialising the same JSON differently (spaces) also changes the raw bytes: rejected.
    with pytest.raises(SignatureRejected):
        check(json.dumps(json.loads(raw)).encode(), header)


def test_app_secret_hmac_variant_is_rejected() -> None:
    raw = event()
    stamp = json.loads(raw)["timestamp"]
    hmac_variant = "mac=" + hmac.new(APP_SECRET.encode(), (APP_ID + raw.decode() + stamp).encode(), hashlib.sha256).hexdigest()
    with pytest.raises(SignatureRejected):
        check(raw, hmac_variant)
    oa_key_hmac = "mac=" + hmac.new(OA_KEY.encode(), (APP_ID + raw.decode() + stamp).encode(), hashlib.sha256).hexdigest()
    with pytest.raises(SignatureRejected):
        check(raw, oa_key_hmac)
    with pytest.raises(SignatureRejected):  # the plain hash with the app secret instead of the OA key
        check(raw, sign(raw, APP_SECRET))


def test_stale_timestamp_is_rejected_even_when_correctly_signed() -> None:
    old = event(int((time.time() - 3600) * 1000))
    with pytest.raises(SignatureRejected) as refused:
        check(old, sign(old), window=300)
    assert refused.value.reason == "stale"
    future = event(int((time.time() + 3600) * 1000))
    with pytest.raises(SignatureRejected):
        check(future, sign(future), window=300)
    check(old, sign(old), window=7200)  # within a wider window it is fine


def test_rotation_accepts_current_and_previous_key_only() -> None:
    raw = event()
    check(raw, sign(raw, OLD_KEY), secrets=(OA_KEY, OLD_KEY))
    check(raw, sign(raw, OA_KEY), secrets=(OA_KEY, OLD_KEY))
    with pytest.raises(SignatureRejected):
        check(raw, sign(raw, OLD_KEY), secrets=(OA_KEY,))  # previous key removed after the rotation
    with pytest.raises(SignatureRejected):
        check(raw, sign(raw, "some-other-key"), secrets=(OA_KEY, OLD_KEY))


@pytest.mark.parametrize("header", ["", "   ", "mac=", "sha256=abc", "mac=" + "0" * 64])
def test_missing_or_malformed_header_is_rejected(header: str) -> None:
    with pytest.raises(SignatureRejected):
        check(event(), header)


def test_event_of_another_app_is_rejected_and_unconfigured_key_rejects_everything() -> None:
    raw = json.dumps({"app_id": "other-app", "event_name": "follow", "timestamp": str(int(time.time() * 1000))}).encode()
    header = zalo_signature(app_id="other-app", body=raw, timestamp=json.loads(raw)["timestamp"], oa_secret_key=OA_KEY)
    with pytest.raises(SignatureRejected) as refused:
        check(raw, header)
    assert refused.value.reason == "other_app"
    with pytest.raises(SignatureRejected) as unconfigured:
        check(event(), sign(event()), secrets=("",))
    assert unconfigured.value.reason == "not_configured"


def mo(**overrides: str) -> dict[str, str]:
    now = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 7 * 3600))
    params = {"sender": "84912345678", "content": "TC 000.00.41.H29-250101-0001", "serviceNumber": "8079", "keyword": "TC",
              "cpid": "CP01", "smsid": "mo-1", "receiverTime": now, **overrides}
    params.setdefault("sign", esms_mo_sign(cpid=params["cpid"], smsid=params["smsid"], content=params["content"],
                                           receiver_time=params["receiverTime"], private_key="mo-key"))
    return params


def test_esms_mo_sign_follows_the_documented_md5_and_is_checked() -> None:
    # eSMS's own example: hash("abcdef", "1234", "xyz") = MD5("abcdef1234xyz" + key).
    key = "17417a0d20114d36a902e49cad0e97f3"
    assert esms_mo_sign(cpid="abcdef", smsid="1234", content="xyz", receiver_time="", private_key=key) == \
        hashlib.md5(("abcdef1234xyz" + key).encode()).hexdigest()
    verify_esms_mo(params=mo(), cpid="CP01", keys=["mo-key"], window_seconds=3600)
    verify_esms_mo(params=mo(), cpid="CP01", keys=["new-key", "mo-key"], window_seconds=3600)  # rotation
    tampered = mo()
    tampered["content"] = "TC 000.00.41.H29-250101-0002"
    for bad, reason in ((tampered, "mismatch"), (mo(sign=""), "missing"), (mo(cpid="CP02"), "other_cp"),
                        (mo(receiverTime="20200101000000"), "stale")):
        with pytest.raises(SignatureRejected) as refused:
            verify_esms_mo(params=bad, cpid="CP01", keys=["mo-key"], window_seconds=3600)
        assert refused.value.reason == reason
