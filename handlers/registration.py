"""Registration to a unit (/dangky), approval (/duyet), invite codes (/moi) and the unit registry (/donvi).

A user holds one unit at a time.  /dangky asks for the unit's name (fuzzy, diacritics
optional), confirms the match with choices and files a pending request that an admin
approves or rejects; a valid invite code (created with /moi, single use, with an
expiry) approves at once.  Changing unit goes through the same steps again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.codec import Arg, ArgError, ArgSpec, Payload, parse_id
from bot.context import Context
from bot.conversation import DEFAULT_FLOW, begin
from bot.messages import Choice, Reply
from bot.router import HandlerResult, Router
from bot.storage.models import Unit
from bot.store import StoreError, format_invite_code, normalize_invite_code
from bot.text import fold, looks_like_question

if TYPE_CHECKING:
    from bot.app import App

router = Router("registration")

FLOW = "register"
ASK, PICK, PROFILE = "name", "confirm", "profile"
flow = router.steps(FLOW, ASK, PICK, PROFILE, default=ASK, title="đăng ký đơn vị")
flow.soft_steps.add(PROFILE)
ASK_PROFILE = (
    "Để quản trị viên biết ai xin tham gia, cho biết họ tên và chức vụ của bạn, cách nhau bởi dấu phẩy "
    "(có thể thêm số điện thoại), ví dụ: Nguyễn Văn An, chuyên viên phòng Tổng hợp, 0905123456."
)
ADD_FLOW = "unit_add"
add_flow = router.steps(ADD_FLOW, "category", title="thêm đơn vị")
RETYPE = "retype"


@dataclass(frozen=True, slots=True)
class PickUnit(Payload, prefix="u"):
    unit_id: int


@dataclass(frozen=True, slots=True)
class PickCategory(Payload, prefix="c"):
    key: str


APPROVE_WORDS = {
    "ok": ("duyệt", "có", "yes", "đồng ý", "chấp nhận"),
    "no": ("từ chối", "tuchoi", "không", "reject", "không duyệt"),
}
DUYET = ArgSpec(
    "duyet",
    (Arg("verb", "word", APPROVE_WORDS, optional=True), Arg("id", "id", optional=True)),
    "Cú pháp: /duyet ok SỐ (duyệt) hoặc /duyet no SỐ (từ chối), SỐ là số của yêu cầu.",
)
MOI = ArgSpec("moi", (Arg("unit", "text"),), "Cú pháp: /moi TÊN ĐƠN VỊ (ví dụ: /moi Sở Y tế).")
DONVI_WORDS = {"them": ("add", "thêm"), "ngung": ("retire", "xoa", "xóa", "ngừng")}
DONVI = ArgSpec(
    "donvi",
    (Arg("verb", "word", DONVI_WORDS, optional=True), Arg("rest", "text", optional=True)),
    "Cú pháp: /donvi, /donvi them TÊN | LOẠI, /donvi ngung TÊN.",
)
MATCH_MIN = 60.0  # below this a candidate is not worth offering
SPREAD = 15.0  # candidates more than this behind the best are not offered
SURE = 95.0  # at or above (and clearly ahead): /moi and /donvi take it without asking
INVITE_TTL = timedelta(days=7)
PAGE = 5  # pending requests shown per /duyet

CATEGORIES = ("district", "department", "socio_political", "armed_forces", "media")


def local_time(app: App, dt: datetime | None) -> str:
    return app.local_time(dt)


# ------------------------------------------------------------ unit matching
def match_units(app: App, text: str, limit: int = 3) -> list[tuple[Unit, float]]:
    """Active units ranked by how well ``text`` names them (knowledge.units.UnitMatcher)."""
    from knowledge.pack import Unit as PackUnit
    from knowledge.units import UnitMatcher

    rows = app.store.list_units(active_only=True)
    signature = tuple((u.id, u.name, tuple(u.aliases or ())) for u in rows)
    cached = app.unit_matcher
    if cached is None or cached[0] != signature:
        by_name = {u.name: u for u in rows}
        pack_units = [PackUnit(u.name, u.category, tuple(u.aliases or ()), u.standing_office) for u in rows]
        cached = (signature, UnitMatcher(pack_units), by_name)
        app.unit_matcher = cached
    _sig, matcher, by_name = cached
    out: list[tuple[Unit, float]] = []
    for pu, score in matcher.match(text, limit):
        row = by_name.get(pu.name)
        # Offer only credible candidates: not far behind the best one.
        if row is not None and score >= MATCH_MIN and (not out or score >= out[0][1] - SPREAD):
            out.append((row, float(score)))
    if len(out) > 1 and out[0][1] >= 100 > out[1][1]:
        # An exact name or alias ("công an tỉnh"): words shared with other names ("tỉnh") are no reason
        # to offer those too.
        return out[:1]
    return out


def sure_match(matches: list[tuple[Unit, float]]) -> Unit | None:
    if not matches:
        return None
    top, score = matches[0]
    runner_up = matches[1][1] if len(matches) > 1 else 0.0
    return top if score >= SURE and score - runner_up >= 5 else None


def unit_by_ref(app: App, ref: str) -> Unit | None:
    """``#12`` (a unit id, from a choice) or a name."""
    ref = ref.strip()
    if ref.startswith("#") and (unit_id := parse_id(ref)) is not None:
        unit = app.store.get_unit(unit_id)
        return unit if unit is not None and unit.active else None
    return None


