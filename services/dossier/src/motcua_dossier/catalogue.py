"""Procedure facts from the catalogue service (gRPC), cached for a short time.

The registry reads a procedure at every submission; a short TTL keeps that off the
catalogue's back while a withdrawal still takes effect within `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import time

import grpc

from motcua.catalogue.v1 import catalogue_service_pb2 as cpb
from motcua.catalogue.v1.catalogue_service_pb2_grpc import CatalogueServiceStub
from motcua_dossier.domain import errors
from motcua_dossier.domain.model import ProcedureFacts, RequiredDocument
from motcua_platform.errors import Unavailable
from motcua_platform.grpc_client import open_channel

DEADLINE_SECONDS = 3.0
_STATUS = {cpb.PROCEDURE_STATUS_PUBLISHED: "published", cpb.PROCEDURE_STATUS_WITHDRAWN: "withdrawn",
           cpb.PROCEDURE_STATUS_DRAFT: "draft"}
_CHANNEL = {cpb.DELIVERY_CHANNEL_UNSPECIFIED: "any", cpb.DELIVERY_CHANNEL_IN_PERSON: "in_person",
            cpb.DELIVERY_CHANNEL_POST: "post", cpb.DELIVERY_CHANNEL_ONLINE: "online"}


def facts_from_pb(p: cpb.Procedure) -> ProcedureFacts:
    days: dict[str, int] = {}
    for t in p.processing_times:
        key = _CHANNEL.get(t.channel, "any")
        days[key] = min(days.get(key, t.working_days), t.working_days)
    return ProcedureFacts(
        code=p.code,
        version=p.version,
        name=p.name,
        status=_STATUS.get(p.status, "draft"),
        agency_code=p.agency.code,
        agency_name=p.agency.name,
        processing_days=days,
        required_documents=tuple(RequiredDocument(d.name, d.originals, d.copies, d.required) for d in p.required_documents),
        replaced_by_code=p.replaced_by_code,
    )


class CatalogueClient:
    """GetProcedure / ListAgencies with a TTL cache; errors become the registry's own."""

    def __init__(self, target: str, *, ttl: float = 30.0, channel: grpc.aio.Channel | None = None) -> None:
        self._channel = channel or open_channel(target)
        self._owns_channel = channel is None
        self._stub = CatalogueServiceStub(self._channel)
        self._ttl = ttl
        self._procedures: dict[tuple[str, int], tuple[float, ProcedureFacts | None]] = {}
        self._agencies: tuple[float, dict[str, str]] | None = None
        self._inflight: dict[tuple[str, int], asyncio.Future[ProcedureFacts | None]] = {}
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        if self._owns_channel:
            await self._channel.close()

    async def procedure(self, code: str, version: int = 0) -> ProcedureFacts:
        """The version in force (version 0) or that version; PROCEDURE_NOT_FOUND when absent."""
        key = (code, version)
        now = time.monotonic()
        cached = self._procedures.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            if cached[1] is None:
                raise errors.procedure_not_found(code)
            return cached[1]
        # One call per key at a time: concurrent misses (an expired entry under load) share it.
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(code, version))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        facts = await asyncio.shield(task)
        if facts is None:
            raise errors.procedure_not_found(code)
        return facts

    async def _fetch(self, code: str, version: int) -> ProcedureFacts | None:
        key = (code, version)
        request = cpb.GetProcedureRequest(code=code)
        if version:
            request.version = version
        try:
            reply = await self._stub.GetProcedure(request, timeout=DEADLINE_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                self._procedures[key] = (time.monotonic(), None)
                return None
            raise _unavailable(exc) from None
        facts = facts_from_pb(reply)
        if len(self._procedures) > 10_000:
            self._procedures.clear()
        self._procedures[key] = (time.monotonic(), facts)
        return facts

    async def agency_name(self, code: str) -> str | None:
        """Name of an agency known to the catalogue, or None."""
        now = time.monotonic()
        if self._agencies is None or now - self._agencies[0] >= self._ttl:
            async with self._lock:
                if self._agencies is None or now - self._agencies[0] >= self._ttl:
                    try:
                        reply = await self._stub.ListAgencies(cpb.ListAgenciesRequest(), timeout=DEADLINE_SECONDS)
                    except grpc.aio.AioRpcError as exc:
                        raise _unavailable(exc) from None
                    self._agencies = (now, {i.agency.code: i.agency.name for i in reply.items})
        return self._agencies[1].get(code)


def _unavailable(exc: grpc.aio.AioRpcError) -> Unavailable:
    return Unavailable("CATALOGUE_UNAVAILABLE", f"catalogue call failed: {exc.code().name}",
                       "Không tra cứu được danh mục thủ tục hành chính, vui lòng thử lại sau.")
