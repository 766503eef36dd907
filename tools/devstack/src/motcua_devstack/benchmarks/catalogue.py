"""Procedure search: searches/s and latency through the gateway (HTTP) and directly on gRPC.

6,000 procedures: the shipped seed (loaded by the catalogue at start) plus copies of it for
other provinces (same names, their own codes and agencies, as a national catalogue has),
imported as drafts and published through CatalogueService.ImportProcedures. Then a mix of
200 realistic searches (words with and without diacritics, typos, synonyms, prefixes,
filters, second pages, codes) is run by 16 concurrent clients:

- `gateway search` — HTTP GET /api/v1/procedures from the lean keep-alive HTTP/1.1 client of
  `motcua_devstack.loadgen` (one connection per client; the generator shares the 2 cores with
  the stack, and httpx would cost ~1.5 ms CPU per request, measuring itself);
- `gRPC search` — SearchProcedures on one channel;
- `... first pass` — each of the 200 searches once, on an empty cache (what a new word costs);
- `gRPC search, uncached` — every request a first page of a size never asked before, so each
  one misses the caches and runs its SQL (the same cost as any first page).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import grpc
import httpx

from motcua.catalogue.v1 import catalogue_service_pb2 as pb
from motcua.catalogue.v1 import catalogue_service_pb2_grpc as pb_grpc
from motcua.common.v1 import common_pb2
from motcua_devstack.bench import BenchContext, BenchResult, ProcessMeter, closed_loop, summarize
from motcua_devstack.benchmarks.dossier import _restart_gateway
from motcua_devstack.loadgen import Connection, closed_loop_http, expect
from motcua_devstack.stack import Stack

NAME = "catalogue"
ORDER = 20

TOTAL_PROCEDURES = 6_000
CONCURRENCY = 16
REQUESTS = 20_000
UNCACHED_REQUESTS = 3_000
IMPORT_CHUNK = 500

SEED = Path(__file__).resolve().parents[5] / "services" / "catalogue" / "src" / "motcua_catalogue" / "seed" / "procedures.json"
PROVINCES = [
    (1, "Hà Nội"), (2, "Hải Phòng"), (4, "Đà Nẵng"), (5, "Cần Thơ"), (6, "Huế"), (7, "Quảng Ninh"), (8, "Thanh Hóa"),
    (9, "Nghệ An"), (10, "Hà Tĩnh"), (11, "Lào Cai"), (12, "Thái Nguyên"), (13, "Phú Thọ"), (14, "Bắc Ninh"),
    (16, "Hưng Yên"), (17, "Ninh Bình"), (18, "Quảng Trị"), (19, "Quảng Ngãi"), (20, "Gia Lai"), (21, "Khánh Hòa"),
]
OFFICER = common_pb2.Actor(id="bench-officer", role=common_pb2.ACTOR_ROLE_OFFICER)

WORDS = [
    "rượu", "ruou", "thuốc lá", "thuoc la", "gas", "LPG", "khí dầu mỏ", "khi dau mo hoa long", "bình gas", "khai sinh",
    "khai sihn", "khia sinh", "dang ky khai sinh", "làm giấy khai sinh cho con", "khai tử", "bao tu", "kết hôn", "ket hon",
    "ket hom", "dang ki ket hon", "xác nhận độc thân", "giám hộ", "trích lục khai sinh", "giấy phép lái xe", "bang lai",
    "đổi bằng lái", "sổ đỏ", "so do", "cấp lại sổ đỏ bị mất", "thường trú", "ho khau", "tam tru", "căn cước", "cccd",
    "lý lịch tư pháp", "xin phép xây nhà", "giay phep xay dung", "hộ kinh doanh", "dang ky ho kinh doanh", "chứng thực",
    "sao y ban chinh", "an toàn thực phẩm", "xang dau", "trợ cấp thất nghiệp", "tro cap nguoi cao tuoi",
    "người khuyết tật", "hộ nghèo", "thẻ bảo hiểm y tế", "hoc phi", "hộ chiếu", "nhận con nuôi", "đăng ký xe máy",
    "thủ tục đăng ký khai sinh ở đâu", "khai s", "giay phep l", "thuong t", "1.001193", "người có công", "mai táng phí",
    "karaoke", "quảng cáo", "điện", "khiếu nại", "tố cáo", "tôn giáo", "hòa giải", "chăn nuôi", "thủy sản",
]


def _province_copy(p: dict[str, Any], number: int, province: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(p))
    suffix = f"H{number:02d}"
    copy["code"] = p["code"][:-3] + suffix
    agency_code = p["agency"]["code"]
    copy["agency"] = {
        "code": agency_code.rsplit(".", 1)[0] + "." + suffix,
        "name": p["agency"]["name"].replace("Thành phố Hồ Chí Minh", f"tỉnh {province}").replace("TP.HCM", province)
        + ("" if "Thành phố Hồ Chí Minh" in p["agency"]["name"] else f", tỉnh {province}"),
    }
    return copy


def catalogue_of(total: int) -> tuple[list[dict[str, Any]], int]:
    """The seed's procedures and as many province copies as make `total`; returns (copies, seed size)."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))["procedures"]
    copies = [_province_copy(p, number, province) for number, province in PROVINCES for p in seed]
    return copies[: max(0, total - len(seed))], len(seed)


