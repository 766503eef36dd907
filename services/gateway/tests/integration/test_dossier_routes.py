"""/api/v1/dossiers and /api/v1/calendar through the real app (lifespan, auth, problems) and a real dossier service."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from motcua_dossier.testing import (
    BIRTH,
    REREGISTER_DEATH,
    REREGISTER_DEATH_DOCUMENTS,
    WITHDRAWN,
    RunningDossier,
    running_dossier,
)
from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings
from motcua_platform.embedded.process import free_port

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

pytestmark = pytest.mark.integration

PERSONAL = ("Trần Thị Ngọc Ánh", "079190001234", "0912345678", "+84912345678", "anh.tran@example.vn", "Nguyễn Huệ")


def body(**change: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "procedure_code": REREGISTER_DEATH,
        "applicant": {"full_name": "Trần Thị Ngọc Ánh", "id_number": "079190001234", "phone": "0912345678",
                      "email": "anh.tran@example.vn",
                      "address": {"street": "12 Nguyễn Huệ", "ward_name": "Phường Sài Gòn",
                                  "province_name": "Thành phố Hồ Chí Minh"}},
        "documents": [{"name": n, "originals": o, "copies": c} for n, o, c in REREGISTER_DEATH_DOCUMENTS],
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"},
    }
    data.update(change)
    return data


@pytest.fixture
async def backend(postgres_url: str, db_schema: str) -> AsyncIterator[RunningDossier]:
    async with running_dossier(postgres_url, db_schema, public_base_url="https://dichvucong.example.vn") as running:
        yield running


def _app(postgres_url: str, kafka_bootstrap: str, backend: RunningDossier, **settings: Any):  # type: ignore[no-untyped-def]
    return create_app(Settings(
        database_url=postgres_url, kafka_bootstrap=kafka_bootstrap, dossier_target=backend.address,
        catalogue_target=backend.catalogue_server.address, scheduler_target=f"127.0.0.1:{free_port()}",
        notification_target=f"127.0.0.1:{free_port()}", auth_dev_issuer=True,
        public_base_url="https://dichvucong.example.vn", **settings,
    ))


@pytest.fixture
async def client(postgres_url: str, kafka_bootstrap: str, backend: RunningDossier) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(postgres_url, kafka_bootstrap, backend, dossier_lookup_burst=1000, dossier_submit_burst=1000)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


def officer_headers(client: httpx.AsyncClient, agency: str | None = "000.00.42.H29", roles: list[str] | None = None
                    ) -> dict[str, str]:
    token = client.app.state.verifier.issue(subject="canbo.benthanh", name="Nguyễn Thị Lan",  # type: ignore[attr-defined]
                                            roles=roles or ["officer"], agency=agency)
    return {"Authorization": f"Bearer {token}"}


async def test_submit_follow_print_and_move_a_dossier(client: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = await client.post("/api/v1/dossiers", json=body(), headers=key)
    assert created.status_code == 201, created.text
    out = created.json()
    code, token = out["code"], out["public_token"]
    assert out["status"] == 1 and out["status_label"] == "Mới đăng ký"
    due = datetime.fromisoformat(out["due_at"]).astimezone(VIETNAM)  # the appointment is set at receipt
    assert out["due_label"] == ("Sáng" if due.hour < 12 else "Chiều") + due.strftime(" ngày %d/%m/%Y")
    assert out["receipt_url"] == f"https://dichvucong.example.vn/api/v1/dossiers/{code}/receipt?token={token}"
    assert out["status_url"] == f"https://dichvucong.example.vn/tra-cuu/{code}?token={token}"

    replay = await client.post("/api/v1/dossiers", json=body(), headers=key)
    assert replay.status_code == 200 and replay.json()["code"] == code and replay.json()["replayed"] is True
    other = await client.post("/api/v1/dossiers", json=body(result_delivery="post"), headers=key)
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    missing = await client.post("/api/v1/dossiers", json=body())
    assert missing.status_code == 400 and missing.headers["content-type"].startswith("application/problem+json")
    short = await client.post("/api/v1/dossiers", json=body(), headers={"Idempotency-Key": "abc"})
    assert short.status_code == 400 and short.json()["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert "8 đến 128 ký tự" in short.json()["detail"]
    spec = (await client.get("/openapi.json")).json()
    key = next(p for p in spec["paths"]["/api/v1/dossiers"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is True and key["schema"]["minLength"] == 8 and key["schema"]["maxLength"] == 128

    public = await client.get(f"/api/v1/dossiers/{code}")
    assert public.status_code == 200
    assert set(public.json()) == {"code", "status", "status_label", "last_update", "due_at", "due_label", "procedure_name",
                                  "agency_name", "history"}
    assert not any(p in public.text for p in PERSONAL) and token not in public.text

    full = await client.get(f"/api/v1/dossiers/{code}", params={"token": token})
    assert full.status_code == 200 and full.json()["view"] == "applicant"
    assert full.json()["applicant"]["full_name"] == "Trần Thị Ngọc Ánh"
    wrong = await client.get(f"/api/v1/dossiers/{code}", params={"token": "guess"})
    unknown_with_token = await client.get("/api/v1/dossiers/000.00.42.H29-201125-0042", params={"token": token})
    assert wrong.status_code == unknown_with_token.status_code == 403
    assert wrong.json()["detail"] == unknown_with_token.json()["detail"]
    assert (await client.get("/api/v1/dossiers/000.00.42.H29-201125-0042")).status_code == 404
    malformed = await client.get("/api/v1/dossiers/000.00.42.H29-201345-0001")
    assert malformed.status_code == 422 and "không đúng định dạng" in malformed.json()["detail"]

    html = await client.get(f"/api/v1/dossiers/{code}/receipt", params={"token": token})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html.text
    pdf = await client.get(f"/api/v1/dossiers/{code}/receipt.pdf", params={"token": token})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == f'attachment; filename="bien-nhan-{code}.pdf"'
    assert (await client.get(f"/api/v1/dossiers/{code}/receipt.pdf")).status_code == 422
    assert (await client.get(f"/api/v1/dossiers/{code}/receipt.pdf", params={"token": "x"})).status_code == 403

    url = f"/api/v1/dossiers/{code}/transitions"
    assert (await client.post(url, json={"to_status": 2})).status_code == 401
    assert (await client.post(url, json={"to_status": 2}, headers=officer_headers(client, roles=["volunteer"]))
            ).status_code == 403
    foreign = await client.post(url, json={"to_status": 2}, headers=officer_headers(client, agency="000.00.41.H29"))
    assert foreign.status_code == 403 and foreign.json()["code"] == "DOSSIER_OTHER_AGENCY"
    accepted = await client.post(url, json={"to_status": 2, "expected_version": 1}, headers=officer_headers(client))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status_label"] == "Được tiếp nhận"
    assert accepted.json()["due_label"].startswith(("Sáng ngày ", "Chiều ngày "))
    assert accepted.json()["history"][-1]["actor_name"] == "Nguyễn Thị Lan"
    illegal = await client.post(url, json={"to_status": 10}, headers=officer_headers(client))
    assert illegal.status_code == 422 and "Không thể chuyển hồ sơ" in illegal.json()["detail"]
    stale = await client.post(url, json={"to_status": 4, "expected_version": 1}, headers=officer_headers(client))
    assert stale.status_code == 409
    after = await client.get(f"/api/v1/dossiers/{code}", params={"token": token})
    assert after.json()["history"][-1]["actor_name"] == ""  # officers' names are not shown to the applicant

    as_officer = await client.get(f"/api/v1/dossiers/{code}", headers=officer_headers(client))
    assert as_officer.json()["view"] == "officer" and as_officer.json()["applicant"]["id_number"] == "079190001234"
    other_agency = await client.get(f"/api/v1/dossiers/{code}", headers=officer_headers(client, agency="000.00.41.H29"))
    assert other_agency.status_code == 403
    listed = await client.get("/api/v1/dossiers", headers=officer_headers(client))
    assert listed.status_code == 200 and [i["code"] for i in listed.json()["items"]] == [code]


def citizen_headers(client: httpx.AsyncClient, id_number: str | None) -> dict[str, str]:
    """A citizen's sign-in as the national identity provider would issue it (role citizen, the verified ID number)."""
    token = client.app.state.verifier.issue(subject=f"vneid-{id_number}", name="Công dân",  # type: ignore[attr-defined]
                                            roles=["citizen"], id_number=id_number)
    return {"Authorization": f"Bearer {token}"}


