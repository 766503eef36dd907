"""The import format `motcua.catalogue.import.v1` (docs/import-format.md): parse and validate every row.

Validation is all-or-nothing and exhaustive: every row is checked (pydantic for each row,
then rules across rows), every problem is reported as `line N: field: reason`, and the
caller writes nothing unless the problem list is empty. For JSON the line is where the
procedure's `{` is; for CSV it is the line where the row starts (a quoted cell may span lines).
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from motcua_catalogue.domain import model as m
from motcua_catalogue.domain.text import has_control_characters, nfc

FORMAT_NAME = "motcua.catalogue.import.v1"
CSV_COLUMNS = (
    "code", "name", "field_code", "field_name", "level", "agency_code", "agency_name", "online_level",
    "legacy_level_label", "processing_times", "fees", "required_documents", "submission_channels",
    "result_channels", "legal_basis", "keywords", "synonyms",
)
_REQUIRED_CSV_COLUMNS = ("code", "name", "field_code", "field_name", "level", "agency_code", "agency_name", "online_level")
_JSON_CELLS = ("processing_times", "fees", "required_documents")
_LIST_CELLS = ("submission_channels", "result_channels", "legal_basis", "keywords", "synonyms")
_VIETNAMESE_MARKS = re.compile(r"[^\x00-\x7f]")

ShortText = Annotated[str, Field(max_length=2000)]


def _clean(value: str) -> str:
    if has_control_characters(value.replace("\n", " ").replace("\t", " ")):
        raise ValueError("contains control characters")
    return nfc(value)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _clean(value)
        if isinstance(value, list):
            return [_clean(v) if isinstance(v, str) else v for v in value]
        return value


class FieldIn(_Row):
    code: str = Field(pattern=m.FIELD_CODE.pattern)
    name: str = Field(min_length=2, max_length=200)


class AgencyIn(_Row):
    code: str = Field(pattern=m.AGENCY_CODE.pattern)
    name: str = Field(min_length=2, max_length=300)


class ProcessingTimeIn(_Row):
    working_days: int = Field(ge=0, le=365)
    channel: Literal["any", "in_person", "post", "online"] = "any"
    description: ShortText = ""


class FeeIn(_Row):
    name: str = Field(min_length=2, max_length=500)
    amount_vnd: int = Field(ge=0, le=10_000_000_000)
    effective_from: date
    effective_to: date | None = None
    note: ShortText = ""

    @model_validator(mode="after")
    def _period(self) -> FeeIn:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class RequiredDocumentIn(_Row):
    name: str = Field(min_length=2, max_length=1000)
    originals: int = Field(default=0, ge=0, le=100)
    copies: int = Field(default=0, ge=0, le=100)
    required: bool = True
    form_template_ref: str = Field(default="", max_length=300)
    note: ShortText = ""


ChannelIn = Literal["in_person", "post", "online"]
Phrase = Annotated[str, Field(min_length=1, max_length=300)]


class ProcedureIn(_Row):
    """One procedure of an import document."""

    code: str
    name: str = Field(min_length=3, max_length=500)
    field: FieldIn
    level: Literal["province", "commune", "district"]
    agency: AgencyIn
    online_level: Literal["full", "partial", "none"]
    legacy_level_label: str = Field(default="", max_length=50)
    processing_times: list[ProcessingTimeIn] = Field(min_length=1, max_length=20)
    fees: list[FeeIn] = Field(default_factory=list, max_length=50)
    required_documents: list[RequiredDocumentIn] = Field(default_factory=list, max_length=100)
    submission_channels: list[ChannelIn] = Field(min_length=1, max_length=3)
    result_channels: list[ChannelIn] = Field(min_length=1, max_length=3)
    legal_basis: list[Phrase] = Field(default_factory=list, max_length=50)
    keywords: list[Phrase] = Field(default_factory=list, max_length=50)
    synonyms: list[Phrase] = Field(default_factory=list, max_length=50)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not m.PROCEDURE_CODE.fullmatch(value):
            raise ValueError("not a national procedure code N.NNNNNN.NNN.NN.NN.XNN (e.g. 1.000028.000.00.00.H15)")
        return value

    @field_validator("name")
    @classmethod
    def _vietnamese(cls, value: str) -> str:
        if not _VIETNAMESE_MARKS.search(value):
            raise ValueError("has no Vietnamese diacritics; write the name as published (e.g. 'Đăng ký khai sinh')")
        return value

    @field_validator("submission_channels", "result_channels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a channel twice")
        return value

    @field_validator("fees")
    @classmethod
    def _fee_periods(cls, fees: list[FeeIn]) -> list[FeeIn]:
        by_name: dict[str, list[FeeIn]] = {}
        for fee in fees:
            by_name.setdefault(fee.name, []).append(fee)
        for name, fees in by_name.items():
            ordered = sorted(fees, key=lambda f: f.effective_from)
            for before, after in itertools.pairwise(ordered):
                if before.effective_to is None or before.effective_to >= after.effective_from:
                    raise ValueError(f"fee {name!r} has overlapping periods from {after.effective_from.isoformat()}")
        return fees

    def to_domain(self) -> m.ProcedureContent:
        return m.ProcedureContent(
            code=self.code,
            name=self.name,
            field=m.Field(self.field.code, self.field.name),
            level=m.Level(self.level),
            agency=m.Agency(self.agency.code, self.agency.name),
            online_level=m.OnlineLevel(self.online_level),
            legacy_level_label=self.legacy_level_label,
            processing_times=tuple(
                m.ProcessingTime(t.working_days, t.description, None if t.channel == "any" else m.Channel(t.channel))
                for t in self.processing_times
            ),
            fees=tuple(m.Fee(f.name, f.amount_vnd, f.effective_from, f.effective_to, f.note) for f in self.fees),
            required_documents=tuple(
                m.RequiredDocument(d.name, d.originals, d.copies, d.required, d.form_template_ref, d.note)
                for d in self.required_documents
            ),
            submission_channels=tuple(m.Channel(c) for c in self.submission_channels),
            result_channels=tuple(m.Channel(c) for c in self.result_channels),
            legal_basis=tuple(self.legal_basis),
            keywords=tuple(self.keywords),
            synonyms=tuple(self.synonyms),
        )


def validated(content: m.ProcedureContent) -> tuple[m.ProcedureContent | None, list[str]]:
    """Check a procedure built elsewhere (e.g. from an RPC) by the import rules.

    Returns (the content as stored — text NFC-normalised and trimmed, None when invalid, and the
    problems as `field: reason` strings).
    """
    try:
        row = ProcedureIn.model_validate(content.to_document())
    except ValidationError as exc:
        return None, [f"{_path(err['loc'])}: {_reason(err)}" for err in exc.errors()]
    return row.to_domain(), []


@dataclass(frozen=True)
class ParsedRow:
    line: int
    procedure: m.ProcedureContent


@dataclass(frozen=True)
class ParseResult:
    rows: tuple[ParsedRow, ...]
    problems: tuple[m.ImportProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def parse(content: bytes, fmt: Literal["json", "csv"]) -> ParseResult:
    """Parse and validate a whole document; `problems` lists every bad row (then `rows` must not be written)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        return ParseResult((), (m.ImportProblem(line, "", "the document is not UTF-8"),))
    raw = _json_rows(text) if fmt == "json" else _csv_rows(text)
    rows: list[ParsedRow] = []
    problems: list[m.ImportProblem] = []
    for line, data, early in raw:
        if early:
            problems.extend(early)
            continue
        code = data.get("code") if isinstance(data, dict) and isinstance(data.get("code"), str) else ""
        try:
            row = ProcedureIn.model_validate(data)
        except ValidationError as exc:
            seen: set[tuple[str, str]] = set()
            for err in exc.errors():
                where = _csv_path(err["loc"]) if fmt == "csv" else _path(err["loc"])
                reason = _reason(err)
                if (where, reason) not in seen:
                    seen.add((where, reason))
                    problems.append(m.ImportProblem(line, where, reason, code))
            continue
        rows.append(ParsedRow(line, row.to_domain()))
    problems.extend(_cross_row_problems(rows, fmt))
    problems.sort(key=lambda p: p.line)
    return ParseResult(tuple(rows) if not problems else (), tuple(problems))


