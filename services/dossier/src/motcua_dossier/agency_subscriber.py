"""Reference agency subscriber: what another agency receives from `motcua.dossier.events.v1`.

    python -m motcua_dossier agency-subscriber --agency 000.20.41.H29 [--group police-41] [--from-beginning]

A consumer group (one per agency system) reads the dossier topic, keeps the events of
the agencies it serves (all when no --agency) and prints one JSON line per event: the
CloudEvents attributes and the data, which holds no personal data (contact_ref only).
Offsets are committed after the lines are written (at-least-once): a real agency
system must dedupe on the CloudEvents `id` — as motcua_platform.consumer does with its
inbox table — and fetch contact details through DossierService.ResolveContact only when
it is entitled to them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import IO, Any

from aiokafka.structs import ConsumerRecord

from motcua_platform.cloudevents import InvalidEvent, format_time, from_kafka
from motcua_platform.kafka import make_consumer

TOPIC = "motcua.dossier.events.v1"


def describe(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
    """One record as the agency sees it: CloudEvents attributes, Kafka position and data."""
    event = from_kafka(record.headers, record.value, record.key)
    return {
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "subject": event.subject,
        "time": format_time(event.time),
        "key": event.extensions.get("partitionkey"),
        "partition": record.partition,
        "offset": record.offset,
        "data": json.loads(event.data or b"{}"),
    }


def wanted(item: dict[str, Any], agencies: set[str], types: set[str]) -> bool:
    data = item["data"]
    if types and item["type"].rsplit(".", 1)[-1] not in types:
        return False
    return not agencies or data.get("agencyCode") in agencies


async def run(
    *, bootstrap: str, group: str, agencies: set[str], types: set[str], out: IO[str] = sys.stdout,
    stop: asyncio.Event | None = None, on_line: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Consume until `stop` is set; print (and pass to `on_line`) each wanted event."""
    stop = stop or asyncio.Event()
    consumer = make_consumer(bootstrap, TOPIC, group_id=group, client_id=group)
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=200)
            for records in batch.values():
                for record in records:
                    try:
                        item = describe(record)
                    except (InvalidEvent, ValueError) as exc:
                        out.write(json.dumps({"invalid_record": f"{record.topic}/{record.partition}@{record.offset}",
                                              "error": str(exc)}) + "\n")
                        continue
                    if wanted(item, agencies, types):
                        out.write(json.dumps(item, ensure_ascii=False) + "\n")
                        if on_line is not None:
                            on_line(item)
            out.flush()
            if batch:
                await consumer.commit()
    finally:
        await consumer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua_dossier agency-subscriber", description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", default=os.environ.get("MOTCUA_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
                        help="Kafka bootstrap servers (default $MOTCUA_KAFKA_BOOTSTRAP or the make-run broker)")
    parser.add_argument("--agency", action="append", default=[], help="agency code to keep (repeatable); default all")
    parser.add_argument("--type", action="append", default=[], dest="types",
                        help="event type suffix to keep, e.g. linked_created (repeatable); default all")
    parser.add_argument("--group", default=None, help="consumer group (default agency-subscriber-<first agency or all>)")
    args = parser.parse_args(argv)
    group = args.group or f"agency-subscriber-{args.agency[0] if args.agency else 'all'}"

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"agency-subscriber: group {group}, topic {TOPIC}, agencies {sorted(args.agency) or 'all'}", file=sys.stderr)
        await run(bootstrap=args.bootstrap, group=group, agencies=set(args.agency), types=set(args.types), stop=stop)

    asyncio.run(_main())
    return 0
