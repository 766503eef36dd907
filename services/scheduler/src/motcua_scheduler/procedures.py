"""Optional check of procedure codes against the catalogue (CatalogueService.GetProcedure over gRPC).

The check protects citizens from booking help for a procedure that does not exist or
cannot be done online; it must not stop bookings when the catalogue is down: then the
booking goes through unchecked (`procedure_check_skipped`) and the officer sees the code.
"""

from __future__ import annotations

import time

import grpc

from motcua.catalogue.v1 import catalogue_service_pb2 as cpb
from motcua.catalogue.v1.catalogue_service_pb2_grpc import CatalogueServiceStub
from motcua_platform.grpc_client import open_channel
from motcua_platform.logging import get_logger
from motcua_scheduler.domain import errors
from motcua_scheduler.domain import model as m

log = get_logger(__name__)

_CACHE_SECONDS = 300.0
_CACHE_SIZE = 2000


class ProcedureChecker:
    def __init__(self, target: str, *, timeout: float = 1.5) -> None:
        self._channel = open_channel(target)
        self._stub = CatalogueServiceStub(self._channel)
        self._timeout = timeout
        self._cache: dict[str, tuple[float, int, int]] = {}  # code -> (checked at, status, online level)

    async def check(self, code: str, help_type: m.HelpType) -> None:
        """Raise a domain error when `code` is unknown, withdrawn, or not online for an online dossier."""
        cached = self._cache.get(code)
        if cached is None or time.monotonic() - cached[0] > _CACHE_SECONDS:
            try:
                procedure = await self._stub.GetProcedure(cpb.GetProcedureRequest(code=code), timeout=self._timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                    raise errors.procedure_not_found(code) from None
                log.warning("procedure_check_skipped", procedure_code=code, grpc_code=exc.code().name)
                return
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            cached = (time.monotonic(), procedure.status, procedure.online_level)
            self._cache[code] = cached
        _, status, online_level = cached
        if status == cpb.PROCEDURE_STATUS_WITHDRAWN:
            raise errors.procedure_withdrawn(code)
        if status != cpb.PROCEDURE_STATUS_PUBLISHED:
            raise errors.procedure_not_found(code)
        if help_type is m.HelpType.ONLINE_DOSSIER and online_level == cpb.ONLINE_LEVEL_UNSPECIFIED:
            raise errors.procedure_not_online(code)

    async def close(self) -> None:
        await self._channel.close()
