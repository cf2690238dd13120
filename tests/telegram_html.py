"""Telegram's HTML parse mode as the Bot API reads it, for checking what the bot sends.

The rules (Bot API, "Formatting options"): only its own tags; every "<", ">" and "&" that is not
markup written as an entity (the named ones &lt; &gt; &amp; &quot;, or a numeric one); every tag
closed, in order; and entities nest only so: bold, italic, underline, strikethrough and spoiler
may contain and be part of any other entity except pre and code, and no other entity contains
another — the one exception being <code class="language-…"> directly inside <pre>.
"""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(
    r"<(/?)([A-Za-z][\w-]*)((?:\s+[\w-]+=\"[^\"<>]*\")*)\s*>"  # a tag, its attributes double-quoted
    r"|&(?:lt|gt|amp|quot|#\d+|#x[0-9A-Fa-f]+);"  # an entity Telegram knows
    r"|[<>&]"  # anything else that would need to be one
)
_STYLE = frozenset("b strong i em u ins s strike del tg-spoiler span".split())  # may hold any but pre/code
_MONOSPACE = frozenset(("pre", "code"))
_TAGS = _STYLE | _MONOSPACE | {"a", "blockquote", "tg-emoji"}


class TelegramHtmlError(ValueError):
    """Text that Telegram would refuse with "Bad Request: can't parse entities"."""


def check_telegram_html(text: str) -> str:
    """The text a person would read, or TelegramHtmlError saying what Telegram would refuse."""
    open_tags: list[str] = []
    plain: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        plain.append(text[position : match.start()])
        position = match.end()
        token = match[0]
        if token in "<>&":
            around = text[max(0, match.start() - 30) : match.end() + 30]
            raise TelegramHtmlError(f"unescaped {token!r} at {match.start()}: {around!r}")
        if token.startswith("&"):
            plain.append(html.unescape(token))
            continue
        closing, tag = bool(match[1]), match[2].lower()
        if tag not in _TAGS:
            raise TelegramHtmlError(f"unsupported tag <{tag}> at {match.start()}")
        if closing:
            if not open_tags or open_tags[-1] != tag:
                opened = open_tags[-1] if open_tags else "nothing"
                raise TelegramHtmlError(f"</{tag}> at {match.start()} closes {opened}")
            open_tags.pop()
            continue
        _check_nesting(tag, open_tags, match.start())
        open_tags.append(tag)
    if open_tags:
        raise TelegramHtmlError(f"unclosed <{open_tags[-1]}>")
    plain.append(text[position:])
    return "".join(plain)


def _check_nesting(tag: str, open_tags: list[str], at: int) -> None:
    if not open_tags or (open_tags[-1] == "pre" and tag == "code"):
        return
    if tag in _MONOSPACE or open_tags[-1] in _MONOSPACE:
        raise TelegramHtmlError(f"<{tag}> inside <{'><'.join(open_tags)}> at {at}")
    if tag not in _STYLE and any(open_tag not in _STYLE for open_tag in open_tags):
        raise TelegramHtmlError(f"<{tag}> inside <{'><'.join(open_tags)}> at {at}")
