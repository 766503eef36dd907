"""Dossier-code enumeration from one client: rate-limited (429 + Retry-After), and it learns nothing personal."""

from __future__ import annotations

import httpx
import pytest

from security.conftest import SecurityStack
from security.pii_scan import Known, scan_lines

pytestmark = pytest.mark.e2e

PUBLIC_KEYS = {"code", "status", "status_label", "last_update", "due_at", "due_label", "procedure_name", "agency_name",
               "history"}


def test_enumerating_codes_is_limited_and_shows_no_personal_data(security_stack: SecurityStack) -> None:
    real = [d["code"] for d in security_stack.dossiers]
    prefix = real[0].rsplit("-", 1)[0]
    # What an enumerator tries: the real codes first (the worst case), then the sequence beyond them.
    guesses = real + [f"{prefix}-{n:04d}" for n in range(len(real) + 1, 121)]
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=security_stack.stack.base_url, timeout=10) as client:
        for code in guesses:
            answers.append(client.get(f"/api/v1/dossiers/{code}"))
        journeys = [client.get(f"/api/v1/dossiers/{code}/journey") for code in real[:3]]
        receipts = [client.get(f"/api/v1/dossiers/{code}/receipt") for code in real[:3]]
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 404, 429}, statuses
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "one client cannot walk 120 codes in a burst"
    assert statuses.index(429) <= 40, "the burst allowance is small (30 by default)"
    assert all(a.headers.get("Retry-After", "").isdigit() for a in limited)
    assert all(a.headers["content-type"].startswith("application/problem+json") for a in limited)
    found = [a for a in answers if a.status_code == 200]
    assert found, "some real codes were answered before the limit (else nothing is proven about the content)"
    assert all(set(a.json()) == PUBLIC_KEYS for a in found), "the public view has a fixed shape without personal fields"
    assert all(r.status_code in (401, 403, 404, 422, 429) for r in journeys + receipts), \
        [(r.status_code, r.text[:100]) for r in journeys + receipts]

    everyone = security_stack.citizens
    known = Known([v for c in everyone for v in (c.full_name, c.phone, c.id_number, c.email)])
    bodies = [a.text for a in answers + journeys + receipts]
    leaks = scan_lines("public look-ups", bodies, known)
    assert not leaks, leaks[:5]
    streets = [c.street for c in everyone]
    assert not [s for s in streets if any(s in b for b in bodies)], "no address in any public answer"