def query_mix(size: int = 200, seed: int = 7) -> list[dict[str, Any]]:
    """`size` distinct searches: words alone, then with filters and pages (realistic shapes of GET /api/v1/procedures)."""
    rng = random.Random(seed)
    mix: list[dict[str, Any]] = [{"q": w} for w in WORDS]
    variants = [
        {"level": "commune"}, {"level": "province"}, {"online_level": "full"}, {"page": 2}, {"page_size": 10},
        {"field": "HO_TICH"}, {"field": "LUU_THONG_HANG_HOA"}, {"level": "commune", "online_level": "partial"},
    ]
    while len(mix) < size - 5:
        candidate = {"q": rng.choice(WORDS), **rng.choice(variants)}
        if candidate not in mix:
            mix.append(candidate)
    mix += [{}, {"level": "commune"}, {"field": "DAT_DAI"}, {"page": 3}, {"online_level": "full", "page_size": 50}]
    return mix[:size]


def _grpc_request(params: dict[str, Any], *, page_size: int | None = None) -> pb.SearchProceduresRequest:
    levels = {"commune": pb.GOVERNMENT_LEVEL_COMMUNE, "province": pb.GOVERNMENT_LEVEL_PROVINCE}
    online = {"full": pb.ONLINE_LEVEL_FULL, "partial": pb.ONLINE_LEVEL_PARTIAL}
    return pb.SearchProceduresRequest(
        query=params.get("q", ""),
        level=levels.get(params.get("level", ""), pb.GOVERNMENT_LEVEL_UNSPECIFIED),
        field_code=params.get("field", ""),
        online_level=online.get(params.get("online_level", ""), pb.ONLINE_LEVEL_UNSPECIFIED),
        page=common_pb2.PageRequest(page=1 if page_size else params.get("page", 1),
                                    page_size=page_size or params.get("page_size", 20)),
    )


def _target(params: dict[str, Any]) -> str:
    return "/api/v1/procedures" + (f"?{urlencode(params)}" if params else "")


async def _load(stub: pb_grpc.CatalogueServiceStub, copies: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(copies), IMPORT_CHUNK):
        content = json.dumps({"format": "motcua.catalogue.import.v1", "procedures": copies[start : start + IMPORT_CHUNK]},
                             ensure_ascii=False).encode()
        reply = await stub.ImportProcedures(
            pb.ImportProceduresRequest(format=pb.IMPORT_FORMAT_JSON, content=content, publish=True, actor=OFFICER),
            timeout=300,
        )
        if reply.errors:
            raise RuntimeError(f"import refused: {[f'line {e.line}: {e.field}: {e.reason}' for e in reply.errors[:5]]}")
    return time.perf_counter() - started


def _cache_counts(stack: Stack) -> dict[str, float]:
    """The gateway's public-cache hits and misses so far (its Prometheus counter on /metrics)."""
    url = f"http://{stack.config.host}:{stack.config.http_port}/metrics"
    text = httpx.get(url, timeout=10).text
    found = dict(re.findall(r'^motcua_gateway_public_cache_total\{outcome="(\w+)"\} ([0-9.e+]+)$', text, re.M))
    return {outcome: float(found.get(outcome, 0)) for outcome in ("hit", "miss")}


