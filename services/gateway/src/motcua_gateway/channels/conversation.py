"""The Zalo home-support registration conversation, as a pure state machine, and its Vietnamese prompts.

    "ĐK hỗ trợ tại nhà"  -> ask to share name/phone/address (request_user_info card)   step await_info
    user_submit_info      -> ask for the procedure keyword                              step await_keyword
    "rượu"                -> numbered procedures                                        step choose_procedure
    "2"                   -> numbered home-visit dates and times                        step choose_slot
    "1"                   -> booking created (REQUESTED, staff call back) -> congratulations, state cleared

"huỷ" (any spelling, diacritics or not) aborts at any step; a conversation idle longer than
the timeout starts over; '#code' look-ups are answered without leaving the conversation.
`decide` only decides; the handler (channels/zalo.py) does the calls and stores the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from motcua_gateway.channels.text import fold, parse_choice

START_PHRASES = frozenset({"dk ho tro tai nha", "dang ky ho tro tai nha", "dk ho tro", "dang ky ho tro"})
ABORT_PHRASES = frozenset({"huy", "huy bo", "huy dang ky", "thoat", "dung"})
CONSENT_TEXT_VERSION = "zalo-2025-01"
SUGGESTED_KEYWORDS = "“rượu”, “thuốc lá”, “gas”, “thực phẩm”"

# -- prompts -------------------------------------------------------------------------------------------

ASK_INFO_TITLE = "Chia sẻ thông tin để đăng ký hỗ trợ tại nhà"
ASK_INFO_TEXT = ("Anh/chị vui lòng bấm “Chia sẻ thông tin” và đánh dấu đồng ý để UBND phường dùng họ tên, "
                 "số điện thoại và địa chỉ của anh/chị cho việc hỗ trợ nộp hồ sơ (Nghị định 13/2023/NĐ-CP).")
ASK_INFO_AGAIN = ("Để đăng ký hỗ trợ tại nhà, anh/chị cần bấm “Chia sẻ thông tin” ở tin nhắn phía trên "
                  "(có đánh dấu đồng ý). Gõ “huỷ” để dừng đăng ký.")
ASK_KEYWORD = ("Cảm ơn anh/chị {name}. Anh/chị cần hỗ trợ nộp hồ sơ thủ tục nào? Vui lòng gõ từ khoá, ví dụ: "
               + SUGGESTED_KEYWORDS + ".")
NO_PROCEDURE = ("Không tìm thấy thủ tục nào với từ khoá “{keyword}”. Anh/chị thử từ khoá khác, ví dụ: "
                + SUGGESTED_KEYWORDS + ", hoặc gõ “huỷ” để dừng.")
CHOOSE_PROCEDURE = "Anh/chị chọn thủ tục cần hỗ trợ (trả lời bằng số thứ tự):\n{items}"
CHOOSE_SLOT = "Anh/chị chọn thời gian cán bộ đến hỗ trợ tại nhà (trả lời bằng số thứ tự):\n{items}"
NO_SLOT = ("Rất tiếc, hiện chưa còn lịch hỗ trợ tại nhà trống cho địa bàn của anh/chị trong 2 tuần tới. "
           "Anh/chị vui lòng thử lại sau hoặc gọi Bộ phận Một cửa.")
UNKNOWN_AREA = ("Rất tiếc, hiện chưa có đội hỗ trợ tại nhà cho địa bàn “{ward}”. Anh/chị có thể đặt lịch tại điểm "
                "hỗ trợ gần nhất trên cổng {portal}/ho-tro.")
OUT_OF_RANGE = "Anh/chị vui lòng trả lời bằng một số từ 1 đến {count}, hoặc gõ “huỷ” để dừng đăng ký."
SLOT_TAKEN = "Khung giờ này vừa hết chỗ. Anh/chị chọn một thời gian khác:\n{items}"
ABORTED = "Đã huỷ việc đăng ký hỗ trợ tại nhà. Khi cần, anh/chị bấm “ĐK hỗ trợ tại nhà” để bắt đầu lại."
EXPIRED = ("Phiên đăng ký trước đã hết hạn do lâu không trả lời. Anh/chị bấm “ĐK hỗ trợ tại nhà” để bắt đầu lại.")
SUCCESS = ("Chúc mừng anh/chị đã đăng ký thành công hỗ trợ nộp hồ sơ thủ tục hành chính “{procedure}” vào thời gian "
           "{when}. Cán bộ sẽ gọi điện xác nhận trước khi đến. Mã lịch hẹn: {ref}. Xem hoặc huỷ lịch: {link}")


@dataclass
class State:
    step: str
    updated_at: float
    procedures: list[dict[str, str]] = field(default_factory=list)
    procedure: dict[str, str] = field(default_factory=dict)
    slots: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "updated_at": self.updated_at, "procedures": self.procedures,
                "procedure": self.procedure, "slots": self.slots}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State | None:
        if not data or not data.get("step"):
            return None
        return cls(step=str(data["step"]), updated_at=float(data.get("updated_at", 0)),
                   procedures=list(data.get("procedures") or []), procedure=dict(data.get("procedure") or {}),
                   slots=list(data.get("slots") or []))


@dataclass(frozen=True)
class Decision:
    """What to do with a text: `kind` is one of the constants below; `index`/`keyword`/`message` as needed."""

    kind: str
    index: int = -1
    keyword: str = ""
    message: str = ""


START, ABORT, EXPIRE, SEARCH, PICK_PROCEDURE, PICK_SLOT, REPROMPT, OUTSIDE = (
    "start", "abort", "expire", "search", "pick_procedure", "pick_slot", "reprompt", "outside")


def is_start(text: str) -> bool:
    return fold(text) in START_PHRASES


def is_abort(text: str) -> bool:
    return fold(text).strip(".!") in ABORT_PHRASES


def active(state: State | None, now: float, timeout: float) -> State | None:
    """The state unless it timed out."""
    if state is None or now - state.updated_at > timeout:
        return None
    return state


def decide(state: State | None, text: str, *, now: float, timeout: float) -> Decision:
    """Decide what a text means for the conversation (pure)."""
    if text.strip().startswith("#"):
        return Decision(OUTSIDE)  # a look-up in the middle of a conversation: answered, state kept
    if is_start(text):
        return Decision(START)
    current = active(state, now, timeout)
    if current is None:
        if state is not None and (parse_choice(text, 99) is not None or is_abort(text)):
            return Decision(EXPIRE)  # an answer to a question asked too long ago
        return Decision(OUTSIDE)
    if is_abort(text):
        return Decision(ABORT)
    if current.step == "await_info":
        return Decision(REPROMPT, message=ASK_INFO_AGAIN)
    if current.step == "await_keyword":
        return Decision(SEARCH, keyword=text.strip()[:100])
    if current.step == "choose_procedure":
        index = parse_choice(text, len(current.procedures))
        if index is not None:
            return Decision(PICK_PROCEDURE, index=index)
        if parse_choice(text, 99) is not None or not fold(text):
            return Decision(REPROMPT, message=OUT_OF_RANGE.format(count=len(current.procedures)))
        return Decision(SEARCH, keyword=text.strip()[:100])  # another keyword
    if current.step == "choose_slot":
        index = parse_choice(text, len(current.slots))
        if index is not None:
            return Decision(PICK_SLOT, index=index)
        return Decision(REPROMPT, message=OUT_OF_RANGE.format(count=len(current.slots)))
    return Decision(OUTSIDE)


def numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))
