"""The catalogue's domain: procedures and their versions, as plain immutable dataclasses."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

#: National procedure code, e.g. 1.000028.000.00.00.H15 (N.NNNNNN.NNN.NN.NN.XNN).
PROCEDURE_CODE = re.compile(r"^\d\.\d{6}\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
#: Field (lĩnh vực) code, e.g. HO_TICH or G09-TP03.
FIELD_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{0,39}$")
#: Agency code, dot-separated groups, e.g. 000.00.04.H15 (also the prefix of its dossier codes).
AGENCY_CODE = re.compile(r"^[A-Z0-9]{1,10}(\.[A-Z0-9]{1,10}){1,5}$")


class Level(StrEnum):
    """Level of government carrying out a procedure (cấp thực hiện)."""

    PROVINCE = "province"
    COMMUNE = "commune"
    #: Cấp huyện, abolished on 1 July 2025; kept for historical versions.
    DISTRICT = "district"


class OnlineLevel(StrEnum):
    """Online public service level."""

    FULL = "full"  # toàn trình (formerly mức độ 4)
    PARTIAL = "partial"  # một phần (formerly mức độ 3)
    NONE = "none"  # not offered online


class Channel(StrEnum):
    """How a dossier is handed in or a result handed out."""

    IN_PERSON = "in_person"
    POST = "post"
    ONLINE = "online"


class Status(StrEnum):
    """Lifecycle of one procedure version."""

    DRAFT = "draft"
    PUBLISHED = "published"
    #: A published version replaced by a newer one (shown as withdrawn in the contract).
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Field:
    code: str
    name: str


@dataclass(frozen=True)
class Agency:
    code: str
    name: str


@dataclass(frozen=True)
class ProcessingTime:
    working_days: int
    description: str = ""
    #: None means any channel.
    channel: Channel | None = None


@dataclass(frozen=True)
class Fee:
    name: str
    amount_vnd: int
    effective_from: date
    effective_to: date | None = None
    note: str = ""

    def in_force_on(self, day: date) -> bool:
        """True when the fee applies on `day` (both ends inclusive)."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class RequiredDocument:
    name: str
    originals: int = 0
    copies: int = 0
    required: bool = True
    form_template_ref: str = ""
    note: str = ""


