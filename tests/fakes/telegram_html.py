"""Telegram's HTML ``parse_mode`` parser, as the fake Bot API server applies it.

Modelled on TDLib's ``parse_html`` (what the real Bot API runs): only the supported
tags, attributes in single/double quotes, the four named entities plus numeric
entities, and error messages in Telegram's words (``Unsupported start tag "x" at
byte offset N``...).  Offsets of the resulting entities are in UTF-16 code units,
like the real API.

``strict=True`` (the default of the fake server) also refuses a bare ``&`` that is
not an entity and a bare ``>``, which Telegram tolerates: a bot that passes the
strict parser escapes every dynamic text, so a user who types ``a &lt; b`` sees
exactly that and not ``a < b``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")

# tag -> entity type
TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(exc)`` is Telegram's reason."""


@dataclass
class _Open:
    tag: str
    offset: int  # utf-16 offset in the output where the entity starts
    attrs: dict[str, str] = field(default_factory=dict)
    byte_pos: int = 0


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the entity at ``text[i] == '&'``; returns (char, length) or None."""
    m = _ENTITY.match(text, i)
    if not m:
        return None
    dec, hexa, name = m.groups()
    if name is not None:
        ch = NAMED_ENTITIES.get(name)
        return (ch, m.end() - i) if ch is not None else None
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end() - i


def _unescape_attr(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            dec = _decode_entity(value, i)
            if dec:
                out.append(dec[0])
                i += dec[1]
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


def _parse_attrs(text: str, i: int, tag: str, tag_pos: int) -> tuple[dict[str, str], int]:
    """Parse attributes from ``text[i:]`` up to the closing ``>``; returns (attrs, index after '>')."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_pos}")
        if text[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and (text[i].isalnum() or text[i] in "-_"):
            i += 1
        name = text[start:i].lower()
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {tag_pos}')
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] != "=":
            attrs[name] = ""  # value-less attribute ("expandable")
            continue
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_pos}")
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_pos}")
        quote = text[i]
        if quote in "\"'":
            end = text.find(quote, i + 1)
            if end < 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {tag_pos}")
            value = text[i + 1 : end]
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            value = text[start:i]
        attrs[name] = _unescape_attr(value)


def _make_entity(open_: _Open, length: int) -> dict | None:
    etype = TAGS[open_.tag]
    entity: dict = {"type": etype, "offset": open_.offset, "length": length}
    if open_.tag == "a":
        url = open_.attrs.get("href", "")
        if not url:
            return None  # Telegram drops a link without href
        if not re.match(r"^(https?|tg|mailto)://|^mailto:", url):
            raise HtmlParseError(f'Wrong URL "{url}" in a link')
        entity["url"] = url
    elif open_.tag == "pre" and open_.attrs.get("_language"):
        entity["language"] = open_.attrs["_language"]
    elif open_.tag == "blockquote" and "expandable" in open_.attrs:
        entity["type"] = "expandable_blockquote"
    elif open_.tag == "tg-emoji":
        entity["custom_emoji_id"] = open_.attrs.get("emoji-id", "")
    return entity


def parse_html(text: str, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into (plain text, entities); raises :class:`HtmlParseError`."""
    out: list[str] = []
    out_len16 = 0
    stack: list[_Open] = []
    entities: list[dict] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            dec = _decode_entity(text, i)
            if dec is not None:
                out.append(dec[0])
                out_len16 += utf16_len(dec[0])
                i += dec[1]
                continue
            if strict:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}: use &amp; (strict mode)'
                )
        if c == ">" and strict:
            raise HtmlParseError(
                f'Unescaped ">" at byte offset {_byte_offset(text, i)}: use &gt; (strict mode)'
            )
        if c != "<":
            out.append(c)
            out_len16 += utf16_len(c)
            i += 1
            continue
        tag_pos = _byte_offset(text, i)
        if i + 1 >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {tag_pos}")
        if text[i + 1] == "/":  # end tag
            end = text.find(">", i)
            if end < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {tag_pos}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {tag_pos}")
            top = stack.pop()
            if name != top.tag:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {tag_pos}, expected "</{top.tag}>", found "</{name}>"'
                )
            entity = _make_entity(top, out_len16 - top.offset)
            if entity is not None and entity["length"] > 0:
                entities.append(entity)
            i = end + 1
            continue
        j = i + 1
        while j < n and (text[j].isalnum() or text[j] == "-"):
            j += 1
        name = text[i + 1 : j].lower()
        if not name:
            raise HtmlParseError(f"Empty tag name at byte offset {tag_pos}")
        if name not in TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {tag_pos}')
        attrs, i = _parse_attrs(text, j, name, tag_pos)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        if name == "code" and stack and stack[-1].tag == "pre":
            lang = attrs.get("class", "")
            if lang.startswith("language-"):
                stack[-1].attrs["_language"] = lang[len("language-") :]
        stack.append(_Open(name, out_len16, attrs, tag_pos))
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim leading/trailing whitespace as Telegram does, shifting and clipping the entities."""
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    shift = utf16_len(text[:lead])
    total = utf16_len(stripped)
    kept: list[dict] = []
    for e in entities:
        start = max(0, e["offset"] - shift)
        end = min(total, e["offset"] + e["length"] - shift)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return stripped, kept
