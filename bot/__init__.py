"""Directive Assistant (Trợ lý văn bản chỉ đạo).

``bot`` holds the channel-agnostic core (messages, conversation, storage, sending path)
and, under ``bot.channels``, one thin adapter per transport.  Only ``bot.channels.telegram``
imports python-telegram-bot; only ``bot.channels.zalo`` speaks the Zalo Bot API.
"""

__version__ = "0.1.0"
