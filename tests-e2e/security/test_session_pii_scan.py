"""Session-end scan: every log line and every agency-facing event the e2e stacks of this session produced
holds no phone number, ID number, e-mail address or applicant name.

Runs after the other security checks (file order) over the security stack's mixed workload, plus the logs
and dumped topics of every resilience scenario that ran earlier in the session. It asserts that it saw a
non-trivial volume, so it cannot pass by scanning nothing; the scanner itself is proven by its self-test.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from resilience.harness import FAKES_PREFIX, KNOWN_PII, STACK_EVENTS, STACK_LOGS, dump_events

from security.conftest import SecurityStack
from security.pii_scan import Finding, Known, scan_lines

pytestmark = pytest.mark.e2e


def _log_lines(path) -> list[str]:  # type: ignore[no-untyped-def]
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    # The provider fakes stand in for Zalo, the SMS gateways and the citizen's mailbox: outside the system,
    # they are where personal data is supposed to arrive. Everything else (services, stack, PostgreSQL) is scanned.
    return [line for line in lines if not line.lstrip().startswith(FAKES_PREFIX)]


def test_no_personal_data_in_logs_or_events(security_stack: SecurityStack) -> None:
    dump_events(security_stack.bootstrap, security_stack.tmp / "events-before-scan.jsonl")
    known = Known(KNOWN_PII)
    findings: list[Finding] = []
    volume: Counter[str] = Counter()
    for path in dict.fromkeys(STACK_LOGS):
        if path.exists():
            lines = _log_lines(path)
            volume["log_lines"] += len(lines)
            volume["log_files"] += 1
            for line in lines:
                source = line.split(" | ", 1)[0].strip()
                if source in ("gateway", "dossier", "scheduler", "notification"):
                    volume[f"lines {source}"] += 1
            findings += scan_lines(str(path), lines, known)
    for path in dict.fromkeys(STACK_EVENTS):
        if path.exists():
            for raw in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(raw)
                volume[f"events {record['topic']}"] += 1
                text = " ".join([record["key"], *record["headers"].values(), record["value"]])
                findings += scan_lines(f"{path} {record['topic']}", [text], known)
    print(f"\nPII scan volume: {dict(volume)}; known values searched: {len(KNOWN_PII)}")
    assert volume["log_lines"] >= 500, volume
    assert all(volume[f"lines {svc}"] >= 20 for svc in ("gateway", "dossier", "scheduler", "notification")), volume
    assert volume["events motcua.dossier.events.v1"] >= len(security_stack.dossiers), volume
    assert volume["events motcua.scheduler.events.v1"] >= len(security_stack.bookings), volume
    assert len(KNOWN_PII) >= 4 * len(security_stack.citizens)
    by_kind = Counter(f.kind for f in findings)
    assert not findings, f"{dict(by_kind)}; e.g. " + "\n".join(f"{f.source}: {f.kind} {f.value!r} in {f.line}"
                                                               for f in findings[:8])
