"""The conversation core: routing, per-user ordering, choices answered in text, cancel, persistence."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.config import Settings
from bot.context import Context
from bot.conversation import ERROR_TEXT, Dispatcher, begin
from bot.messages import Choice, Reply
from bot.router import Router
from tests.conftest import ADMIN
from tests.fakes.chat import ChatDriver


def test_build_app_exposes_the_composition_root(app: Any) -> None:
    for name in ("settings", "engine", "pack", "qa", "outbox", "dispatcher", "store"):
        assert getattr(app, name) is not None
    assert app.now().utcoffset().total_seconds() == 7 * 3600
    assert app.now().strftime("%d/%m/%Y %H:%M") == "15/06/2025 09:00"
    assert "console" in app.outbox.channels
    assert len(app.store.list_units()) == len(app.pack.units)


async def test_start_and_help(chat: ChatDriver) -> None:
    text = await chat.say("lan", "/start")
    assert "5500/UBND-NC" in text and "/dangky" in text and "/baocao" in text
    assert await chat.say("lan", "/start@TroLyBot") == text
    help_user = await chat.say("lan", "tro giup")
    assert "/baocao" in help_user and "/huy" in help_user
    assert "/duyet" not in help_user and "Lệnh quản trị" not in help_user
    help_admin = await chat.say(ADMIN, "/trogiup")
    assert "Lệnh quản trị" in help_admin and "/duyet" in help_admin and "/thongbao" in help_admin


async def test_unknown_and_admin_commands(chat: ChatDriver) -> None:
    assert "Không có lệnh /xyz" in await chat.say("lan", "/xyz abc")
    assert "chỉ dành cho quản trị viên" in await chat.say("lan", "/tonghop 2024")
    assert "chỉ dành cho quản trị viên" in await chat.say("lan", "/duyet")


async def test_cancel_words_end_any_flow(chat: ChatDriver, app: Any) -> None:
    assert "Không có thao tác" in await chat.say("lan", "/huy")
    for word in ("/huy", "hủy", "huỷ", "HUY", "hủy bỏ"):
        await chat.say("lan", "/dangky")
        assert app.store.get_state("console:lan").flow == "register"
        assert "Đã hủy" in await chat.say("lan", word)
        state = app.store.get_state("console:lan")
        assert state is None or state.flow == ""


async def test_free_text_goes_to_qa_with_unit_and_follow_up(chat: ChatDriver, app: Any) -> None:
    store = app.store
    user = store.touch_user("console", "lan", "lan")
    m = store.request_membership(user.id, store.unit_by_name("Sở Y tế").id)
    store.decide_membership(m.id, True, "console:admin")
    text = await chat.say("lan", "Đơn vị mình dùng kinh phí nào?")
    assert "1790" in text and "Nguồn" in text
    text = await chat.say("lan", "còn UBND huyện Ba Tơ thì sao?")
    assert "1395" in text
    logged = store.questions()
    assert [q.question for q in logged] == ["còn UBND huyện Ba Tơ thì sao?", "Đơn vị mình dùng kinh phí nào?"]
    assert logged[1].unit_name == "Sở Y tế" and logged[1].answered
    await chat.say("lan", "Giá vàng hôm nay bao nhiêu?")
    declined = store.questions(declined_only=True)
    assert [q.question for q in declined] == ["Giá vàng hôm nay bao nhiêu?"]
    assert declined[0].confidence < 0.5


async def test_a_suggestion_pressed_is_asked(chat: ChatDriver, app: Any) -> None:
    await chat.say("lan", "Giá vàng hôm nay bao nhiêu?")
    offered = chat.choices("lan")
    assert offered, "a declined question comes with suggested questions as choices"
    label, value = offered[0]
    replies = await chat.send("lan", choice=value)
    assert replies and app.store.questions()[0].question == label
    # The same suggestion answered by its number.
    await chat.say("lan", "Giá vàng hôm nay bao nhiêu?")
    await chat.say("lan", "2")
    assert app.store.questions()[0].question == offered[1][0]


async def test_stale_choice_and_attachment_outside_a_flow(chat: ChatDriver) -> None:
    assert "hết hạn" in await chat.say("lan", choice="u:1")
    from bot.messages import Attachment

    text = await chat.say("lan", attachments=[Attachment("a.pdf", b"x")])
    assert "/baocao" in text


async def test_very_long_message_does_not_crash(chat: ChatDriver) -> None:
    text = await chat.say("lan", "kinh phí " * 5000)
    assert "quá dài" in text


# ----------------------------------------------------------- a test router
def make_dispatcher(app: Any, log: list[str]) -> Dispatcher:
    r = Router("test")

    @r.command("cham", description="slow")
    async def slow(ctx: Context) -> str:
        log.append(f"start {ctx.msg.user_key} {ctx.args}")
        await asyncio.sleep(0.2)
        log.append(f"end {ctx.msg.user_key} {ctx.args}")
        return "xong"

    @r.command("nhanh", description="fast")
    async def fast(ctx: Context) -> str:
        log.append(f"fast {ctx.msg.user_key}")
        return "nhanh"

    @r.command("chon", description="offer choices")
    async def offer(ctx: Context) -> Reply:
        begin(ctx, "pick", "pick")
        if ctx.args == "free":
            ctx.expects_free_text = True
        return Reply(
            "Chọn:", [Choice("Đồng ý", "yes"), Choice("Không đồng ý", "no"), Choice("Khác", "other")]
        )

    @r.flow("pick")
    async def picked(ctx: Context) -> str:
        ctx.state = None
        return f"choice={ctx.msg.choice} text={ctx.msg.text}"

    @r.command("loi", description="fails")
    async def boom(ctx: Context) -> str:
        begin(ctx, "pick", "never-saved")
        raise RuntimeError("boom")

    return Dispatcher(app, [r])


async def test_messages_of_one_user_run_in_order_others_concurrently(app: Any) -> None:
    log: list[str] = []
    d = make_dispatcher(app, log)
    chat = ChatDriver(app)
    m = chat.message
    await asyncio.gather(d.handle(m("a", "/cham 1")), d.handle(m("a", "/nhanh")), d.handle(m("b", "/nhanh")))
    # a's second message waited for the first; b did not wait for a.
    assert log.index("end console:a 1") < log.index("fast console:a")
    assert log.index("fast console:b") < log.index("end console:a 1")
    assert d._locks._locks == {}  # no lock left behind


async def test_choices_answered_by_number_or_label(app: Any) -> None:
    d = make_dispatcher(app, [])
    chat = ChatDriver(app)
    m = chat.message
    await d.handle(m("a", "/chon"))
    assert (await d.handle(m("a", "2")))[0].text == "choice=no text=None"
    await d.handle(m("a", "/chon"))
    assert (await d.handle(m("a", "dong y")))[0].text == "choice=yes text=None"
    await d.handle(m("a", "/chon"))
    assert (await d.handle(m("a", "  KHÔNG ĐỒNG Ý ")))[0].text == "choice=no text=None"
    await d.handle(m("a", "/chon"))
    assert (await d.handle(m("a", "4")))[0].text == "choice=None text=4"  # out of range: plain text
    await d.handle(m("a", "/chon"))
    assert (await d.handle(m("a", "²")))[0].text == "choice=None text=²"  # isdigit() but not a number
    # A free-text step: a number is an answer, a label still works.
    await d.handle(m("a", "/chon free"))
    assert (await d.handle(m("a", "2")))[0].text == "choice=None text=2"
    await d.handle(m("a", "/chon free"))
    assert (await d.handle(m("a", "khac")))[0].text == "choice=other text=None"


async def test_handler_error_replies_politely_and_keeps_state(app: Any) -> None:
    d = make_dispatcher(app, [])
    chat = ChatDriver(app)
    replies = await d.handle(chat.message("a", "/loi"))
    assert [r.text for r in replies] == [ERROR_TEXT]
    assert app.store.get_state("console:a") is None


async def test_dialog_state_survives_a_restart(
    app: Any, settings: Settings, clock: Any, pack: Any, qa_engine: Any
) -> None:
    from bot.app import build_app

    chat = ChatDriver(app)
    await chat.say("lan", "/dangky")
    await chat.say("lan", "Sở Tài chính")
    assert chat.choices("lan")[0] == ("Sở Tài chính", chat.choice_value("lan", "Tài chính"))
    app.close()
    again = build_app(settings, clock=clock, pack=pack, qa=qa_engine)
    try:
        chat2 = ChatDriver(again)
        text = await chat2.say("lan", "1")  # the number answers the choices offered before the restart
        assert "Đã gửi yêu cầu tham gia Sở Tài chính" in text
    finally:
        again.close()


async def test_choices_of_a_notification_can_be_answered_by_number(chat: ChatDriver, app: Any) -> None:
    await chat.say(ADMIN, "/start")
    await chat.say("lan", "/dangky Sở Y tế")
    await chat.say("lan", "1")
    [note] = app.console.take(ADMIN)
    assert [c.label for c in note.choices] == ["Duyệt", "Từ chối"]
    # On Zalo the admin sees numbered lines and types "1".
    assert (await chat.say(ADMIN, "1")).startswith("Đã duyệt yêu cầu")
    assert app.store.approved_unit(app.store.get_user("console:lan").id).name == "Sở Y tế"


async def test_recipient_who_blocked_the_bot_is_marked_inactive(chat: ChatDriver, app: Any) -> None:
    from bot.messages import Outgoing
    from bot.outbox import RecipientBlocked

    class BlockingSender:
        channel = "zalo"

        async def send(self, chat_id: str, reply: Reply) -> None:
            raise RecipientBlocked("403 user blocked the bot")

    app.outbox.register(BlockingSender())
    await chat.say("u1", "/start", channel="zalo")
    assert app.store.get_user("zalo:u1").active
    result = await app.outbox.send(Outgoing("zalo", "u1", Reply("x"), "zalo:u1"))
    assert result.status == "blocked"
    assert app.store.get_user("zalo:u1").active is False
    assert await app.notify("zalo:u1", "again") is False  # skipped: never sent to a blocked user
