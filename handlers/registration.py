"""Registration to a unit (/dangky), approval (/duyet), invite codes (/moi) and the unit registry (/donvi).

A user holds one unit at a time.  /dangky asks for the unit's name (fuzzy, diacritics
optional), confirms the match with choices and files a pending request that an admin
approves or rejects; a valid invite code (created with /moi, single use, with an
expiry) approves at once.  Changing unit goes through the same steps again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.conversation import begin
from bot.messages import Choice, Reply
from bot.router import Router
from bot.storage.models import Unit
from bot.store import StoreError, format_invite_code, normalize_invite_code

router = Router("registration")

FLOW = "register"
MATCH_MIN = 60.0  # below this a candidate is not worth offering
SPREAD = 15.0  # candidates more than this behind the best are not offered
SURE = 95.0  # at or above (and clearly ahead): /moi and /donvi take it without asking
INVITE_TTL = timedelta(days=7)
PAGE = 5  # pending requests shown per /duyet

CATEGORIES = ("district", "department", "socio_political", "armed_forces", "media")


def local_time(app: Any, dt: Any) -> str:
    return str(app.local_time(dt))


# ------------------------------------------------------------ unit matching
def match_units(app: Any, text: str, limit: int = 3) -> list[tuple[Unit, float]]:
    """Active units ranked by how well ``text`` names them (knowledge.units.UnitMatcher)."""
    from knowledge.pack import Unit as PackUnit
    from knowledge.units import UnitMatcher

    rows = app.store.list_units(active_only=True)
    signature = tuple((u.id, u.name, tuple(u.aliases or ())) for u in rows)
    cached = app.extras.get("unit_matcher")
    if cached is None or cached[0] != signature:
        by_name = {u.name: u for u in rows}
        pack_units = [PackUnit(u.name, u.category, tuple(u.aliases or ()), u.standing_office) for u in rows]
        cached = (signature, UnitMatcher(pack_units), by_name)
        app.extras["unit_matcher"] = cached
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


def parse_id(text: str) -> int | None:
    """A record id typed or sent by the user (``12`` or ``#12``), or None.

    Only ASCII digits and at most 9 of them: ``"²".isdigit()`` is true but ``int("²")`` fails, and an id
    beyond the INTEGER column range makes the database driver raise instead of finding nothing.
    """
    digits = text.strip().removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:
        return int(digits)
    return None


def unit_by_ref(app: Any, ref: str) -> Unit | None:
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


@router.command("dangky", description="Đăng ký đơn vị của bạn", keywords=("đăng ký", "đăng kí", "dang ki"))
async def register(ctx: Context) -> Any:
    store = ctx.app.store
    current = await asyncio.to_thread(store.current_membership, ctx.user.id)
    notes = []
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
    begin(ctx, FLOW, "name")
    if ctx.args:
        return notes + as_list(await _on_name(ctx, ctx.args))
    ctx.extra["numbers"] = False  # type: ignore[index]
    return [*notes, ASK_NAME]


def as_list(result: Any) -> list[Any]:
    return result if isinstance(result, list) else [result]


@router.flow(FLOW)
async def register_flow(ctx: Context) -> Any:
    assert ctx.state is not None
    msg = ctx.msg
    if msg.choice is not None:
        if msg.choice == "retype":
            ctx.state.step = "name"
            ctx.extra["numbers"] = False  # type: ignore[index]
            return ASK_NAME
        if msg.choice.startswith("u:") and (unit_id := parse_id(msg.choice[2:])) is not None:
            return await _request(ctx, unit_id)
        return Reply("Lựa chọn không hợp lệ. Gõ lại tên đơn vị, hoặc /huy để dừng.")
    text = (msg.text or "").strip()
    if not text:
        ctx.extra["numbers"] = False  # type: ignore[index]
        return ASK_NAME
    return await _on_name(ctx, text)


async def _on_name(ctx: Context, text: str) -> Any:
    store = ctx.app.store
    assert ctx.state is not None
    text = text[:200]
    code = normalize_invite_code(text)
    if code:
        invite = await asyncio.to_thread(store.find_invite, code)
        if invite is not None:
            return await _redeem(ctx, code)
    matches = await asyncio.to_thread(match_units, ctx.app, text)
    if not matches:
        ctx.state.step = "name"
        ctx.extra["numbers"] = False  # type: ignore[index]
        return Reply(
            "Không tìm thấy đơn vị nào khớp với “" + text[:80] + "”. Gõ lại tên đầy đủ hơn "
            "(ví dụ: Sở Tài chính, UBND huyện Mộ Đức), hoặc /huy để dừng."
        )
    ctx.state.step = "confirm"
    choices = [Choice(u.name, f"u:{u.id}") for u, _score in matches]
    choices.append(Choice("Không phải, nhập lại", "retype"))
    question = "Có phải đơn vị của bạn là:" if len(matches) == 1 else "Bạn chọn đơn vị nào?"
    return Reply(question, choices)


async def _redeem(ctx: Context, code: str) -> Any:
    store = ctx.app.store
    try:
        m = await asyncio.to_thread(store.redeem_invite, code, ctx.user.id)
    except StoreError as exc:
        ctx.state = None
        return Reply(f"{exc}")
    ctx.state = None
    unit = await asyncio.to_thread(store.get_unit, m.unit_id)
    name = unit.name if unit else "?"
    await ctx.app.notify_admins(f"{_who(ctx)} đã dùng mã mời và trở thành thành viên của {name}.")
    return Reply(f"Mã mời hợp lệ. Bạn đã là thành viên của {name}. Gõ /baocao để nộp báo cáo hằng năm.")


async def _request(ctx: Context, unit_id: int) -> Any:
    store = ctx.app.store
    try:
        m = await asyncio.to_thread(store.request_membership, ctx.user.id, unit_id)
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
            [Choice("Duyệt", f"/duyet ok {m.id}"), Choice("Từ chối", f"/duyet no {m.id}")],
        ),
        exclude=ctx.msg.user_key,
    )
    return Reply(
        f"Đã gửi yêu cầu tham gia {name}. Quản trị viên sẽ duyệt; bot sẽ báo cho bạn khi có kết quả.\n"
        "Nếu có mã mời, gõ /dangky MÃ để được duyệt ngay."
    )


def _who(ctx: Context) -> str:
    name = ctx.user.display_name or ctx.user.external_id
    return f"{name} ({ctx.msg.user_key})"


# ------------------------------------------------------------------ /duyet
@router.command("duyet", description="Duyệt yêu cầu đăng ký đơn vị", keywords=("duyệt",), admin=True)
async def approve(ctx: Context) -> Any:
    store = ctx.app.store
    parts = ctx.args.split()
    if len(parts) >= 2 and (membership_id := parse_id(parts[-1])) is not None:
        verb = "".join(parts[:-1]).lower()
        if verb in ("ok", "duyet", "duyệt", "co", "có", "yes"):
            approve_it = True
        elif verb in ("no", "tuchoi", "từchối", "khong", "không", "reject"):
            approve_it = False
        else:
            return Reply("Cú pháp: /duyet ok SỐ (duyệt) hoặc /duyet no SỐ (từ chối).")
        return await _decide(ctx, membership_id, approve_it)
    if len(parts) == 1 and (membership_id := parse_id(parts[0])) is not None:
        return await _decide(ctx, membership_id, True)
    if parts and parts[0].lower() in ("ok", "duyet", "duyệt", "co", "có", "yes", "no", "tuchoi", "từchối"):
        return Reply("Cú pháp: /duyet ok SỐ (duyệt) hoặc /duyet no SỐ (từ chối), SỐ là số của yêu cầu.")
    pending = await asyncio.to_thread(store.pending_requests)
    if not pending:
        return Reply("Không có yêu cầu nào đang chờ duyệt.")
    lines = [f"Có {len(pending)} yêu cầu đang chờ duyệt:"]
    choices = []
    for m, user, unit in pending[:PAGE]:
        who = user.display_name or user.external_id
        lines.append(
            f"#{m.id}: {who} ({user.key}) → {unit.name}, gửi lúc {local_time(ctx.app, m.requested_at)}"
        )
        choices.append(Choice(f"Duyệt #{m.id}", f"/duyet ok {m.id}"))
        choices.append(Choice(f"Từ chối #{m.id}", f"/duyet no {m.id}"))
    if len(pending) > PAGE:
        lines.append(f"… và {len(pending) - PAGE} yêu cầu khác (xử lý xong các yêu cầu trên rồi gõ /duyet).")
    lines.append("Hoặc gõ: /duyet ok SỐ, /duyet no SỐ.")
    return Reply("\n".join(lines), choices)


async def _decide(ctx: Context, membership_id: int, approve_it: bool) -> Reply:
    store = ctx.app.store
    try:
        m = await asyncio.to_thread(store.decide_membership, membership_id, approve_it, ctx.msg.user_key)
    except StoreError as exc:
        return Reply(str(exc))
    user = await asyncio.to_thread(store.get_user_by_id, m.user_id)
    unit = await asyncio.to_thread(store.get_unit, m.unit_id)
    uname = unit.name if unit else "?"
    if user is not None:
        if approve_it:
            note = f"Yêu cầu tham gia {uname} của bạn đã được duyệt. Gõ /baocao để nộp báo cáo hằng năm."
        else:
            note = f"Yêu cầu tham gia {uname} của bạn không được duyệt. Liên hệ quản trị viên nếu cần."
        await ctx.app.notify(user.key, note)
    who = (user.display_name or user.external_id) if user else "?"
    verb = "Đã duyệt" if approve_it else "Đã từ chối"
    return Reply(f"{verb} yêu cầu #{m.id}: {who} → {uname}.")


# -------------------------------------------------------------------- /moi
@router.command("moi", description="Tạo mã mời cho một đơn vị", keywords=(), admin=True)
async def invite(ctx: Context) -> Any:
    if not ctx.args:
        return Reply("Cú pháp: /moi TÊN ĐƠN VỊ (ví dụ: /moi Sở Y tế). Mã dùng một lần, hết hạn sau 7 ngày.")
    unit = await asyncio.to_thread(unit_by_ref, ctx.app, ctx.args)
    if unit is None:
        matches = await asyncio.to_thread(match_units, ctx.app, ctx.args)
        unit = sure_match(matches)
        if unit is None:
            if not matches:
                return Reply(f"Không tìm thấy đơn vị “{ctx.args[:80]}”.")
            return Reply("Tạo mã mời cho đơn vị nào?", [Choice(u.name, f"/moi #{u.id}") for u, _ in matches])
    store = ctx.app.store
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
    "/donvi them TÊN | LOẠI: thêm đơn vị (LOẠI: district, department, socio_political, armed_forces, media)\n"
    "/donvi ngung TÊN: ngừng một đơn vị (ẩn khỏi đăng ký và thống kê)"
)


def _category_from(app: Any, text: str) -> str | None:
    from knowledge.normalize import fold

    wanted = fold(text)
    from bot.app import CATEGORY_LABELS

    for key in CATEGORIES:
        if wanted in (fold(key), fold(app.category_label(key)), fold(CATEGORY_LABELS[key])):
            return key
    return None


@router.command("donvi", description="Xem, thêm, ngừng đơn vị", admin=True)
async def units_admin(ctx: Context) -> Any:
    from knowledge.normalize import fold

    store = ctx.app.store
    verb, _, rest = ctx.args.partition(" ")
    verb_f = fold(verb)
    if not verb:
        units = await asyncio.to_thread(store.list_units, False)
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
            lines.append("Đã ngừng: " + ", ".join(u.name for u in retired))
        lines.append("")
        lines.append(USAGE_DONVI)
        return Reply("\n".join(lines))
    if verb_f in ("them", "add"):
        name, _, cat_text = rest.partition("|")
        category = _category_from(ctx.app, cat_text.strip()) if cat_text.strip() else None
        if not name.strip() or category is None:
            return Reply(USAGE_DONVI)
        try:
            unit = await asyncio.to_thread(store.add_unit, name, category, ctx.msg.user_key)
        except StoreError as exc:
            return Reply(str(exc))
        ctx.app.schedule_changed()
        return Reply(f"Đã thêm đơn vị #{unit.id} {unit.name} ({ctx.app.category_label(unit.category)}).")
    if verb_f in ("ngung", "retire", "xoa"):
        if not rest.strip():
            return Reply(USAGE_DONVI)
        unit = await asyncio.to_thread(unit_by_ref, ctx.app, rest)
        if unit is None:
            matches = await asyncio.to_thread(match_units, ctx.app, rest)
            if not matches:
                return Reply(f"Không tìm thấy đơn vị “{rest[:80]}”.")
            # Retiring is not undone by a typo: always confirm by choice unless given by id.
            return Reply("Ngừng đơn vị nào?", [Choice(u.name, f"/donvi ngung #{u.id}") for u, _ in matches])
        try:
            unit = await asyncio.to_thread(store.retire_unit, unit.id, ctx.msg.user_key)
        except StoreError as exc:
            return Reply(str(exc))
        ctx.app.schedule_changed()
        return Reply(f"Đã ngừng đơn vị {unit.name}. Đơn vị không còn hiện khi đăng ký và trong thống kê.")
    return Reply(USAGE_DONVI)
