"""Lifecycle transitions: the table, reasons, optimistic concurrency, one event each, the clock and its pauses."""

from __future__ import annotations

from datetime import datetime

import grpc
import pytest

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.testing import RunningDossier, submit_request

pytestmark = pytest.mark.integration

OFFICER = common_pb2.Actor(id="canbo.benthanh", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Nguyễn Thị Lan")


def at(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2020, 11, d, hh, mm, tzinfo=VIETNAM)


async def move(stub: pb_grpc.DossierServiceStub, code: str, to: int, reason: str = "", version: int = 0) -> pb.Dossier:
    return await stub.TransitionDossier(pb.TransitionDossierRequest(code=code, to_status=to, actor=OFFICER, reason=reason,
                                                                    expected_version=version))


async def test_a_dossier_through_its_lifecycle_with_a_pause(
    stub: pb_grpc.DossierServiceStub, frozen_now, outbox  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(at(23, 9))  # Monday
    submitted = (await stub.SubmitDossier(submit_request("life-0001"))).dossier
    code = submitted.code
    # The appointment is set at receipt, online too: 5 working days, same time of day, the weekend skipped.
    assert submitted.status_code == 1 and submitted.due_label_vi == "Sáng ngày 30/11/2020"
    assert submitted.due_basis.working_days == 5 and len(submitted.due_basis.skipped_days) == 2
    frozen_now(at(23, 10))
    accepted = await move(stub, code, 2, version=1)
    assert accepted.version == 2 and accepted.due_at == submitted.due_at  # acceptance does not move the appointment
    await move(stub, code, 4)
    frozen_now(at(27, 16, 30))  # Friday 16:30: ask for a supplement
    await move(stub, code, 5, reason="Bổ sung bản sao Giấy chứng tử có chứng thực")
    frozen_now(at(30, 9))  # Monday 09:00: documents in, back to processing; 120 working minutes paused
    resumed = await move(stub, code, 4)
    assert resumed.due_basis.paused_working_minutes == 120
    assert resumed.due_label_vi == "Sáng ngày 30/11/2020" and resumed.due_at.ToDatetime().hour == 4  # 11:00 local
    frozen_now(at(30, 11))
    await move(stub, code, 9)
    done = await move(stub, code, 10)
    assert done.status_code == 10 and done.version == 7
    assert [(h.from_status, h.to_status) for h in done.history] == [(0, 1), (1, 2), (2, 4), (4, 5), (5, 4), (4, 9), (9, 10)]
    assert done.history[3].reason == "Bổ sung bản sao Giấy chứng tử có chứng thực"
    assert done.history[1].actor.id == "canbo.benthanh" and done.history[1].label_vi == "Được tiếp nhận"
    events = await outbox()
    assert [t.rsplit(".", 1)[1] for t, _, _ in events] == [
        "received", "accepted", "status_changed", "supplement_requested", "status_changed", "result_ready", "returned"]
    assert all(key == code for _, key, _ in events)
    result_ready = events[5][2]
    assert result_ready["overdue"] is False if "overdue" in result_ready else True
    # No personal data on the topic: no name, phone, e-mail, id number, address; officers by id only.
    blob = repr([data for _, _, data in events])
    for personal in ("Trần Thị Ngọc Ánh", "0912", "+8491", "anh.tran@", "079190001234", "Nguyễn Huệ", "Nguyễn Thị Lan"):
        assert personal not in blob


async def test_forbidden_moves_missing_reasons_and_stale_versions_are_refused(
    stub: pb_grpc.DossierServiceStub, dossier: RunningDossier, outbox  # type: ignore[no-untyped-def]
) -> None:
    code = (await stub.SubmitDossier(submit_request("life-0002"))).dossier.code
    with pytest.raises(grpc.aio.AioRpcError) as forbidden:
        await move(stub, code, 9)
    assert forbidden.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Mới đăng ký" in forbidden.value.details() or "TRANSITION_NOT_ALLOWED" in repr(forbidden.value.trailing_metadata())
    with pytest.raises(grpc.aio.AioRpcError) as no_reason:
        await move(stub, code, 3)
    assert no_reason.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    await move(stub, code, 2, version=1)
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await move(stub, code, 4, version=1)
    assert stale.value.code() == grpc.StatusCode.ABORTED
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await move(stub, "000.00.42.H29-201125-0999", 2)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as malformed:
        await move(stub, "000.00.42.H29-201345-0001", 2)
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # Refusals change nothing and emit nothing.
    assert [t.rsplit(".", 1)[1] for t, _, _ in await outbox()] == ["received", "accepted"]
    assert await dossier.pool.fetchval("SELECT version FROM dossiers WHERE code = $1", code) == 2


async def test_a_counter_submission_is_received_at_once_with_its_appointment(
    stub: pb_grpc.DossierServiceStub, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(datetime(2020, 12, 2, 14, 5, tzinfo=VIETNAM))
    reply = await stub.SubmitDossier(submit_request("life-0003", officer="canbo.benthanh"))
    assert reply.dossier.status_code == 2 and reply.dossier.due_label_vi == "Chiều ngày 09/12/2020"
    assert reply.receipt.due_label_vi == "Chiều ngày 09/12/2020"
    assert reply.dossier.assisted_by.id == "canbo.benthanh"
    with pytest.raises(grpc.aio.AioRpcError):
        await move(stub, reply.dossier.code, 2)  # already accepted


async def test_a_supplement_asked_at_reception_pauses_the_appointment_set_at_receipt(
    stub: pb_grpc.DossierServiceStub, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    """1 → 5 → 2: the clock set at receipt stops while the citizen completes the dossier, then runs on."""
    frozen_now(at(23, 9))  # Monday
    submitted = (await stub.SubmitDossier(submit_request("life-0004"))).dossier
    frozen_now(at(23, 10))
    await move(stub, submitted.code, 5, reason="Thiếu bản sao Giấy chứng tử")
    frozen_now(at(24, 10))  # a whole working day later (08:00–12:00, 13:30–17:30 = 480 minutes)
    accepted = await move(stub, submitted.code, 2)
    assert accepted.due_basis.paused_working_minutes == 480
    assert accepted.due_label_vi == "Sáng ngày 01/12/2020"  # 30/11 09:00 + one working day


async def test_a_dossier_paused_before_acceptance_is_never_stuck(
    stub: pb_grpc.DossierServiceStub, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    """1 → 5 → 6 → 4 → 9 → 10: every move the refusal lists is one the service makes."""
    frozen_now(at(23, 9))
    code = (await stub.SubmitDossier(submit_request("life-0005"))).dossier.code
    await move(stub, code, 5, reason="Thiếu tờ khai")
    await move(stub, code, 6)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await move(stub, code, 10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    frozen_now(at(24, 9))
    processing = await move(stub, code, 4)
    assert processing.status_code == 4 and processing.due_basis.paused_working_minutes > 0
    await move(stub, code, 9)
    assert (await move(stub, code, 10)).status_code == 10


async def test_an_appointment_across_a_make_up_saturday_names_it(
    stub: pb_grpc.DossierServiceStub, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(datetime(2025, 2, 6, 9, 0, tzinfo=VIETNAM))  # Thursday after Tết Ất Tỵ; Saturday 8/2 is worked
    submitted = (await stub.SubmitDossier(submit_request("life-0006"))).dossier
    assert submitted.due_label_vi == "Sáng ngày 12/02/2025"  # 7/2, 8/2 (Saturday), 10/2, 11/2, 12/2
    assert [(d.date.day, d.reason) for d in submitted.due_basis.make_up_days] == [(8, "Làm bù cho thứ Hai 27/01/2025")]
    assert [d.date.day for d in submitted.due_basis.skipped_days] == [9]  # Sunday
