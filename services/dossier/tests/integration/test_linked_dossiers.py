"""Linked procedures (liên thông): created in the submission's transaction, each with its own code, one journey."""

from __future__ import annotations

from datetime import datetime

import grpc
import pytest

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.testing import BIRTH, DEATH, HEALTH_CARD, RESIDENCE, RESIDENCE_REMOVAL, submit_request
from motcua_platform.grpc_client import decode_rpc_error

pytestmark = pytest.mark.integration


async def test_birth_of_a_child_under_six_creates_residence_and_health_card_dossiers(
    stub: pb_grpc.DossierServiceStub, frozen_now, outbox  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(datetime(2026, 11, 23, 9, 30, tzinfo=VIETNAM))
    reply = await stub.SubmitDossier(submit_request("link-0001", procedure_code=BIRTH, birth=(2026, 11, 20)))
    root = reply.dossier
    assert root.code == "000.00.41.H29-261123-0001"
    assert list(root.linked_codes) == ["000.20.41.H29-261123-0001", "000.00.30.H29-261123-0001"]
    journey = await stub.GetJourney(pb.GetJourneyRequest(code=root.linked_codes[1]))
    assert journey.root_code == root.code
    assert [(s.procedure_code, s.relation, s.parent_code) for s in journey.steps] == [
        (BIRTH, pb.LINK_RELATION_ROOT, ""), (RESIDENCE, pb.LINK_RELATION_LINKED, root.code),
        (HEALTH_CARD, pb.LINK_RELATION_LINKED, root.code)]
    assert journey.steps[1].agency_name == "Công an phường Sài Gòn"
    linked = await stub.GetDossier(pb.GetDossierRequest(code=root.linked_codes[0]))
    assert linked.parent_code == root.code and linked.status_code == 1 and linked.history[0].actor.id == "system:lien-thong"
    events = await outbox()
    assert [(t.rsplit(".", 1)[1], key) for t, key, _ in events] == [
        ("received", root.code), ("received", root.linked_codes[0]), ("linked_created", root.linked_codes[0]),
        ("received", root.linked_codes[1]), ("linked_created", root.linked_codes[1])]
    created = events[2][2]
    assert created["parentCode"] == root.code and created["rootCode"] == root.code and created["parentProcedureCode"] == BIRTH
    # A second birth the same day: every agency's counter moves by one.
    second = await stub.SubmitDossier(submit_request("link-0002", procedure_code=BIRTH, birth=(2026, 11, 21)))
    assert [c[-4:] for c in (second.dossier.code, *second.dossier.linked_codes)] == ["0002", "0002", "0002"]


async def test_death_registration_links_residence_removal_and_funeral_allowance(stub: pb_grpc.DossierServiceStub) -> None:
    reply = await stub.SubmitDossier(submit_request("link-0003", procedure_code=DEATH))
    journey = await stub.GetJourney(pb.GetJourneyRequest(code=reply.dossier.code))
    assert [s.procedure_code for s in journey.steps][1] == RESIDENCE_REMOVAL and len(journey.steps) == 3


async def test_no_linked_dossiers_for_an_older_child_or_when_declined(stub: pb_grpc.DossierServiceStub) -> None:
    older = await stub.SubmitDossier(submit_request("link-0004", procedure_code=BIRTH, birth=(2015, 1, 1)))
    declined = await stub.SubmitDossier(submit_request("link-0005", procedure_code=BIRTH, birth=(2026, 1, 1),
                                                       skip_linked=True))
    assert list(older.dossier.linked_codes) == [] and list(declined.dossier.linked_codes) == []


async def test_a_birth_registration_without_the_birth_date_is_refused_not_silently_unlinked(
    stub: pb_grpc.DossierServiceStub, outbox  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.SubmitDossier(submit_request("link-0006", procedure_code=BIRTH))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = decode_rpc_error(refused.value)
    assert error.code == "DOSSIER_INVALID" and "Cần ngày sinh của trẻ" in error.message_vi
    assert await outbox() == []  # nothing registered, no number taken
    declined = await stub.SubmitDossier(submit_request("link-0007", procedure_code=BIRTH, skip_linked=True))
    assert list(declined.dossier.linked_codes) == [] and declined.dossier.code.endswith("-0001")