@dataclass(frozen=True)
class ProcedureContent:
    """What an agency publishes about a procedure: everything except version bookkeeping."""

    code: str
    name: str
    field: Field
    level: Level
    agency: Agency
    online_level: OnlineLevel
    legacy_level_label: str = ""
    processing_times: tuple[ProcessingTime, ...] = ()
    fees: tuple[Fee, ...] = ()
    required_documents: tuple[RequiredDocument, ...] = ()
    submission_channels: tuple[Channel, ...] = ()
    result_channels: tuple[Channel, ...] = ()
    legal_basis: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()

    @property
    def min_working_days(self) -> int:
        """Shortest processing time across channels and conditions (0 when none is given)."""
        return min((t.working_days for t in self.processing_times), default=0)

    def fees_in_force(self, day: date) -> tuple[Fee, ...]:
        return tuple(f for f in self.fees if f.in_force_on(day))

    def to_document(self) -> dict[str, Any]:
        """The procedure in the import format's JSON shape (docs/import-format.md); keys are proto field names."""
        return {
            "code": self.code,
            "name": self.name,
            "field": {"code": self.field.code, "name": self.field.name},
            "level": self.level.value,
            "agency": {"code": self.agency.code, "name": self.agency.name},
            "online_level": self.online_level.value,
            "legacy_level_label": self.legacy_level_label,
            "processing_times": [
                {"working_days": t.working_days, "channel": t.channel.value if t.channel else "any",
                 "description": t.description}
                for t in self.processing_times
            ],
            "fees": [
                {"name": f.name, "amount_vnd": f.amount_vnd, "effective_from": f.effective_from.isoformat(),
                 "effective_to": f.effective_to.isoformat() if f.effective_to else None, "note": f.note}
                for f in self.fees
            ],
            "required_documents": [
                {"name": d.name, "originals": d.originals, "copies": d.copies, "required": d.required,
                 "form_template_ref": d.form_template_ref, "note": d.note}
                for d in self.required_documents
            ],
            "submission_channels": [c.value for c in self.submission_channels],
            "result_channels": [c.value for c in self.result_channels],
            "legal_basis": list(self.legal_basis),
            "keywords": list(self.keywords),
            "synonyms": list(self.synonyms),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ProcedureContent:
        """Rebuild from `to_document()` output (trusted: stored by this service, validated on the way in)."""
        return cls(
            code=doc["code"],
            name=doc["name"],
            field=Field(doc["field"]["code"], doc["field"]["name"]),
            level=Level(doc["level"]),
            agency=Agency(doc["agency"]["code"], doc["agency"]["name"]),
            online_level=OnlineLevel(doc["online_level"]),
            legacy_level_label=doc.get("legacy_level_label", ""),
            processing_times=tuple(
                ProcessingTime(t["working_days"], t.get("description", ""),
                               None if t.get("channel", "any") == "any" else Channel(t["channel"]))
                for t in doc.get("processing_times", ())
            ),
            fees=tuple(
                Fee(f["name"], f["amount_vnd"], date.fromisoformat(f["effective_from"]),
                    date.fromisoformat(f["effective_to"]) if f.get("effective_to") else None, f.get("note", ""))
                for f in doc.get("fees", ())
            ),
            required_documents=tuple(
                RequiredDocument(d["name"], d.get("originals", 0), d.get("copies", 0), d.get("required", True),
                                 d.get("form_template_ref", ""), d.get("note", ""))
                for d in doc.get("required_documents", ())
            ),
            submission_channels=tuple(Channel(c) for c in doc.get("submission_channels", ())),
            result_channels=tuple(Channel(c) for c in doc.get("result_channels", ())),
            legal_basis=tuple(doc.get("legal_basis", ())),
            keywords=tuple(doc.get("keywords", ())),
            synonyms=tuple(doc.get("synonyms", ())),
        )

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: equal hashes mean nothing an agency publishes changed."""
        canonical = json.dumps(self.to_document(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def changed_fields(self, other: ProcedureContent) -> list[str]:
        """Top-level fields (proto field names) whose value differs from `other`."""
        mine, theirs = self.to_document(), other.to_document()
        return [name for name in mine if mine[name] != theirs[name]]


@dataclass(frozen=True)
class ProcedureVersion:
    """One stored version of a procedure."""

    content: ProcedureContent
    version: int
    status: Status
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str = ""
    replaced_by_code: str = ""

    @property
    def code(self) -> str:
        return self.content.code


@dataclass(frozen=True)
class ProcedureSummary:
    """What a search result shows."""

    code: str
    version: int
    name: str
    field: Field
    level: Level
    agency: Agency
    online_level: OnlineLevel
    legacy_level_label: str
    min_working_days: int
    score: float = 0.0


@dataclass(frozen=True)
class SearchFilters:
    level: Level | None = None
    field_code: str | None = None
    agency_code: str | None = None
    online_level: OnlineLevel | None = None


@dataclass(frozen=True)
class SearchPage:
    items: tuple[ProcedureSummary, ...]
    total: int
    page: int
    page_size: int
    #: Which matching stage produced the items (exact, relaxed, typo, fuzzy, any, browse, code, none).
    strategy: str = "browse"


@dataclass(frozen=True)
class FieldCount:
    field: Field
    procedure_count: int


@dataclass(frozen=True)
class AgencyCount:
    agency: Agency
    procedure_count: int


@dataclass(frozen=True)
class Actor:
    """Who made a change; recorded on versions and in events."""

    id: str
    role: str
    display_name: str = ""


@dataclass(frozen=True)
class ImportProblem:
    """One bad row of an import document."""

    line: int
    field: str
    reason: str
    procedure_code: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}: {self.field}" if self.field else f"line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    errors: tuple[ImportProblem, ...] = ()