async def test_the_applicant_signed_in_sees_her_dossier_in_full_and_others_see_the_public_view(
        client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/dossiers", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())})
    code = created.json()["code"]
    accepted = await client.post(f"/api/v1/dossiers/{code}/transitions", json={"to_status": 2},
                                 headers=officer_headers(client))
    assert accepted.status_code == 200, accepted.text

    mine = await client.get(f"/api/v1/dossiers/{code}", headers=citizen_headers(client, "079190001234"))
    assert mine.status_code == 200 and mine.json()["view"] == "applicant"
    assert mine.json()["applicant"]["full_name"] == "Trần Thị Ngọc Ánh"
    assert [h["status"] for h in mine.json()["history"]] == [1, 2]
    assert mine.json()["history"][-1]["actor_name"] == ""  # as with the token: officers' names are not shown
    with_token = await client.get(f"/api/v1/dossiers/{code}", params={"token": created.json()["public_token"]})
    assert mine.json() == with_token.json()  # the same full view the receipt's token opens
    for full in (mine, with_token, await client.get(f"/api/v1/dossiers/{code}", headers=officer_headers(client))):
        assert full.headers["cache-control"] == "private, no-store"  # personal data: no cache keeps it
        assert full.headers["referrer-policy"] == "no-referrer"

    anonymous = await client.get(f"/api/v1/dossiers/{code}")
    for other in ("079190009999", None):  # another citizen; a citizen whose sign-in carries no ID number
        seen = await client.get(f"/api/v1/dossiers/{code}", headers=citizen_headers(client, other))
        assert seen.status_code == 200 and seen.json() == anonymous.json()  # the public view, nothing more
        assert not any(p in seen.text for p in PERSONAL)
    unknown = await client.get("/api/v1/dossiers/000.00.42.H29-201125-0042", headers=citizen_headers(client, "079190001234"))
    assert unknown.status_code == 404  # as for anyone: the sign-in reveals nothing about codes
    malformed = await client.get("/api/v1/dossiers/000.00.42.H29-201345-0001", headers=citizen_headers(client, "079190001234"))
    assert malformed.status_code == 422

    # A sign-in whose ID number claim is not an ID number is refused, not read as anonymous.
    bad = await client.get(f"/api/v1/dossiers/{code}", headers=citizen_headers(client, "12-34"))
    assert bad.status_code == 401 and bad.json()["code"] == "TOKEN_INVALID"
    # The claim means something only in a citizen's token: an officer's ID number claim opens nothing more.
    officer_with_id = client.app.state.verifier.issue(subject="tnv", name="TNV", roles=["volunteer"],  # type: ignore[attr-defined]
                                                      id_number="079190001234")
    volunteer = await client.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {officer_with_id}"})
    assert volunteer.status_code == 200 and volunteer.json() == anonymous.json()


async def test_counter_submission_with_linked_dossiers_and_journey(client: httpx.AsyncClient) -> None:
    docs = [{"name": n} for n in ("Tờ khai đăng ký khai sinh",
                                  "Giấy chứng sinh hoặc văn bản của người làm chứng xác nhận về việc sinh")]
    docs.append({"name": "Giấy tờ tùy thân của người yêu cầu (hộ chiếu, thẻ căn cước hoặc giấy tờ có ảnh do cơ quan có "
                         "thẩm quyền cấp) để đối chiếu"})
    created = await client.post(
        "/api/v1/dossiers", json=body(procedure_code=BIRTH, documents=docs, subject={"birth_date": "2026-01-05"}),
        headers={"Idempotency-Key": str(uuid.uuid4()), **officer_headers(client, agency="000.00.41.H29")})
    assert created.status_code == 201, created.text
    out = created.json()
    due = datetime.fromisoformat(out["due_at"]).astimezone(VIETNAM)  # the label follows the time of day of the receipt
    assert out["status"] == 2 and out["due_label"] == ("Sáng" if due.hour < 12 else "Chiều") + due.strftime(" ngày %d/%m/%Y")
    assert len(out["linked_codes"]) == 2
    journey = await client.get(f"/api/v1/dossiers/{out['code']}/journey", params={"token": out["public_token"]})
    steps = journey.json()["steps"]
    assert [s["relation"] for s in steps] == ["root", "linked", "linked"]
    assert (await client.get(f"/api/v1/dossiers/{out['code']}/journey")).status_code == 422

    # The agency that runs a linked procedure reads its own linked dossier in full (the events carry no personal
    # data), with its agency's token; of the root dossier (another agency's) it gets the public view.
    linked = steps[1]
    mine = officer_headers(client, agency=linked["agency_code"], roles=["agency"])
    full = await client.get(f"/api/v1/dossiers/{linked['code']}", headers=mine)
    assert full.status_code == 200 and full.json()["view"] == "officer"
    assert full.json()["applicant"]["id_number"] == "079190001234"
    assert full.headers["cache-control"] == "private, no-store"
    other = await client.get(f"/api/v1/dossiers/{out['code']}", headers=mine)  # the root: the public view
    assert other.status_code == 200 and "applicant" not in other.json() and other.json()["code"] == out["code"]
    unbound = officer_headers(client, agency=None, roles=["agency"])  # an agency token must name its agency
    public = await client.get(f"/api/v1/dossiers/{linked['code']}", headers=unbound)
    assert public.status_code == 200 and "applicant" not in public.json()


async def test_counter_channel_needs_an_officer_and_missing_documents_are_named(client: httpx.AsyncClient) -> None:
    counter = await client.post("/api/v1/dossiers", json=body(channel="counter"), headers={"Idempotency-Key": "k" * 16})
    assert counter.status_code == 403
    missing = await client.post("/api/v1/dossiers", json=body(documents=[]), headers={"Idempotency-Key": "m" * 16})
    assert missing.status_code == 422 and missing.json()["detail"].startswith("Hồ sơ còn thiếu giấy tờ bắt buộc:")
    invalid = await client.post("/api/v1/dossiers", json=body(applicant={"full_name": "x"}), headers={"Idempotency-Key": "i" * 16})
    assert invalid.status_code == 422 and invalid.json()["code"] == "VALIDATION_FAILED"


async def test_public_look_ups_are_rate_limited_per_address_but_not_for_staff(
    postgres_url: str, kafka_bootstrap: str, backend: RunningDossier
) -> None:
    app = _app(postgres_url, kafka_bootstrap, backend, dossier_lookup_rate_per_second=0.2, dossier_lookup_burst=3)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            client.app = app  # type: ignore[attr-defined]
            replies = [await client.get(f"/api/v1/dossiers/000.00.42.H29-201125-{i:04d}") for i in range(1, 5)]
            assert [r.status_code for r in replies] == [404, 404, 404, 429]
            assert replies[-1].headers["retry-after"] == "5"
            assert replies[-1].json()["code"] == "RATE_LIMITED" and "thử lại sau 5 giây" in replies[-1].json()["detail"]
            staff = await client.get("/api/v1/dossiers/000.00.42.H29-201125-0009", headers=officer_headers(client))
            assert staff.status_code == 404


async def test_look_ups_arriving_together_share_batched_calls_and_answer_as_single_ones(
    postgres_url: str, kafka_bootstrap: str, backend: RunningDossier
) -> None:
    """Concurrent public look-ups go to the dossier service in GetPublicStatuses calls (one at a time here), and
    every answer, 404 and 422 included, is the one a single GetPublicStatus call gives."""
    app = _app(postgres_url, kafka_bootstrap, backend, dossier_lookup_burst=1000, dossier_submit_burst=1000,
               lookup_batch_in_flight=1)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            codes = []
            for _ in range(3):
                created = await client.post("/api/v1/dossiers", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())})
                assert created.status_code == 201, created.text
                codes.append(created.json()["code"])
            unknown, malformed = "000.00.42.H29-201125-9999", "000.00.42.H29-201399-0001"  # 13th month
            asked = [*codes * 10, unknown, malformed]
            replies = await asyncio.gather(*(client.get(f"/api/v1/dossiers/{c}") for c in asked))
            batcher = app.state.public_status_batcher[1]
            assert batcher.codes == len(asked) and batcher.calls < len(asked) / 2, (batcher.calls, batcher.codes)
    single_app = _app(postgres_url, kafka_bootstrap, backend, dossier_lookup_burst=1000, lookup_batch_in_flight=0)
    async with single_app.router.lifespan_context(single_app):  # the same look-ups, one GetPublicStatus call each
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=single_app), base_url="http://gw") as client:
            singles = [await client.get(f"/api/v1/dossiers/{c}") for c in (*codes, unknown, malformed)]
            assert getattr(single_app.state, "public_status_batcher", None) is None
    by_code = {c: r for c, r in zip(asked, replies, strict=True)}
    for code, single in zip((*codes, unknown, malformed), singles, strict=True):
        assert (by_code[code].status_code, by_code[code].json()) == (single.status_code, single.json())
    assert [by_code[c].status_code for c in (*codes, unknown, malformed)] == [200, 200, 200, 404, 422]
    assert by_code[codes[0]].json()["code"] == codes[0] and by_code[codes[0]].json()["status"] == 1
    assert not any(p in by_code[codes[0]].text for p in PERSONAL)
    assert by_code[unknown].json()["code"] == "DOSSIER_NOT_FOUND"
    assert by_code[malformed].json()["code"] == "DOSSIER_CODE_INVALID"


