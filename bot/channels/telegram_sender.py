"""The outbox's Telegram sender: Bot API calls for one :class:`~bot.messages.Reply`, errors translated.

python-telegram-bot raises its own error classes; the outbox understands only
:mod:`bot.outbox`'s.  The mapping:

============================  ========================================
``telegram.error.RetryAfter``  :class:`bot.outbox.RetryAfter` (429)
``Forbidden``                  :class:`RecipientBlocked` (403: blocked, deactivated...)
``BadRequest`` chat not found  :class:`RecipientBlocked`
other ``BadRequest``           :class:`PermanentSendError` (retrying cannot help)
``TimedOut``/``NetworkError``  :class:`TransientSendError` (retried with backoff)
============================  ========================================

A reply that needs several calls (a text over 4,096 characters, files) remembers how
far it got, so the outbox's retry after a 429 or a network error resumes with the
part that failed instead of sending the earlier parts twice.  The adapter itself
cuts replies into one-call pieces (:func:`~bot.channels.telegram_render.split_reply`)
so each is paced by the outbox; this is the safety net for messages sent by the core.

No pacing here: the outbox is the one place that paces a channel (evenly, never more
than the channel's rate in any sliding window); this sender makes its calls at once.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.error import RetryAfter as TgRetryAfter

from bot.channels.telegram_render import CallbackTokens, Part, plan_reply
from bot.messages import Reply
from bot.outbox import (
    PermanentSendError,
    RecipientBlocked,
    RetryAfter,
    SendError,
    TransientSendError,
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated", "bot was kicked")


def retry_seconds(exc: TgRetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns about the int→timedelta transition
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def translate_error(exc: TelegramError) -> SendError:
    """Map a python-telegram-bot error to the outbox's vocabulary.

    Order matters: ``BadRequest`` and ``TimedOut`` are both ``NetworkError`` subclasses.
    """
    if isinstance(exc, TgRetryAfter):
        return RetryAfter(retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return RecipientBlocked(str(exc))
    if isinstance(exc, BadRequest):
        if any(marker in str(exc).lower() for marker in _GONE):
            return RecipientBlocked(str(exc))
        return PermanentSendError(str(exc))
    if isinstance(exc, InvalidToken):
        return PermanentSendError("invalid bot token")
    if isinstance(exc, NetworkError):  # includes TimedOut
        return TransientSendError(str(exc) or type(exc).__name__, undelivered=_proves_undelivered(exc))
    return PermanentSendError(f"{type(exc).__name__}: {exc}")


def _proves_undelivered(exc: NetworkError) -> bool:
    """The server answered with an error status (5xx) or the connection was refused: nothing sent.

    A timeout or a connection cut mid-way may have delivered the message (python-telegram-bot
    prefixes transport errors with ``httpx.``; an HTTP answer carries the server's description).
    """
    if isinstance(exc, TimedOut):
        return False
    text = str(exc)
    if text.startswith("httpx."):
        return text.startswith("httpx.ConnectError")
    return not text.startswith("Unknown error in HTTP implementation")


def inline_markup(rows: list[list[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


class TelegramSender:
    """``ChannelSender`` for the outbox: one Bot API call per rendered part."""

    channel = CHANNEL

    def __init__(
        self, bot: Bot, tokens: CallbackTokens, rate: int = 30, progress_capacity: int = 2_000
    ) -> None:
        # ``rate`` is accepted for compatibility and not used: the outbox alone paces the channel
        # (evenly, see bot/outbox.py); the channel's limit is the RateLimit registered with it.
        del rate
        self.bot = bot
        self.tokens = tokens
        # (chat id, id(reply)) -> (reply, index of the first part not yet sent); one Reply object
        # may go to many chats (a broadcast), so the chat is part of the key
        self._progress: OrderedDict[tuple[str, int], tuple[Reply, int]] = OrderedDict()
        self._capacity = progress_capacity
        self.calls = 0  # Bot API calls made (figures for benches)

    async def send(self, chat_id: str, reply: Reply) -> None:
        parts = plan_reply(reply, self.tokens)
        key = (str(chat_id), id(reply))
        held = self._progress.get(key)
        start = held[1] if held is not None and held[0] is reply else 0
        for index in range(start, len(parts)):
            try:
                await self._call(chat_id, parts[index])
            except TelegramError as exc:
                if index > 0:
                    self._remember(key, reply, index)
                err = translate_error(exc)
                err.partial = index > 0  # an earlier part of this reply was delivered
                raise err from exc
        self._progress.pop(key, None)

    def _remember(self, key: tuple[str, int], reply: Reply, index: int) -> None:
        self._progress[key] = (reply, index)  # holding the reply keeps its id unique
        self._progress.move_to_end(key)
        while len(self._progress) > self._capacity:
            self._progress.popitem(last=False)

    async def _call(self, chat_id: str, part: Part) -> None:
        self.calls += 1
        markup = inline_markup(part.keyboard)
        if part.file is not None:
            await self.bot.send_document(
                chat_id=chat_id,
                document=InputFile(part.file.data, filename=part.file.filename),
                caption=part.html or None,
                parse_mode=ParseMode.HTML if part.html else None,
                reply_markup=markup,
            )
            return
        await self.bot.send_message(
            chat_id=chat_id,
            text=part.html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=None,
        )
