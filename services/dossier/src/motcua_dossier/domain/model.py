"""Plain data of the registry. Personal data lives in `Applicant` and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum

from motcua_dossier.domain.lifecycle import Status


class Channel(IntEnum):
    """Intake channel; numbers are those of motcua.common.v1.Channel."""

    WEB = 1
    ZALO = 2
    SMS = 3
    KIOSK = 4
    MOBILE_BUS = 5
    HOME_VISIT = 6
    VOLUNTEER = 7
    COUNTER = 8
    REMOTE = 9


CHANNEL_LABELS_VI = {
    Channel.WEB: "Cổng dịch vụ công trực tuyến", Channel.ZALO: "Zalo", Channel.SMS: "Tin nhắn SMS",
    Channel.KIOSK: "Ki-ốt cộng đồng", Channel.MOBILE_BUS: "Xe dịch vụ công lưu động",
    Channel.HOME_VISIT: "Cán bộ hỗ trợ tại nhà", Channel.VOLUNTEER: "Tình nguyện viên hỗ trợ",
    Channel.COUNTER: "Bộ phận Một cửa", Channel.REMOTE: "Hỗ trợ từ xa",
}
#: Channels whose dossiers count as handed in online (for the procedure's processing time per channel).
ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.ZALO, Channel.SMS, Channel.REMOTE})


class ResultDelivery(IntEnum):
    """Numbers are those of motcua.dossier.v1.ResultDelivery."""

    COUNTER = 1
    POST = 2
    ONLINE = 3


@dataclass(frozen=True)
class Actor:
    id: str
    role: str  # officer | volunteer | citizen | system | agency
    display_name: str = ""

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role, "display_name": self.display_name}

    @classmethod
    def from_json(cls, raw: dict | None) -> Actor | None:
        return cls(raw["id"], raw["role"], raw.get("display_name", "")) if raw else None


SYSTEM_LINKER = Actor("system:lien-thong", "system", "Liên thông tự động")


@dataclass(frozen=True)
class Address:
    street: str = ""
    ward_code: str = ""
    ward_name: str = ""
    district_name: str = ""
    province_code: str = ""
    province_name: str = ""

    def one_line(self) -> str:
        return ", ".join(p for p in (self.street, self.ward_name, self.district_name, self.province_name) if p)


@dataclass(frozen=True)
class Applicant:
    """The person submitting. Personal data: never logged unmasked, never in events."""

    full_name: str
    id_number: str
    phone: str
    email: str = ""
    address: Address = field(default_factory=Address)
    zalo_user_id: str = ""


@dataclass(frozen=True)
class Document:
    name: str
    document_id: str = ""
    originals: int = 0
    copies: int = 0


@dataclass(frozen=True)
class Consent:
    purpose: str
    given_at: datetime
    text_version: str = ""


@dataclass(frozen=True)
class RequiredDocument:
    name: str
    originals: int
    copies: int
    required: bool


@dataclass(frozen=True)
class ProcedureFacts:
    """What the registry needs from the catalogue about one procedure version."""

    code: str
    version: int
    name: str
    status: str  # published | withdrawn | draft
    agency_code: str
    agency_name: str
    processing_days: dict[str, int]  # channel (any | in_person | post | online) -> working days
    required_documents: tuple[RequiredDocument, ...]
    replaced_by_code: str = ""

    def working_days_for(self, channel: Channel) -> int:
        wanted = "online" if channel in ONLINE_CHANNELS else "in_person"
        if wanted in self.processing_days:
            return self.processing_days[wanted]
        if "any" in self.processing_days:
            return self.processing_days["any"]
        return min(self.processing_days.values(), default=0)


@dataclass(frozen=True)
class Submission:
    """A checked submission request, ready to be registered."""

    idempotency_key: str
    request_hash: bytes
    procedure_code: str
    procedure_version: int
    applicant: Applicant
    documents: tuple[Document, ...]
    channel: Channel
    assisted_by: Actor | None
    result_delivery: ResultDelivery
    consent: Consent
    agency_code: str = ""
    subject_birth_date: date | None = None
    skip_linked: bool = False


@dataclass(frozen=True)
class StatusChange:
    from_status: int
    to_status: Status
    actor: Actor
    reason: str
    at: datetime


@dataclass
class Dossier:
    """The full view of one dossier (personal data included)."""

    code: str
    public_token: str
    version: int
    procedure_code: str
    procedure_version: int
    procedure_name: str
    agency_code: str
    agency_name: str
    status: Status
    received_at: datetime
    due_at: datetime | None
    due_basis: dict | None
    paused_at: datetime | None
    processing_working_days: int
    collect_at: str
    channel: Channel
    assisted_by: Actor | None
    result_delivery: ResultDelivery
    consent: Consent
    contact_ref: str
    applicant: Applicant
    documents: tuple[Document, ...]
    parent_code: str
    root_code: str
    updated_at: datetime
    history: list[StatusChange] = field(default_factory=list)
    linked_codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublicStatus:
    """What anyone who knows a code may see: no personal data, no reasons, no actors."""

    code: str
    status: Status
    last_update: datetime
    due_at: datetime | None
    procedure_name: str
    agency_name: str
    history: tuple[tuple[Status, datetime], ...]


@dataclass(frozen=True)
class JourneyStep:
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    parent_code: str
    status: Status
    due_at: datetime | None


@dataclass(frozen=True)
class DossierSummary:
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    status: Status
    applicant_name: str
    received_at: datetime
    due_at: datetime | None
    channel: Channel