async def test_submissions_arriving_together_share_batched_calls_and_answer_as_single_ones(
    postgres_url: str, kafka_bootstrap: str, backend: RunningDossier
) -> None:
    """Concurrent submissions go to the dossier service in SubmitDossiers calls (one at a time here); each answer,
    refusals included, is the one a single SubmitDossier call gives, and each dossier is registered once."""
    taken = str(uuid.uuid4())
    bad = {"missing": body(documents=[]), "withdrawn": body(procedure_code=WITHDRAWN, documents=[]),
           "reused": body(applicant={**body()["applicant"], "full_name": "Lê Văn Bình"})}

    async def run(client: httpx.AsyncClient) -> tuple[list[httpx.Response], dict[str, httpx.Response]]:
        first = await client.post("/api/v1/dossiers", json=body(), headers={"Idempotency-Key": taken})
        assert first.status_code == 201, first.text
        keys = {"missing": str(uuid.uuid4()), "withdrawn": str(uuid.uuid4()), "reused": taken}
        good = [client.post("/api/v1/dossiers", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())})
                for _ in range(12)]
        refused = [client.post("/api/v1/dossiers", json=bad[k], headers={"Idempotency-Key": keys[k]}) for k in bad]
        replies = await asyncio.gather(*good, *refused)
        return list(replies[:12]), dict(zip(bad, replies[12:], strict=True))

    app = _app(postgres_url, kafka_bootstrap, backend, dossier_lookup_burst=1000, dossier_submit_burst=1000,
               submit_call_batch_in_flight=1)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            good, refused = await run(client)
            batcher = app.state.submit_batcher[1]
            assert batcher.submissions == 16 and batcher.calls < 8, (batcher.calls, batcher.submissions)
    single_app = _app(postgres_url, kafka_bootstrap, backend, dossier_lookup_burst=1000, dossier_submit_burst=1000,
                      submit_call_batch_in_flight=0)
    async with single_app.router.lifespan_context(single_app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=single_app), base_url="http://gw") as client:
            taken = str(uuid.uuid4())
            _, single = await run(client)
            assert getattr(single_app.state, "submit_batcher", None) is None
    assert [r.status_code for r in good] == [201] * 12
    assert len({r.json()["code"] for r in good}) == 12
    for kind, reply in refused.items():
        expected = single[kind].json()
        assert (reply.status_code, reply.json()["code"], reply.json()["detail"]) == (
            single[kind].status_code, expected["code"], expected["detail"]), kind
    assert [refused[k].json()["code"] for k in bad] == ["DOCUMENTS_MISSING", "PROCEDURE_WITHDRAWN",
                                                        "IDEMPOTENCY_KEY_REUSED"]
    assert refused["missing"].json()["detail"].startswith("Hồ sơ còn thiếu giấy tờ bắt buộc:")
    assert await backend.pool.fetchval("SELECT count(*) FROM dossiers") == 2 * 13


