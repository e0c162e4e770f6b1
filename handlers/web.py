"""``/web``: a single-use login link to the standing office's pages, sent to the asker only."""

from __future__ import annotations

import asyncio

from bot.context import Context
from bot.messages import Reply
from bot.router import Router

router = Router("web")


@router.command("web", description="Liên kết đăng nhập trang web của Thường trực Ban Chỉ đạo", menu=False)
async def web_link(ctx: Context) -> Reply:
    from bot.web.auth import NotAllowed, issue_link

    app = ctx.app
    try:
        url = await asyncio.to_thread(issue_link, app.engine, app.settings, app.clock, ctx.msg.user_key)
    except NotAllowed as exc:
        return Reply(str(exc))
    await asyncio.to_thread(
        app.store.audit, ctx.msg.user_key, "web.link", {"user": ctx.msg.user_key, "via": "chat"}
    )
    return Reply(
        "Liên kết đăng nhập trang web (dùng một lần, hết hạn sau 15 phút; đừng chuyển cho người khác):\n"
        + url
    )