# ------------------------------------------------------------- /dangky flow
ASK_NAME = (
    "Bạn làm việc ở đơn vị nào? Gõ tên đơn vị (ví dụ: Sở Y tế, huyện Ba Tơ, Công an tỉnh), "
    "hoặc mã mời nếu quản trị viên đã gửi cho bạn."
)


@router.command(
    "dangky",
    description="Đăng ký đơn vị của bạn",
    keywords=("đăng ký", "đăng kí", "dang ki"),
    args=ArgSpec(
        "dangky", (Arg("unit", "text", optional=True),), "Cú pháp: /dangky [TÊN ĐƠN VỊ hoặc MÃ MỜI]"
    ),
)
async def register(ctx: Context) -> HandlerResult:
    store = ctx.app.store
    current = await asyncio.to_thread(store.current_membership, ctx.user_id)
    notes: list[str | Reply] = []
    if current is not None:
        unit = await asyncio.to_thread(store.get_unit, current.unit_id)
        name = unit.name if unit else "?"
        if current.status == "approved":
            notes.append(
                f"Bạn đang là thành viên của {name}. Nếu đăng ký đơn vị khác, bạn sẽ rời {name} "
                "và cần được duyệt lại."
            )
        else:
            notes.append(f"Yêu cầu tham gia {name} của bạn đang chờ duyệt. Đăng ký lại sẽ thay yêu cầu đó.")
    begin(ctx, FLOW, ASK)
    if ctx.args:
        return notes + as_list(await _on_name(ctx, ctx.args))
    ctx.expects_free_text = True
    return [*notes, ASK_NAME]


def as_list(result: HandlerResult) -> list[str | Reply]:
    if result is None:
        return []
    if isinstance(result, (str, Reply)):
        return [result]
    return list(result)


@flow.on_resume
async def resume_register(ctx: Context) -> HandlerResult:
    assert ctx.state is not None
    ctx.state.step = ASK
    ctx.expects_free_text = True
    return ASK_NAME


@flow.step(PICK)
async def on_pick(ctx: Context) -> HandlerResult:
    assert ctx.state is not None
    picked = PickUnit.unpack(ctx.msg.choice)
    if picked is not None:
        return await _request(ctx, picked.unit_id)
    if ctx.msg.choice == RETYPE:
        ctx.state.step = ASK
        ctx.expects_free_text = True
        return ASK_NAME
    return await on_name(ctx)


@flow.step(ASK)
async def on_name(ctx: Context) -> HandlerResult:
    text = (ctx.msg.text or "").strip()
    if not text:
        ctx.expects_free_text = True
        return ASK_NAME
    return await _on_name(ctx, text)


def _looks_like_code(text: str) -> bool:
    """``ABCD-EFGH`` / ``abcd3fgh``: 8 letters and digits, with a dash in the middle or a digit."""
    compact = text.strip().replace("-", "").replace(" ", "")
    return (
        len(text.split()) <= 2
        and len(compact) == 8
        and compact.isascii()
        and compact.isalnum()
        and ("-" in text or any(c.isdigit() for c in compact))
    )