@pytest.mark.parametrize(("received_at", "days", "label", "session", "skipped"), [
    ("2020-12-02T14:05", 5, "Chiều ngày 09/12/2020", "afternoon", ["2020-12-05", "2020-12-06"]),
    ("2020-12-02T07:05:00+00:00", 5, "Chiều ngày 09/12/2020", "afternoon", ["2020-12-05", "2020-12-06"]),
    ("2025-01-24T09:00", 1, "Sáng ngày 03/02/2025", "morning",
     ["2025-01-25", "2025-01-26", "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01",
      "2025-02-02"]),
])
async def test_due_date_endpoint(client: httpx.AsyncClient, received_at: str, days: int, label: str, session: str,
                                 skipped: list[str]) -> None:
    reply = await client.get("/api/v1/calendar/due-date", params={"received_at": received_at, "working_days": days})
    assert reply.status_code == 200, reply.text
    out = reply.json()
    assert (out["label_vi"], out["session"]) == (label, session)
    assert out["due_at"].endswith("+07:00")
    assert [s["date"] for s in out["skipped"]] == skipped and all(s["reason"] for s in out["skipped"])


async def test_due_date_endpoint_refuses_bad_input(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/calendar/due-date", params={"received_at": "hôm qua", "working_days": 1})
            ).status_code == 422
    assert (await client.get("/api/v1/calendar/due-date", params={"received_at": "2020-12-02", "working_days": -1})
            ).status_code == 422