def _cross_row_problems(rows: list[ParsedRow], fmt: str) -> list[m.ImportProblem]:
    problems: list[m.ImportProblem] = []
    codes: dict[str, int] = {}
    fields: dict[str, tuple[str, int]] = {}
    agencies: dict[str, tuple[str, int]] = {}
    field_col, agency_col = ("field_name", "agency_name") if fmt == "csv" else ("field.name", "agency.name")
    for row in rows:
        p = row.procedure
        if p.code in codes:
            problems.append(m.ImportProblem(row.line, "code", f"duplicate of the procedure on line {codes[p.code]}", p.code))
        else:
            codes[p.code] = row.line
        for table, key, name, col in ((fields, p.field.code, p.field.name, field_col),
                                      (agencies, p.agency.code, p.agency.name, agency_col)):
            known = table.setdefault(key, (name, row.line))
            if known[0] != name:
                problems.append(m.ImportProblem(
                    row.line, col, f"{key} is named {name!r} here but {known[0]!r} on line {known[1]}", p.code))
    return problems


# -- JSON -------------------------------------------------------------------------------------------

_WS = re.compile(r"\s*")


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def at(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)


RawRow = tuple[int, Any, list[m.ImportProblem]]


def _json_rows(text: str) -> Iterator[RawRow]:
    """Yield (line of the object's `{`, decoded object, []) per procedure, or one row of document problems."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield exc.lineno, None, [m.ImportProblem(exc.lineno, "", f"invalid JSON: {exc.msg} (column {exc.colno})")]
        return
    decoder = json.JSONDecoder()
    lines = _Lines(text)
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if isinstance(document, list):
        array_pos = pos
    elif isinstance(document, dict):
        if document.get("format", FORMAT_NAME) != FORMAT_NAME:
            yield 1, None, [m.ImportProblem(1, "format", f"unsupported format {document.get('format')!r}, want {FORMAT_NAME}")]
            return
        extra = sorted(set(document) - {"format", "procedures"})
        if extra:
            yield 1, None, [m.ImportProblem(1, extra[0], "unknown top-level member (want format, procedures)")]
            return
        if not isinstance(document.get("procedures"), list):
            yield 1, None, [m.ImportProblem(1, "procedures", "missing, or not a list of procedures")]
            return
        array_pos = _find_member(text, decoder, pos, "procedures")
    else:
        yield 1, None, [m.ImportProblem(1, "", "the document must be an object with 'procedures' (or a list)")]
        return
    # Walk the array element by element to know where each procedure starts.
    pos = _WS.match(text, array_pos + 1).end()  # type: ignore[union-attr]
    if text[pos] == "]":
        return
    while True:
        value, end = decoder.raw_decode(text, pos)
        line = lines.at(pos)
        if isinstance(value, dict):
            yield line, value, []
        else:
            yield line, None, [m.ImportProblem(line, "", "a procedure must be a JSON object")]
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[pos] == "]":
            return
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]  # skip the comma


def _find_member(text: str, decoder: json.JSONDecoder, pos: int, name: str) -> int:
    """Position of the value of top-level member `name` in the (valid) object starting at `pos`."""
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    while True:
        key, pos = decoder.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]  # skip the colon
        if key == name:
            return pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]  # skip the comma


# -- CSV --------------------------------------------------------------------------------------------


def _csv_rows(text: str) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        yield 1, None, [m.ImportProblem(1, "", "the document is empty; a header row is required")]
        return
    except csv.Error as exc:
        yield 1, None, [m.ImportProblem(1, "", f"invalid CSV: {exc}")]
        return
    header = [h.strip() for h in header]
    missing = [c for c in _REQUIRED_CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        problems = [m.ImportProblem(1, c, "required column missing from the header") for c in missing]
        problems += [m.ImportProblem(1, c, f"unknown column (known: {', '.join(CSV_COLUMNS)})") for c in unknown]
        if len(set(header)) != len(header):
            problems.append(m.ImportProblem(1, "", "a column appears twice in the header"))
        yield 1, None, problems
        return
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, [m.ImportProblem(start, "", f"invalid CSV: {exc}")]
            return
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            yield start, None, [m.ImportProblem(start, "", f"has {len(cells)} cells, the header has {len(header)}")]
            continue
        yield _csv_record(start, dict(zip(header, cells, strict=True)))


def _csv_record(line: int, cells: dict[str, str]) -> RawRow:
    problems: list[m.ImportProblem] = []
    code = cells.get("code", "").strip()
    record: dict[str, Any] = {
        "code": code,
        "name": cells.get("name", ""),
        "field": {"code": cells.get("field_code", ""), "name": cells.get("field_name", "")},
        "level": cells.get("level", "").strip(),
        "agency": {"code": cells.get("agency_code", ""), "name": cells.get("agency_name", "")},
        "online_level": cells.get("online_level", "").strip(),
        "legacy_level_label": cells.get("legacy_level_label", ""),
    }
    for column in (*_JSON_CELLS, *_LIST_CELLS):
        cell = cells.get(column, "").strip()
        if not cell:
            if column in cells:
                record[column] = []
            continue
        if cell.startswith("["):
            try:
                record[column] = json.loads(cell)
            except json.JSONDecodeError as exc:
                problems.append(m.ImportProblem(line, column, f"cell is not valid JSON: {exc.msg} (column {exc.colno})", code))
        elif column in _LIST_CELLS:
            record[column] = [part.strip() for part in cell.split("|") if part.strip()]
        else:
            problems.append(m.ImportProblem(line, column, "cell must hold a JSON list", code))
    return line, record, problems


# -- messages ---------------------------------------------------------------------------------------


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _csv_path(loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] in ("field", "agency") and isinstance(loc[1], str):
        return f"{loc[0]}_{loc[1]}" + _path(loc[2:])
    return _path(loc)


def _reason(err: Any) -> str:
    if err["type"] == "missing":
        return "required"
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "string_pattern_mismatch":
        return f"has the wrong shape (got {str(err.get('input'))[:40]!r})"
    message = str(err["msg"])
    return message.removeprefix("Value error, ")