async def _on_name(ctx: Context, text: str) -> HandlerResult:
    store = ctx.app.store
    assert ctx.state is not None
    text = text[:200]
    code = normalize_invite_code(text)
    if code:
        invite = await asyncio.to_thread(store.find_invite, code)
        if invite is not None:
            return await _redeem(ctx, code)
    if _looks_like_code(text):
        ctx.state.step = ASK
        ctx.expects_free_text = True
        return Reply(
            f"Mã mời không hợp lệ: “{text[:20]}” không phải mã mời đang có. Kiểm tra lại mã "
            "(dạng ABCD-EFGH), hoặc gõ tên đơn vị, hoặc /huy để dừng."
        )
    matches = await asyncio.to_thread(match_units, ctx.app, text)
    if not matches:
        ctx.state.step = ASK
        ctx.expects_free_text = True
        return Reply(
            "Không tìm thấy đơn vị nào khớp với “" + text[:80] + "”. Gõ lại tên đầy đủ hơn "
            "(ví dụ: Sở Tài chính, UBND huyện Mộ Đức), hoặc /huy để dừng."
        )
    ctx.state.step = PICK
    choices = [Choice(u.name, PickUnit(u.id).pack()) for u, _score in matches if u.id is not None]
    choices.append(Choice("Không phải, nhập lại", RETYPE))
    question = "Có phải đơn vị của bạn là:" if len(matches) == 1 else "Bạn chọn đơn vị nào?"
    return Reply(question, choices)


async def _redeem(ctx: Context, code: str) -> HandlerResult:
    store = ctx.app.store
    try:
        m = await asyncio.to_thread(store.redeem_invite, code, ctx.user_id)
    except StoreError as exc:
        ctx.state = None
        return Reply(f"{exc}")
    ctx.state = None
    unit = await asyncio.to_thread(store.get_unit, m.unit_id)
    name = unit.name if unit else "?"
    await ctx.app.notify_admins(f"{_who(ctx)} đã dùng mã mời và trở thành thành viên của {name}.")
    return Reply(f"Mã mời hợp lệ. Bạn đã là thành viên của {name}. Gõ /baocao để nộp báo cáo hằng năm.")


async def _request(ctx: Context, unit_id: int) -> HandlerResult:
    store = ctx.app.store
    try:
        m = await asyncio.to_thread(store.request_membership, ctx.user_id, unit_id)
    except StoreError as exc:
        ctx.state = None
        return Reply(str(exc))
    ctx.state = None
    unit = await asyncio.to_thread(store.get_unit, unit_id)
    name = unit.name if unit else "?"
    await asyncio.to_thread(
        store.audit, ctx.msg.user_key, "membership.request", {"membership_id": m.id, "unit_id": unit_id}
    )
    await ctx.app.notify_admins(
        Reply(
            f"Yêu cầu đăng ký mới (#{m.id}): {_who(ctx)} xin tham gia {name}.",
            [
                Choice("Duyệt", DUYET.format(verb="ok", id=m.id)),
                Choice("Từ chối", DUYET.format(verb="no", id=m.id)),
            ],
        ),
        exclude=ctx.msg.user_key,
    )
    text = (
        f"Đã gửi yêu cầu tham gia {name}. Quản trị viên sẽ duyệt; bot sẽ báo cho bạn khi có kết quả.\n"
        "Nếu có mã mời, gõ /dangky MÃ để được duyệt ngay."
    )
    if not ctx.user.full_name:
        begin(ctx, FLOW, PROFILE, {"membership_id": m.id, "unit_name": name})
        ctx.expects_free_text = True
        return Reply(f"{text}\n\n{ASK_PROFILE}")
    return Reply(text)


