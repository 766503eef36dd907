"""gRPC servicer of motcua.catalogue.v1.CatalogueService: proto ↔ domain translation only."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import grpc
from google.protobuf import timestamp_pb2

from motcua.catalogue.v1 import catalogue_service_pb2 as pb
from motcua.catalogue.v1 import catalogue_service_pb2_grpc as pb_grpc
from motcua.common.v1 import common_pb2
from motcua_catalogue.domain import errors
from motcua_catalogue.domain import model as m

if TYPE_CHECKING:
    from motcua_catalogue.service import CatalogueService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CatalogueService"].full_name

LEVEL_TO_PB = {
    m.Level.PROVINCE: pb.GOVERNMENT_LEVEL_PROVINCE,
    m.Level.DISTRICT: pb.GOVERNMENT_LEVEL_DISTRICT_HISTORICAL,
    m.Level.COMMUNE: pb.GOVERNMENT_LEVEL_COMMUNE,
}
LEVEL_FROM_PB = {v: k for k, v in LEVEL_TO_PB.items()}
ONLINE_TO_PB = {
    m.OnlineLevel.FULL: pb.ONLINE_LEVEL_FULL,
    m.OnlineLevel.PARTIAL: pb.ONLINE_LEVEL_PARTIAL,
    m.OnlineLevel.NONE: pb.ONLINE_LEVEL_UNSPECIFIED,
}
ONLINE_FROM_PB = {pb.ONLINE_LEVEL_FULL: m.OnlineLevel.FULL, pb.ONLINE_LEVEL_PARTIAL: m.OnlineLevel.PARTIAL}
CHANNEL_TO_PB = {
    m.Channel.IN_PERSON: pb.DELIVERY_CHANNEL_IN_PERSON,
    m.Channel.POST: pb.DELIVERY_CHANNEL_POST,
    m.Channel.ONLINE: pb.DELIVERY_CHANNEL_ONLINE,
}
CHANNEL_FROM_PB = {v: k for k, v in CHANNEL_TO_PB.items()}
STATUS_TO_PB = {
    m.Status.DRAFT: pb.PROCEDURE_STATUS_DRAFT,
    m.Status.PUBLISHED: pb.PROCEDURE_STATUS_PUBLISHED,
    # The contract's WITHDRAWN covers "abolished or replaced".
    m.Status.SUPERSEDED: pb.PROCEDURE_STATUS_WITHDRAWN,
    m.Status.WITHDRAWN: pb.PROCEDURE_STATUS_WITHDRAWN,
}
ROLE_NAMES = {
    common_pb2.ACTOR_ROLE_OFFICER: "officer",
    common_pb2.ACTOR_ROLE_VOLUNTEER: "volunteer",
    common_pb2.ACTOR_ROLE_CITIZEN: "citizen",
    common_pb2.ACTOR_ROLE_SYSTEM: "system",
    common_pb2.ACTOR_ROLE_AGENCY: "agency",
}
ROLE_TO_PB = {v: k for k, v in ROLE_NAMES.items()}


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def local_date(value: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


def actor_from_pb(actor: common_pb2.Actor) -> m.Actor | None:
    if not actor.id or actor.role not in ROLE_NAMES:
        return None
    return m.Actor(actor.id, ROLE_NAMES[actor.role], actor.display_name)


def actor_to_pb(actor: m.Actor) -> common_pb2.Actor:
    # Officers' names stay out of events and records: the id identifies them.
    return common_pb2.Actor(id=actor.id, role=ROLE_TO_PB.get(actor.role, common_pb2.ACTOR_ROLE_UNSPECIFIED))


def procedure_to_pb(v: m.ProcedureVersion) -> pb.Procedure:
    c = v.content
    return pb.Procedure(
        code=c.code,
        version=v.version,
        status=STATUS_TO_PB[v.status],
        name=c.name,
        field=pb.Field(code=c.field.code, name=c.field.name),
        level=LEVEL_TO_PB[c.level],
        agency=pb.Agency(code=c.agency.code, name=c.agency.name),
        online_level=ONLINE_TO_PB[c.online_level],
        legacy_level_label=c.legacy_level_label,
        processing_times=[
            pb.ProcessingTime(
                working_days=t.working_days,
                description=t.description,
                channel=CHANNEL_TO_PB[t.channel] if t.channel else pb.DELIVERY_CHANNEL_UNSPECIFIED,
            )
            for t in c.processing_times
        ],
        fees=[
            pb.Fee(
                name=f.name,
                amount=common_pb2.Money(amount_vnd=f.amount_vnd),
                effective_from=local_date(f.effective_from),
                effective_to=local_date(f.effective_to) if f.effective_to else None,
                note=f.note,
            )
            for f in c.fees
        ],
        required_documents=[
            pb.RequiredDocument(
                name=d.name, originals=d.originals, copies=d.copies, required=d.required,
                form_template_ref=d.form_template_ref, note=d.note,
            )
            for d in c.required_documents
        ],
        submission_channels=[CHANNEL_TO_PB[ch] for ch in c.submission_channels],
        result_channels=[CHANNEL_TO_PB[ch] for ch in c.result_channels],
        legal_basis=list(c.legal_basis),
        keywords=list(c.keywords),
        synonyms=list(c.synonyms),
        created_at=timestamp(v.created_at),
        updated_at=timestamp(v.updated_at),
        published_at=timestamp(v.published_at),
        withdrawn_at=timestamp(v.withdrawn_at),
        withdrawal_reason=v.withdrawal_reason,
        replaced_by_code=v.replaced_by_code,
    )


def _date(value: common_pb2.LocalDate, what: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise errors.invalid_procedure([f"{what}: not a valid date"]) from None


def content_from_pb(p: pb.Procedure) -> m.ProcedureContent:
    """The content of a draft sent by an officer; shape errors raise InvalidArgument (rules are checked by the service)."""
    if p.level not in LEVEL_FROM_PB:
        raise errors.invalid_procedure(["level: required"])
    if any(ch not in CHANNEL_FROM_PB for ch in (*p.submission_channels, *p.result_channels)):
        raise errors.invalid_procedure(["submission_channels/result_channels: unknown channel"])
    return m.ProcedureContent(
        code=p.code.strip(),
        name=p.name,
        field=m.Field(p.field.code, p.field.name),
        level=LEVEL_FROM_PB[p.level],
        agency=m.Agency(p.agency.code, p.agency.name),
        online_level=ONLINE_FROM_PB.get(p.online_level, m.OnlineLevel.NONE),
        legacy_level_label=p.legacy_level_label,
        processing_times=tuple(
            m.ProcessingTime(t.working_days, t.description, CHANNEL_FROM_PB.get(t.channel)) for t in p.processing_times
        ),
        fees=tuple(
            m.Fee(
                f.name,
                f.amount.amount_vnd,
                _date(f.effective_from, f"fees[{i}].effective_from"),
                _date(f.effective_to, f"fees[{i}].effective_to") if f.HasField("effective_to") else None,
                f.note,
            )
            for i, f in enumerate(p.fees)
        ),
        required_documents=tuple(
            m.RequiredDocument(d.name, d.originals, d.copies, d.required, d.form_template_ref, d.note)
            for d in p.required_documents
        ),
        submission_channels=tuple(CHANNEL_FROM_PB[ch] for ch in p.submission_channels),
        result_channels=tuple(CHANNEL_FROM_PB[ch] for ch in p.result_channels),
        legal_basis=tuple(p.legal_basis),
        keywords=tuple(p.keywords),
        synonyms=tuple(p.synonyms),
    )


def summary_to_pb(s: m.ProcedureSummary) -> pb.ProcedureSummary:
    return pb.ProcedureSummary(
        code=s.code,
        version=s.version,
        name=s.name,
        field=pb.Field(code=s.field.code, name=s.field.name),
        level=LEVEL_TO_PB[s.level],
        agency=pb.Agency(code=s.agency.code, name=s.agency.name),
        online_level=ONLINE_TO_PB[s.online_level],
        legacy_level_label=s.legacy_level_label,
        min_working_days=s.min_working_days,
        score=s.score,
    )


def _level_filter(level: int) -> m.Level | None:
    return LEVEL_FROM_PB.get(level)  # type: ignore[call-overload]


class CatalogueServicer(pb_grpc.CatalogueServiceServicer):
    """Translate requests, call the use case, translate the answer; errors are MotcuaError (mapped by the server).

    Search answers are also kept translated, keyed by the request's bytes, in the service's
    read cache (same generation, so emptied by the same changes): a repeated search costs
    a dictionary look-up instead of 20 messages built field by field.
    """

    def __init__(self, service: CatalogueService) -> None:
        self.service = service
        self.cache = service.cache

    async def SearchProcedures(self, request: pb.SearchProceduresRequest, context: grpc.aio.ServicerContext
                               ) -> pb.SearchProceduresResponse:
        key = ("pb.search", request.SerializeToString(deterministic=True))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        generation = self.cache.generation
        page = await self.service.search(
            query=request.query,
            filters=m.SearchFilters(
                level=_level_filter(request.level),
                field_code=request.field_code or None,
                agency_code=request.agency_code or None,
                online_level=ONLINE_FROM_PB.get(request.online_level),  # type: ignore[call-overload]
            ),
            page=request.page.page,
            page_size=request.page.page_size,
        )
        response = pb.SearchProceduresResponse(
            items=[summary_to_pb(s) for s in page.items],
            page_info=common_pb2.PageInfo(total=page.total, page=page.page, page_size=page.page_size),
        )
        self.cache.put(key, response, generation)  # never mutated afterwards: gRPC only serialises it
        return response

    async def GetProcedure(self, request: pb.GetProcedureRequest, context: grpc.aio.ServicerContext) -> pb.Procedure:
        version = request.version if request.HasField("version") else None
        return procedure_to_pb(await self.service.get_procedure(code=request.code, version=version))

    async def ListFields(self, request: pb.ListFieldsRequest, context: grpc.aio.ServicerContext) -> pb.ListFieldsResponse:
        items = await self.service.list_fields(level=_level_filter(request.level))
        return pb.ListFieldsResponse(
            items=[pb.FieldCount(field=pb.Field(code=i.field.code, name=i.field.name), procedure_count=i.procedure_count)
                   for i in items]
        )

    async def ListAgencies(self, request: pb.ListAgenciesRequest, context: grpc.aio.ServicerContext
                           ) -> pb.ListAgenciesResponse:
        items = await self.service.list_agencies(level=_level_filter(request.level))
        return pb.ListAgenciesResponse(
            items=[pb.AgencyCount(agency=pb.Agency(code=i.agency.code, name=i.agency.name),
                                  procedure_count=i.procedure_count) for i in items]
        )

    async def UpsertProcedureDraft(self, request: pb.UpsertProcedureDraftRequest, context: grpc.aio.ServicerContext
                                   ) -> pb.Procedure:
        draft = await self.service.upsert_draft(content=content_from_pb(request.procedure),
                                                actor=actor_from_pb(request.actor))
        return procedure_to_pb(draft)

    async def PublishProcedure(self, request: pb.PublishProcedureRequest, context: grpc.aio.ServicerContext) -> pb.Procedure:
        published = await self.service.publish(code=request.code, version=request.version,
                                               actor=actor_from_pb(request.actor))
        return procedure_to_pb(published)

    async def WithdrawProcedure(self, request: pb.WithdrawProcedureRequest, context: grpc.aio.ServicerContext
                                ) -> pb.Procedure:
        withdrawn = await self.service.withdraw(code=request.code, reason=request.reason,
                                                replaced_by_code=request.replaced_by_code,
                                                actor=actor_from_pb(request.actor))
        return procedure_to_pb(withdrawn)

    async def ImportProcedures(self, request: pb.ImportProceduresRequest, context: grpc.aio.ServicerContext
                               ) -> pb.ImportProceduresResponse:
        formats = {pb.IMPORT_FORMAT_JSON: "json", pb.IMPORT_FORMAT_CSV: "csv"}
        if request.format not in formats:
            raise errors.import_format_invalid("format must be IMPORT_FORMAT_JSON or IMPORT_FORMAT_CSV")
        report = await self.service.import_document(
            content=request.content, fmt=formats[request.format], publish=request.publish, dry_run=request.dry_run,
            actor=actor_from_pb(request.actor),
        )
        return pb.ImportProceduresResponse(
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            published=report.published,
            errors=[pb.ImportError(line=e.line, field=e.field, reason=e.reason, procedure_code=e.procedure_code)
                    for e in report.errors],
        )
