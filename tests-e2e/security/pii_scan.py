"""Search logs and events for personal data: phone numbers, ID numbers, e-mail addresses, the applicants' names.

Two nets: patterns (Vietnamese mobile numbers in 0…/84…/+84… form, 9- and 12-digit ID numbers, e-mail
addresses), and the exact values the tests handed to the stacks (names, phones, ID numbers, e-mails).
Masked values (`091*****78`) are not findings: the masking processor is what makes logs safe.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

PHONE = re.compile(r"(?<![\w*+])(?:\+?84|0)[35789]\d{8}(?![\w*])")
ID_NUMBER = re.compile(r"(?<![\w*.:-])(?:\d{12}|\d{9})(?![\w*])")
EMAIL = re.compile(r"(?<![\w*.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
#: Addresses of the system itself (senders, examples in templates), not of citizens.
SYSTEM_EMAIL_DOMAINS = ("motcua.gov.vn",)


@dataclass(frozen=True)
class Finding:
    source: str
    kind: str
    value: str
    line: str


def _variants(line: str) -> list[str]:
    """The line, and for a JSON payload (after a `name |` prefix) its text with escapes resolved."""
    out = [line]
    payload = line.split(" | ", 1)[-1].strip()
    if payload.startswith("{"):
        with contextlib.suppress(ValueError):
            out.append(json.dumps(json.loads(payload), ensure_ascii=False))
    return out


class Known:
    """The exact personal values handed to the stacks, indexed for fast look-up (tens of thousands of them)."""

    def __init__(self, values: Iterable[str]) -> None:
        self.digits: set[str] = set()
        self.emails: set[str] = set()
        self.names: set[tuple[str, ...]] = set()
        for v in values:
            v = unicodedata.normalize("NFC", v.strip())
            if not v:
                continue
            if "@" in v:
                self.emails.add(v.lower())
            elif re.fullmatch(r"[+\d\s.-]+", v):
                d = re.sub(r"\D", "", v)
                if len(d) >= 9:
                    self.digits.add(d[-9:])  # 0912345678, 84912345678, +84 912 345 678 all end the same
            elif len(v.split()) >= 2:
                self.names.add(tuple(v.casefold().split()))
        self.name_lengths = sorted({len(n) for n in self.names})

    def find(self, text: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for run in re.findall(r"(?<![\w*])\+?\d[\d .-]{7,}\d(?![\w*])", text):
            d = re.sub(r"\D", "", run)
            if len(d) >= 9 and d[-9:] in self.digits:
                found.append(("known_phone_or_id", run))
        found.extend(("known_email", e) for e in EMAIL.findall(text) if e.lower() in self.emails)
        words = re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold())
        for size in self.name_lengths:
            for i in range(len(words) - size + 1):
                if tuple(words[i:i + size]) in self.names:
                    found.append(("known_name", " ".join(words[i:i + size])))
        return found


def scan_lines(source: str, lines: Iterable[str], known: Known | None = None) -> list[Finding]:
    """Return every personal value found in `lines` (by pattern, and by exact match with `known`)."""
    findings: list[Finding] = []
    for line in lines:
        for text in _variants(line):
            for kind, pattern in (("phone", PHONE), ("id_number", ID_NUMBER), ("email", EMAIL)):
                for m in pattern.finditer(text):
                    if kind == "email" and m.group(0).lower().endswith(SYSTEM_EMAIL_DOMAINS):
                        continue
                    findings.append(Finding(source, kind, m.group(0), line[:300]))
            if known is not None:
                findings.extend(Finding(source, kind, value, line[:300]) for kind, value in known.find(text))
    return findings