async def test_openapi_documents_the_routes_with_models(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/dossiers", "/api/v1/dossiers/{code}", "/api/v1/dossiers/{code}/receipt",
                 "/api/v1/dossiers/{code}/receipt.pdf", "/api/v1/dossiers/{code}/transitions", "/api/v1/calendar/due-date"):
        assert path in spec["paths"], path
    assert "SubmitOut" in spec["components"]["schemas"] and "DueDateOut" in spec["components"]["schemas"]


async def test_applicant_withdraws_with_the_receipt_token(client: httpx.AsyncClient, backend: RunningDossier) -> None:
    created = (await client.post("/api/v1/dossiers", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())})).json()
    code, token = created["code"], created["public_token"]
    url = f"/api/v1/dossiers/{code}/withdrawal"

    wrong = await client.post(url, json={"token": "not-the-token", "reason": "Tôi nộp nhầm thủ tục"})
    unknown = await client.post("/api/v1/dossiers/000.00.42.H29-201125-0042/withdrawal",
                                json={"token": token, "reason": "Tôi nộp nhầm thủ tục"})
    assert wrong.status_code == unknown.status_code == 403 and wrong.json()["detail"] == unknown.json()["detail"]
    no_reason = await client.post(url, json={"token": token, "reason": ""})
    assert no_reason.status_code == 422

    done = await client.post(url, json={"token": token, "reason": "Tôi nộp nhầm thủ tục"})
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["status"] == 7 and out["status_label"] == "Công dân yêu cầu rút hồ sơ"
    assert out["history"][-1]["reason"] == "Tôi nộp nhầm thủ tục"
    again = await client.post(url, json={"token": token, "reason": "Lần hai"})
    assert again.status_code == 422 and "Không thể chuyển hồ sơ" in again.json()["detail"]

    # Recorded with the applicant as actor, and one `withdrawn` event in the same transaction.
    async with backend.pool.acquire() as conn:
        role = await conn.fetchval(
            "SELECT h.actor->>'role' FROM status_history h JOIN dossiers d ON d.id = h.dossier_id "
            "WHERE d.code = $1 ORDER BY h.version DESC LIMIT 1", code)
        events = await conn.fetchval("SELECT count(*) FROM outbox WHERE partition_key = $1 AND type LIKE '%withdrawn'", code)
    assert role == "citizen" and events == 1