def _cache_figures(stack: Stack, before: dict[str, float]) -> dict[str, object]:
    after = _cache_counts(stack)
    hits, misses = after["hit"] - before["hit"], after["miss"] - before["miss"]
    return {"gateway_cache": f"{hits / max(1.0, hits + misses):.0%} hits ({int(misses)} misses, ttl 5 s)"}


async def run(ctx: BenchContext) -> list[BenchResult]:
    stack = await ctx.start_services()
    base_url = ctx.base_url
    target = f"{stack.config.host}:{stack.config.grpc_ports['catalogue']}"
    copies, seed_size = catalogue_of(TOTAL_PROCEDURES)
    mix = query_mix()
    meter = ProcessMeter(stack, ("gateway", "catalogue"))
    results: list[BenchResult] = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.CatalogueServiceStub(channel)
        await channel.channel_ready()
        load_seconds = await _load(stub, copies)
        loaded = (await stub.SearchProcedures(pb.SearchProceduresRequest())).page_info.total
        facts = {"procedures": loaded, "seed": seed_size, "import_s": round(load_seconds, 1), "mix": len(mix),
                 "concurrency": CONCURRENCY}

        order = list(range(len(mix)))
        random.Random(11).shuffle(order)
        targets = [_target(params) for params in mix]
        encoded = [Connection.to(base_url).encode("GET", target) for target in targets]

        def searching(sequence: list[int]) -> Callable[[Connection, int], Awaitable[None]]:
            async def search(conn: Connection, i: int) -> None:
                expect(await conn.send(encoded[sequence[i % len(sequence)]]), 200)
            return search

        # First pass: every search once, each a cache miss in the catalogue.
        lat, err, secs = await closed_loop_http(base_url, searching(list(range(len(mix)))), concurrency=CONCURRENCY,
                                                total=len(mix))
        results.append(summarize("catalogue: gateway search, first pass", lat, err, secs, **facts))
        before = meter.snapshot()
        before_cache = _cache_counts(stack)
        lat, err, secs = await closed_loop_http(base_url, searching(order), concurrency=CONCURRENCY, total=REQUESTS)
        results.append(summarize("catalogue: gateway search", lat, err, secs, **facts,
                                 **_cache_figures(stack, before_cache), **meter.per_request(before, meter.snapshot(), REQUESTS)))

        # The same mix with the gateway's public cache off: every request crosses gateway -> gRPC -> catalogue.
        _restart_gateway(stack, {"MOTCUA_PUBLIC_CACHE_SECONDS": "0"})
        meter = ProcessMeter(stack, ("gateway", "catalogue"))
        await closed_loop_http(base_url, searching(order), concurrency=CONCURRENCY, total=len(mix))  # warm up
        before = meter.snapshot()
        lat, err, secs = await closed_loop_http(base_url, searching(order), concurrency=CONCURRENCY, total=REQUESTS)
        results.append(summarize("catalogue: gateway search, no gateway cache", lat, err, secs, **facts,
                                 **meter.per_request(before, meter.snapshot(), REQUESTS)))
        _restart_gateway(stack, {"MOTCUA_PUBLIC_CACHE_SECONDS": ""}, remove=True)

        async def grpc_search(i: int) -> None:
            await stub.SearchProcedures(_grpc_request(mix[order[i % len(order)]]), timeout=5)

        before = meter.snapshot()
        lat, err, secs = await closed_loop(grpc_search, concurrency=CONCURRENCY, total=REQUESTS)
        results.append(summarize("catalogue: gRPC search", lat, err, secs, **facts,
                                 **meter.per_request(before, meter.snapshot(), REQUESTS)))

        # Cache misses only: first pages of sizes nobody asked for yet (21, 22, ... results per page).
        async def grpc_uncached(i: int) -> None:
            params = mix[i % len(mix)]
            await stub.SearchProcedures(_grpc_request(params, page_size=21 + i // len(mix)), timeout=5)

        before = meter.snapshot()
        lat, err, secs = await closed_loop(grpc_uncached, concurrency=CONCURRENCY, total=UNCACHED_REQUESTS)
        results.append(summarize("catalogue: gRPC search, uncached", lat, err, secs, **facts,
                                 **meter.per_request(before, meter.snapshot(), UNCACHED_REQUESTS)))
    return results