def parse_profile(text: str) -> tuple[str, str, str] | None:
    """``Nguyễn Văn An, chuyên viên, 0905 123 456`` -> (name, position, phone); None if it is not that."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if len(parts) < 2 or len(text) > 400:
        return None
    phone = ""
    digits = "".join(ch for ch in parts[-1] if ch.isdigit() or ch == "+")
    if len(parts) >= 3 and 8 <= len(digits) <= 15 and not any(ch.isalpha() for ch in parts[-1]):
        phone = digits
        parts = parts[:-1]
    name, position = parts[0], ", ".join(parts[1:])
    words = name.split()
    if not 2 <= len(words) <= 7 or not all(any(ch.isalpha() for ch in w) for w in words):
        return None
    return name[:200], position[:200], phone[:40]


@flow.step(PROFILE)
async def on_profile(ctx: Context) -> HandlerResult:
    assert ctx.state is not None
    text = (ctx.msg.text or "").strip()
    profile = parse_profile(text) if not looks_like_question(text) else None
    data = dict(ctx.state.data)
    ctx.state = None
    if profile is None:
        # Not a name and position (a question, something else): the request stands; answer normally.
        qa = ctx.app.dispatcher.flows.get(DEFAULT_FLOW)
        return await qa(ctx) if qa is not None and text else Reply("Đã bỏ qua bước họ tên, chức vụ.")
    full_name, position, phone = profile
    await asyncio.to_thread(ctx.app.store.set_profile, ctx.user_id, full_name, position, phone)
    ctx.user.full_name, ctx.user.position, ctx.user.phone = full_name, position, phone
    m_id = data.get("membership_id")
    await ctx.app.notify_admins(
        Reply(
            f"Yêu cầu #{m_id}: người xin tham gia {data.get('unit_name', '')} là {_who(ctx)}.",
            [
                Choice("Duyệt", DUYET.format(verb="ok", id=m_id)),
                Choice("Từ chối", DUYET.format(verb="no", id=m_id)),
            ],
        ),
        exclude=ctx.msg.user_key,
    )
    return Reply(f"Cảm ơn {full_name}. Đã gửi thông tin cho quản trị viên cùng yêu cầu của bạn.")


def who(user: Any) -> str:
    """A person as an admin should see them: full name, position, phone, then the chat handle."""
    name = getattr(user, "full_name", "") or user.display_name or user.external_id
    parts = [name]
    if getattr(user, "position", ""):
        parts.append(user.position)
    if getattr(user, "phone", ""):
        parts.append(f"ĐT {user.phone}")
    return ", ".join(parts) + f" ({user.key})"


def _who(ctx: Context) -> str:
    return who(ctx.user)


# ------------------------------------------------------------------ /duyet
@router.command(
    "duyet", description="Duyệt yêu cầu đăng ký đơn vị", keywords=("duyệt",), admin=True, args=DUYET
)
async def approve(ctx: Context) -> HandlerResult:
    try:
        parsed = DUYET.parse(ctx.args)
    except ArgError as exc:
        first = ctx.args.split()[:1]
        if first and DUYET.args[0].words and _verb(first[0]) is None and parse_id(first[0]) is None:
            return await _pending_list(ctx)  # "/duyet ²": not a decision; show what is pending
        return Reply(str(exc))
    verb, membership_id = parsed["verb"], parsed["id"]
    if membership_id is not None:
        return await _decide(ctx, membership_id, verb != "no")
    if verb is not None:
        return Reply(DUYET.usage)
    return await _pending_list(ctx)


def _verb(word: str) -> str | None:
    folded = fold(word)
    for canonical, phrases in APPROVE_WORDS.items():
        if folded in {fold(canonical), *(fold(p).split()[0] for p in phrases)}:
            return canonical
    return None


async def _pending_list(ctx: Context) -> Reply:
    pending = await asyncio.to_thread(ctx.app.store.pending_requests)
    if not pending:
        return Reply("Không có yêu cầu nào đang chờ duyệt.")
    lines = [f"Có {len(pending)} yêu cầu đang chờ duyệt:"]
    choices = []
    for m, user, unit in pending[:PAGE]:
        lines.append(f"#{m.id}: {who(user)} → {unit.name}, gửi lúc {local_time(ctx.app, m.requested_at)}")
        choices.append(Choice(f"Duyệt #{m.id}", DUYET.format(verb="ok", id=m.id)))
        choices.append(Choice(f"Từ chối #{m.id}", DUYET.format(verb="no", id=m.id)))
    if len(pending) > PAGE:
        lines.append(f"… và {len(pending) - PAGE} yêu cầu khác (xử lý xong các yêu cầu trên rồi gõ /duyet).")
    lines.append("Hoặc gõ: /duyet ok SỐ, /duyet no SỐ.")
    return Reply("\n".join(lines), choices)


async def _decide(ctx: Context, membership_id: int, approve_it: bool) -> Reply:
    try:
        return Reply(await decide_request(ctx.app, membership_id, approve_it, ctx.msg.user_key))
    except StoreError as exc:
        return Reply(str(exc))


async def decide_request(app: Any, membership_id: int, approve_it: bool, actor: str) -> str:
    """Approve or reject a pending request and tell the requester in the chat (``/duyet`` and the
    web page's buttons). Returns the confirmation for the actor; StoreError when no longer pending."""
    store = app.store
    m = await asyncio.to_thread(store.decide_membership, membership_id, approve_it, actor)
    user = await asyncio.to_thread(store.get_user_by_id, m.user_id)
    unit = await asyncio.to_thread(store.get_unit, m.unit_id)
    uname = unit.name if unit else "?"
    if user is not None:
        if approve_it:
            note = f"Yêu cầu tham gia {uname} của bạn đã được duyệt. Gõ /baocao để nộp báo cáo hằng năm."
        else:
            note = f"Yêu cầu tham gia {uname} của bạn không được duyệt. Liên hệ quản trị viên nếu cần."
        await app.notify(user.key, note)
    shown = who(user) if user else "?"
    verb = "Đã duyệt" if approve_it else "Đã từ chối"
    return f"{verb} yêu cầu #{m.id}: {shown} → {uname}."


# -------------------------------------------------------------------- /moi
def suggest_units(app: App, text: str, limit: int = 8) -> list[Unit]:
    """Units to offer for a short or partial name ("so" -> the Sở…): fuzzy matches, then names that
    contain every word typed."""
    found = [u for u, _ in match_units(app, text, limit)]
    words = fold(text).split()
    if words:
        for u in app.store.list_units(active_only=True):
            name = fold(u.name).split()
            if u not in found and all(w in name for w in words):
                found.append(u)
    return found[:limit]


@router.command("moi", description="Tạo mã mời cho một đơn vị", keywords=(), admin=True)
async def invite(ctx: Context) -> HandlerResult:
    if not ctx.args:
        return Reply("Cú pháp: /moi TÊN ĐƠN VỊ (ví dụ: /moi Sở Y tế). Mã dùng một lần, hết hạn sau 7 ngày.")
    unit = await asyncio.to_thread(unit_by_ref, ctx.app, ctx.args)
    if unit is None:
        matches = await asyncio.to_thread(match_units, ctx.app, ctx.args)
        unit = sure_match(matches)
        if unit is None:
            offered = await asyncio.to_thread(suggest_units, ctx.app, ctx.args)
            if not offered:
                return Reply(f"Không tìm thấy đơn vị “{ctx.args[:80]}”. Gõ /donvi để xem danh sách đơn vị.")
            return Reply(
                "Tạo mã mời cho đơn vị nào?", [Choice(u.name, MOI.format(unit=f"#{u.id}")) for u in offered]
            )
    store = ctx.app.store
    assert unit.id is not None
    try:
        inv = await asyncio.to_thread(store.create_invite, unit.id, ctx.msg.user_key, INVITE_TTL)
    except StoreError as exc:
        return Reply(str(exc))
    code = format_invite_code(inv.code)
    return Reply(
        f"Mã mời cho {unit.name}: {code}\n"
        f"Dùng một lần, hết hạn lúc {local_time(ctx.app, inv.expires_at)}. "
        f"Người được mời gõ: /dangky {code}"
    )


# ------------------------------------------------------------------ /donvi
USAGE_DONVI = (
    "Quản lý danh sách đơn vị:\n"
    "/donvi: xem danh sách\n"
    "/donvi them TÊN | LOẠI: thêm đơn vị (LOẠI: huyện, sở, tổ chức chính trị - xã hội, lực lượng vũ trang, "
    "báo chí; hoặc bỏ trống để chọn)\n"
    "/donvi ngung TÊN: ngừng một đơn vị (ẩn khỏi đăng ký và thống kê)"
)
CATEGORY_WORDS = {  # Vietnamese words an admin types for a category (folded on comparison)
    "district": ("huyện", "thị xã", "thành phố", "ubnd huyện", "cấp huyện"),
    "department": ("sở", "ban", "ngành", "sở ngành", "sở, ban, ngành"),
    "socio_political": ("tổ chức", "đoàn thể", "chính trị xã hội", "mặt trận"),
    "armed_forces": ("lực lượng vũ trang", "quân sự", "công an", "biên phòng"),
    "media": ("báo chí", "báo", "đài", "truyền hình"),
}


def category_from(app: App, text: str) -> str | None:
    from bot.app import CATEGORY_LABELS

    wanted = fold(text)
    if not wanted:
        return None
    for key in CATEGORIES:
        names = {fold(key), fold(app.category_label(key)), fold(CATEGORY_LABELS[key])}
        names |= {fold(w) for w in CATEGORY_WORDS.get(key, ())}
        if wanted in names:
            return key
    return None


@router.command("donvi", description="Xem, thêm, ngừng đơn vị", admin=True)
async def units_admin(ctx: Context) -> HandlerResult:
    try:
        parsed = DONVI.parse(ctx.args)
    except ArgError:
        return Reply(USAGE_DONVI)
    verb, rest = parsed["verb"], (parsed["rest"] or "").strip()
    if verb is None and not rest:
        return await _list_units(ctx)
    if verb == "them":
        return await _add_unit(ctx, rest)
    if verb == "ngung" and rest:
        return await _retire_unit(ctx, rest)
    return Reply(USAGE_DONVI)


async def _list_units(ctx: Context) -> Reply:
    units = await asyncio.to_thread(ctx.app.store.list_units, False)
    lines = []
    for cat in CATEGORIES:
        group = [u for u in units if u.category == cat and u.active]
        if group:
            lines.append(f"{ctx.app.category_label(cat)} ({len(group)}):")
            lines.extend(f"  #{u.id} {u.name}" for u in group)
    others = [u for u in units if u.category not in CATEGORIES and u.active]
    if others:
        lines.append(f"Khác ({len(others)}):")
        lines.extend(f"  #{u.id} {u.name}" for u in others)
    retired = [u for u in units if not u.active]
    if retired:
        lines.append("Đã ngừng:")
        lines.extend(f"  {u.name}" for u in retired)
    lines.append("")
    lines.append(USAGE_DONVI)
    return Reply("\n".join(lines))


async def _add_unit(ctx: Context, rest: str) -> HandlerResult:
    name, _, cat_text = rest.partition("|")
    name = name.strip()
    if not name:
        return Reply(USAGE_DONVI)
    category = category_from(ctx.app, cat_text.strip())
    if category is None:
        begin(ctx, ADD_FLOW, "category", {"name": name})
        note = f"Không rõ loại “{cat_text.strip()[:40]}”. " if cat_text.strip() else ""
        return Reply(
            f"{note}Đơn vị “{name[:80]}” thuộc loại nào?",
            [Choice(ctx.app.category_label(k), PickCategory(k).pack()) for k in CATEGORIES],
        )
    return await _create_unit(ctx, name, category)


async def _create_unit(ctx: Context, name: str, category: str) -> Reply:
    try:
        unit = await asyncio.to_thread(ctx.app.store.add_unit, name, category, ctx.msg.user_key)
    except StoreError as exc:
        return Reply(str(exc))
    ctx.app.schedule_changed()
    return Reply(f"Đã thêm đơn vị #{unit.id} {unit.name} ({ctx.app.category_label(unit.category)}).")


@add_flow.step("category")
async def on_category(ctx: Context) -> HandlerResult:
    assert ctx.state is not None
    name = str(ctx.state.data.get("name", ""))
    picked = PickCategory.unpack(ctx.msg.choice)
    category = picked.key if picked is not None else category_from(ctx.app, ctx.msg.text or "")
    if category not in CATEGORIES:
        return Reply(
            "Chọn một loại trong danh sách (hoặc gõ: huyện, sở, tổ chức, lực lượng vũ trang, báo chí).",
            [Choice(ctx.app.category_label(k), PickCategory(k).pack()) for k in CATEGORIES],
        )
    ctx.state = None
    return await _create_unit(ctx, name, category)


async def _retire_unit(ctx: Context, rest: str) -> Reply:
    unit = await asyncio.to_thread(unit_by_ref, ctx.app, rest)
    if unit is None:
        matches = await asyncio.to_thread(match_units, ctx.app, rest)
        if not matches:
            return Reply(f"Không tìm thấy đơn vị “{rest[:80]}”.")
        # Retiring is not undone by a typo: always confirm by choice unless given by id.
        return Reply(
            "Ngừng đơn vị nào?",
            [Choice(u.name, DONVI.format(verb="ngung", rest=f"#{u.id}")) for u, _ in matches],
        )
    assert unit.id is not None
    try:
        unit = await asyncio.to_thread(ctx.app.store.retire_unit, unit.id, ctx.msg.user_key)
    except StoreError as exc:
        return Reply(str(exc))
    ctx.app.schedule_changed()
    return Reply(f"Đã ngừng đơn vị {unit.name}. Đơn vị không còn hiện khi đăng ký và trong thống kê.")
