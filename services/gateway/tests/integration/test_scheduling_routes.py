"""/api/v1 assisted-help routes through the real app (lifespan, middleware, problems, auth) and a real scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings
from motcua_scheduler import seed
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import VIETNAM, at_local, local_day
from motcua_scheduler.testing import Clock, RunningScheduler, running_scheduler

pytestmark = pytest.mark.integration

NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # Monday 09:00 in Vietnam
TODAY = local_day(NOW)


@pytest.fixture
async def scheduler(postgres_url: str, db_schema: str) -> AsyncIterator[RunningScheduler]:
    async with running_scheduler(postgres_url, db_schema, clock=Clock(NOW)) as running:
        await seed.load_demo(running.service, weekends=1)
        yield running


async def _client(postgres_url: str, scheduler: RunningScheduler, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", scheduler_target=scheduler.address,
                        auth_dev_issuer=True, **overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


@pytest.fixture
async def client(postgres_url: str, scheduler: RunningScheduler) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(postgres_url, scheduler, scheduling_write_burst=1000):
        yield http


def bearer(client: httpx.AsyncClient, subject: str, roles: list[str]) -> dict[str, str]:
    token = client.app.state.verifier.issue(subject=subject, name=f"Người dùng {subject}", roles=roles)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def assert_problem(reply: httpx.Response, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == code and body["status"] == status
    return body


def booking_body(slot_id: str = "", **kw: object) -> dict:
    body: dict = {"slot_id": slot_id, "help_type": "vneid_level2",
                  "citizen": {"full_name": "Trần Thị Bảy", "phone": "0912345678"},
                  "consent": {"accepted": True, "text_version": "2025-01"}}
    body.update(kw)
    return body


async def first_slot(client: httpx.AsyncClient, **params: object) -> dict:
    reply = await client.get("/api/v1/availability", params=params)
    assert reply.status_code == 200, reply.text
    assert reply.json()["items"], params
    return reply.json()["items"][0]


async def test_models_points_stops_and_availability(client: httpx.AsyncClient) -> None:
    models = (await client.get("/api/v1/service-models")).json()
    assert [x["code"] for x in models["models"]] == ["home_visit", "kiosk", "mobile_bus", "volunteer", "remote"]
    assert {"code": "vneid_level2", "label": "Tạo tài khoản định danh điện tử VNeID mức 2"} in models["help_types"]
    kiosks = (await client.get("/api/v1/service-points", params={"model": "kiosk"})).json()
    assert kiosks["total"] == 2
    assert kiosks["items"][0]["opening_hours_vi"].startswith("17:30–20:30")
    stops = (await client.get("/api/v1/route-stops", params={"route": "tuyen-kcx-tan-thuan"})).json()["items"]
    assert stops and {datetime.fromisoformat(s["starts_at"]).isoweekday() for s in stops} == {2, 5}
    thursday = (TODAY + timedelta(days=3)).isoformat()  # beyond the 24 h in which reserved places open to all
    slot = await first_slot(client, model="kiosk", ward="26740", **{"from": thursday})
    starts = datetime.fromisoformat(slot["starts_at"])
    assert starts.utcoffset() == timedelta(hours=7) and (starts.hour, starts.minute) == (17, 30)
    assert (slot["point"]["id"], slot["remaining"], slot["reserved_for_priority"]) == ("kiosk-saigon-kp3", 2, 1)
    assert (await first_slot(client, model="kiosk", ward="26740", priority="true", **{"from": thursday}))[
        "remaining"] == 3
    bus = await first_slot(client, model="mobile_bus", help_type="scan_documents")
    assert bus["stop_id"].startswith("stop-xe-")
    body = assert_problem(await client.get("/api/v1/availability", params={"ward": "99999"}), 422, "UNKNOWN_AREA")
    assert "không thuộc địa bàn" in body["detail"]
    assert_problem(await client.get("/api/v1/availability", params={"model": "home_visit"}), 422, "WARD_REQUIRED")
    assert_problem(await client.get("/api/v1/availability", params={"help_type": "dance"}), 422, "VALIDATION_FAILED")


async def test_book_replay_see_move_and_cancel_with_the_token(client: httpx.AsyncClient) -> None:
    slot = await first_slot(client, model="kiosk", ward="26740", help_type="vneid_level2")
    later = (await client.get("/api/v1/availability", params={"point": slot["point"]["id"]})).json()["items"][3]

    missing = assert_problem(await client.post("/api/v1/bookings", json=booking_body(slot["id"])), 400,
                             "IDEMPOTENCY_KEY_REQUIRED")
    assert "Idempotency-Key" in missing["detail"]
    made = await client.post("/api/v1/bookings", json=booking_body(slot["id"]), headers={"Idempotency-Key": "web-0001-abc"})
    assert made.status_code == 201, made.text
    booking = made.json()
    assert (booking["status"], booking["status_label"], booking["citizen"]["phone"]) == (
        "confirmed", "Đã xác nhận", "+84912345678")
    assert made.headers["location"] == f"/api/v1/bookings/{booking['id']}"
    token = booking["token"]
    assert token and booking["manage_url"] == f"/api/v1/bookings/{booking['id']}?token={token}"

    again = await client.post("/api/v1/bookings", json=booking_body(slot["id"]), headers={"Idempotency-Key": "web-0001-abc"})
    assert (again.status_code, again.headers.get("idempotent-replayed"), again.json()["id"]) == (200, "true", booking["id"])
    changed = await client.post("/api/v1/bookings", json=booking_body(later["id"]),
                                headers={"Idempotency-Key": "web-0001-abc"})
    assert "đã được dùng cho một yêu cầu khác" in assert_problem(changed, 422, "IDEMPOTENCY_KEY_REUSED")["detail"]

    seen = await client.get(f"/api/v1/bookings/{booking['id']}", params={"token": token})
    assert seen.status_code == 200 and seen.json()["token"] is None
    assert_problem(await client.get(f"/api/v1/bookings/{booking['id']}", params={"token": "sai"}), 404,
                   "BOOKING_NOT_FOUND")
    assert_problem(await client.get(f"/api/v1/bookings/{booking['id']}"), 404, "BOOKING_NOT_FOUND")

    moved = await client.post(f"/api/v1/bookings/{booking['id']}/reschedule", params={"token": token},
                              json={"slot_id": later["id"], "reason": "Bận đi làm"},
                              headers={"Idempotency-Key": "move-0001-abc"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot"]["id"] == later["id"]
    cancelled = await client.delete(f"/api/v1/bookings/{booking['id']}", params={"token": token, "reason": "Đã tự làm"})
    assert cancelled.json()["status"] == "cancelled"
    history = (await client.get(f"/api/v1/bookings/{booking['id']}", params={"token": token})).json()["history"]
    assert [h["action"] for h in history] == ["confirmed", "rescheduled", "cancelled"]
    assert all(h["actor"] is None for h in history)  # citizens do not see who did what
    officer = await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(client, "canbo.saigon", ["officer"]))
    assert officer.json()["token"] == token


async def test_bad_input_is_refused_in_vietnamese_and_books_nothing(client: httpx.AsyncClient,
                                                                    scheduler: RunningScheduler) -> None:
    tuesday = TODAY + timedelta(days=1)
    # Declared after the slots were planned: the booking statement still sees the holiday.
    await scheduler.service.configure(holidays=[(TODAY + timedelta(days=2), "Ngày lễ kiểm thử")])

    async def attempt(n: int, **kw: object) -> httpx.Response:
        citizen = {**booking_body()["citizen"], **kw.pop("citizen", {})}  # type: ignore[dict-item]
        body = booking_body(**kw, citizen=citizen)
        return await client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": f"bad-{n:06d}"})

    def at(day: object, hhmm: str) -> str:
        return at_local(day, hhmm).astimezone(VIETNAM).isoformat()  # type: ignore[arg-type]

    kiosk = "kiosk-saigon-kp3"
    cases = [
        (dict(point_id=kiosk, starts_at=at(TODAY, "08:00")), 422, "SLOT_IN_PAST", "đã qua"),
        (dict(point_id=kiosk, starts_at=at(tuesday, "10:00")), 422, "OUTSIDE_OPENING_HOURS", "17:30–20:30"),
        (dict(point_id=kiosk, starts_at=at(TODAY + timedelta(days=2), "18:00")), 422, "POINT_CLOSED_HOLIDAY",
         "là ngày nghỉ lễ (Ngày lễ kiểm thử)"),
        (dict(point_id="kiosk-saigon-cc", starts_at=at(TODAY, "18:00"), help_type="pay_fees"), 422,
         "HELP_TYPE_NOT_OFFERED", "Thanh toán phí"),
        (dict(point_id=kiosk, starts_at=at(tuesday, "18:00"), citizen={"address": {"ward_code": "99999"}}), 422,
         "UNKNOWN_AREA", "không thuộc địa bàn"),
        (dict(point_id=kiosk, starts_at=at(tuesday, "18:00"), consent={"accepted": False}), 422, "CONSENT_REQUIRED",
         "Nghị định 13/2023"),
        (dict(point_id=kiosk, starts_at=at(tuesday, "18:00"), citizen={"phone": "12345"}), 422, "PHONE_INVALID",
         "0912345678"),
        (dict(slot_id=""), 422, "SLOT_REQUIRED", "Vui lòng chọn khung giờ"),
        (dict(point_id="home-saigon", starts_at=at(tuesday, "08:30")), 422, "ADDRESS_REQUIRED", "địa chỉ nhà"),
    ]
    for n, (kw, status, code, text) in enumerate(cases):
        body = assert_problem(await attempt(n, **kw), status, code)
        assert text in body["detail"], body
    holiday_slots = (await client.get("/api/v1/availability", params={
        "from": (TODAY + timedelta(days=2)).isoformat(), "to": (TODAY + timedelta(days=2)).isoformat()})).json()
    assert holiday_slots["total"] == 0
    body = assert_problem(await attempt(99, point_id="kiosk-saigon-cc", starts_at=at(TODAY + timedelta(days=37), "18:00")),
                          422, "BOOKING_NOT_OPEN_YET")
    assert "tối đa 35 ngày" in body["detail"]
    queue = await client.get("/api/v1/verification-queue", headers=bearer(client, "canbo.saigon", ["officer"]))
    assert queue.json()["total"] == 2  # only the seed's: nothing half-booked


async def test_a_full_slot_is_409_with_the_next_free_slots(client: httpx.AsyncClient) -> None:
    slot = await first_slot(client, point="kiosk-saigon-cc")
    for n, phone in enumerate(("0911000001", "0911000002")):
        reply = await client.post("/api/v1/bookings", json=booking_body(slot["id"], priority=n == 1,
                                                                          citizen={"full_name": "Lê Văn Một",
                                                                                   "phone": phone}),
                                  headers={"Idempotency-Key": f"fill-{n:06d}"})
        assert reply.status_code == 201, reply.text
    full = await client.post("/api/v1/bookings", json=booking_body(slot["id"], citizen={"full_name": "Lê Văn Ba",
                                                                                       "phone": "0911000003"}),
                             headers={"Idempotency-Key": "fill-000003"})
    body = assert_problem(full, 409, "SLOT_FULL")
    assert "đã hết chỗ" in body["detail"]
    assert len(body["next_slots"]) == 3 and body["next_slots"][0]["point_id"] == "kiosk-saigon-cc"
    assert body["next_slots"][0]["starts_at"] > slot["starts_at"]


async def test_officer_verifies_assigns_and_sees_the_day(client: httpx.AsyncClient) -> None:
    officer = bearer(client, "canbo.saigon", ["officer"])
    volunteer = bearer(client, "tnv.an", ["volunteer"])
    slot = await first_slot(client, model="home_visit", ward="26740")
    made = await client.post("/api/v1/bookings", headers={"Idempotency-Key": "home-visit-01"}, json=booking_body(
        slot["id"], priority=True, note="Cụ ông 82 tuổi",
        citizen={"full_name": "Nguyễn Văn Tám", "phone": "0908000111",
                 "address": {"street": "12 Nguyễn Huy Tự", "ward_code": "26740"}}))
    assert made.status_code == 201 and made.json()["status"] == "requested"
    booking_id = made.json()["id"]

    assert_problem(await client.get("/api/v1/verification-queue"), 401, "TOKEN_MISSING")
    assert_problem(await client.get("/api/v1/verification-queue", headers=volunteer), 403, "ROLE_REQUIRED")
    queue = (await client.get("/api/v1/verification-queue", params={"ward": "26740"}, headers=officer)).json()
    flags = [b["priority"] for b in queue["items"]]
    assert flags == sorted(flags, reverse=True)  # priority first
    [mine] = [b for b in queue["items"] if b["id"] == booking_id]
    assert mine["priority"] and mine["citizen"]["address"]["street"] == "12 Nguyễn Huy Tự"

    call = await client.post(f"/api/v1/bookings/{booking_id}/verification", headers=officer,
                             json={"outcome": "unreachable", "note": "Không nghe máy"})
    assert call.json()["verification_attempts"] == 1 and call.json()["status"] == "requested"
    confirmed = await client.post(f"/api/v1/bookings/{booking_id}/verification", headers=officer,
                                  json={"outcome": "confirmed", "note": "Đã gọi lại"})
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["history"][-1]["actor"] == "Người dùng canbo.saigon"
    staff = (await client.get("/api/v1/resources", params={"kind": "staff"}, headers=officer)).json()["items"]
    assert len(staff) == 3
    assigned = await client.put(f"/api/v1/bookings/{booking_id}/assignment", headers=officer,
                                json={"resource_id": staff[0]["id"]})
    assert assigned.status_code == 200 and assigned.json()["resource"]["id"] == staff[0]["id"]
    day = datetime.fromisoformat(slot["starts_at"]).date().isoformat()
    schedule = (await client.get(f"/api/v1/schedules/{day}", params={"resource": staff[0]["id"]},
                                 headers=officer)).json()
    assert [[b["id"] for b in e["bookings"]] for e in schedule["entries"]] == [[booking_id]]
    assert_problem(await client.get(f"/api/v1/schedules/{day}", headers=officer), 422, "SCHEDULE_TARGET_REQUIRED")
    not_yet = await client.post(f"/api/v1/bookings/{booking_id}/no-show", headers=officer, json={"note": ""})
    assert_problem(not_yet, 422, "BOOKING_NOT_DUE")
    assert_problem(await client.post(f"/api/v1/bookings/{booking_id}/completion", headers=volunteer, json={}), 403,
                   "NOT_ASSIGNED_TO_YOU")


async def test_officer_cancels_a_bus_stop_and_citizens_are_offered_the_next(client: httpx.AsyncClient) -> None:
    officer = bearer(client, "canbo.saigon", ["officer"])
    slot = await first_slot(client, point="xe-binh-khanh-cho")
    made = await client.post("/api/v1/bookings", headers={"Idempotency-Key": "bus-000001"}, json=booking_body(slot["id"]))
    assert made.status_code == 201
    assert_problem(await client.post(f"/api/v1/route-stops/{slot['stop_id']}/cancellation", json={"reason": "Xe hỏng"}),
                   401, "TOKEN_MISSING")
    reply = await client.post(f"/api/v1/route-stops/{slot['stop_id']}/cancellation", headers=officer,
                              json={"reason": "Xe hỏng, xin lỗi bà con."})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["stop"]["status"] == "cancelled"
    [affected] = body["affected"]
    assert affected["booking"]["status"] == "cancelled"
    assert affected["alternatives"] and affected["alternatives"][0]["point"]["id"] == "xe-binh-khanh-cho"
    token = made.json()["token"]
    moved = await client.post(f"/api/v1/bookings/{made.json()['id']}/reschedule", params={"token": token},
                              json={"slot_id": affected["alternatives"][0]["id"]},
                              headers={"Idempotency-Key": "bus-move-01"})
    assert moved.status_code == 200 and moved.json()["status"] == "confirmed"


async def test_volunteer_publishes_weekend_hours_and_officer_changes_capacity(client: httpx.AsyncClient) -> None:
    volunteer = bearer(client, "tnv.an", ["volunteer"])
    officer = bearer(client, "canbo.saigon", ["officer"])
    saturday = TODAY + timedelta(days=12)
    reply = await client.post("/api/v1/volunteer-availability", headers=volunteer, json={
        "volunteer_id": "tnv-an", "date": saturday.isoformat(), "start_time": "14:00", "end_time": "16:00",
        "location": "volunteer_home", "street": "Hẻm 5 Trần Quang Khải", "ward_code": "26734",
        "capacity_per_slot": 2, "slot_minutes": 60})
    assert reply.status_code == 201, reply.text
    slots = reply.json()["items"]
    assert [datetime.fromisoformat(s["starts_at"]).hour for s in slots] == [14, 15]
    refused = await client.post("/api/v1/volunteer-availability", headers=volunteer, json={
        "volunteer_id": "tnv-chau", "date": saturday.isoformat(), "start_time": "14:00", "end_time": "16:00",
        "location": "cultural_house", "point_id": "nvh-saigon-kp1"})
    assert_problem(refused, 403, "NOT_YOUR_AVAILABILITY")
    bigger = await client.patch(f"/api/v1/slots/{slots[0]['id']}", headers=officer,
                                json={"capacity": 5, "reserved_for_priority": 1})
    assert (bigger.status_code, bigger.json()["capacity"]) == (200, 5)
    assert_problem(await client.patch(f"/api/v1/slots/{slots[0]['id']}", headers=volunteer, json={"capacity": 1}), 403,
                   "ROLE_REQUIRED")


async def test_anonymous_booking_writes_are_rate_limited(postgres_url: str, scheduler: RunningScheduler) -> None:
    async for client in _client(postgres_url, scheduler, scheduling_write_burst=2, scheduling_write_rate_per_second=0.01):
        slot = await first_slot(client, model="remote")
        for n in range(2):
            reply = await client.post("/api/v1/bookings", headers={"Idempotency-Key": f"rate-{n:06d}"},
                                      json=booking_body(slot["id"], citizen={"full_name": "Lê Thị Hai",
                                                                             "phone": f"09220000{n:02d}"}))
            assert reply.status_code in (201, 409), reply.text
        limited = await client.post("/api/v1/bookings", headers={"Idempotency-Key": "rate-000009"},
                                    json=booking_body(slot["id"]))
        assert_problem(limited, 429, "RATE_LIMITED")
        assert int(limited.headers["retry-after"]) >= 1
        other = (await client.get("/api/v1/availability", params={"model": "remote"})).json()["items"][1]
        staff = await client.post("/api/v1/bookings", json=booking_body(other["id"], channel="counter"),
                                  headers={"Idempotency-Key": "rate-staff-1", **bearer(client, "canbo.saigon",
                                                                                       ["officer"])})
        assert staff.status_code == 201 and staff.json()["channel"] == "counter"


async def test_openapi_documents_the_booking_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/api/v1/bookings"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert "409" in post["responses"] and "BookingOut" in str(post["responses"]["201"])
    assert "/api/v1/availability" in spec["paths"] and "/api/v1/verification-queue" in spec["paths"]
    assert m.Model.KIOSK.value in str(spec["components"]["schemas"]["SlotOut"])