async def test_calendar_overrides_by_operators_and_officers_change_later_appointments(client: httpx.AsyncClient) -> None:
    operator = officer_headers(client, agency=None, roles=["operator"])
    officer = officer_headers(client, agency="000.00.42.H29")
    ask = {"received_at": "2026-11-23T14:00", "working_days": 1}  # Monday afternoon
    assert (await client.get("/api/v1/calendar/due-date", params=ask)).json()["label_vi"] == "Chiều ngày 24/11/2026"

    day_off = {"kind": "off", "reason": "Nghỉ đột xuất theo quyết định", "decision_ref": "QĐ 99/QĐ-TTg"}
    assert (await client.put("/api/v1/calendar/overrides/2026-11-24", json=day_off)).status_code == 401
    refused = await client.put("/api/v1/calendar/overrides/2026-11-24", json=day_off, headers=officer)
    assert refused.status_code == 403 and refused.json()["code"] == "CALENDAR_NATIONWIDE_OPERATOR_ONLY"
    other = await client.put("/api/v1/calendar/overrides/2026-11-24", json={**day_off, "agency_code": "000.00.41.H29"},
                             headers=officer)
    assert other.status_code == 403 and other.json()["code"] == "CALENDAR_OTHER_AGENCY"

    made = await client.put("/api/v1/calendar/overrides/2026-11-24", json=day_off, headers=operator)
    assert made.status_code == 200, made.text
    assert made.json()["day"] == "2026-11-24" and made.json()["agency_code"] == "" and made.json()["kind"] == "off"
    moved = (await client.get("/api/v1/calendar/due-date", params=ask)).json()
    assert moved["label_vi"] == "Chiều ngày 25/11/2026"
    assert moved["skipped"] == [{"date": "2026-11-24", "reason": "Nghỉ đột xuất theo quyết định"}]
    # A working Saturday: counted, and named in the explanation.
    saturday = await client.put("/api/v1/calendar/overrides/2026-11-28", headers=operator,
                                json={"kind": "work", "reason": "Làm bù cho ngày 24/11/2026"})
    assert saturday.status_code == 200
    friday = (await client.get("/api/v1/calendar/due-date", params={"received_at": "2026-11-27T09:00",
                                                                    "working_days": 1})).json()
    assert friday["label_vi"] == "Sáng ngày 28/11/2026"
    assert friday["make_up_days"] == [{"date": "2026-11-28", "reason": "Làm bù cho ngày 24/11/2026"}]
    assert (await client.delete("/api/v1/calendar/overrides/2026-11-28", headers=operator)).status_code == 204
    own = await client.put("/api/v1/calendar/overrides/2026-11-25", headers=officer,
                           json={"kind": "off", "reason": "Phường nghỉ", "agency_code": "000.00.42.H29"})
    assert own.status_code == 200
    listed = await client.get("/api/v1/calendar/overrides", params={"from": "2026-11-01", "to": "2026-11-30",
                                                                     "agency": "000.00.42.H29"})
    assert [(i["day"], i["agency_code"]) for i in listed.json()["items"]] == [
        ("2026-11-24", ""), ("2026-11-25", "000.00.42.H29")]
    nationwide = await client.get("/api/v1/calendar/overrides", params={"from": "2026-11-01", "to": "2026-11-30"})
    assert [i["day"] for i in nationwide.json()["items"]] == ["2026-11-24"]

    assert (await client.delete("/api/v1/calendar/overrides/2026-11-24", headers=operator)).status_code == 204
    again = await client.delete("/api/v1/calendar/overrides/2026-11-24", headers=operator)
    assert again.status_code == 404 and again.json()["code"] == "CALENDAR_OVERRIDE_NOT_FOUND"
    assert (await client.delete("/api/v1/calendar/overrides/2026-11-25", params={"agency": "000.00.42.H29"},
                                headers=officer)).status_code == 204
    assert (await client.get("/api/v1/calendar/due-date", params=ask)).json()["label_vi"] == "Chiều ngày 24/11/2026"

    bad_kind = await client.put("/api/v1/calendar/overrides/2026-11-24", json={**day_off, "kind": "holiday"},
                                headers=operator)
    bad_day = await client.put("/api/v1/calendar/overrides/2026-02-30", json=day_off, headers=operator)
    bad_range = await client.get("/api/v1/calendar/overrides", params={"from": "2026-01-01", "to": "2027-06-01"})
    assert (bad_kind.status_code, bad_day.status_code, bad_range.status_code) == (422, 422, 422)
