"""Answer → what a person reads: console text, Telegram HTML, and the JSON answer schema."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from .answer import Answer, Result
from .index import DocumentInfo
from .text import sentence_spans

_WIDTH = 88
TELEGRAM_LIMIT = 4096  # characters in one message
EXCERPT_CHARS = 600  # of passage text around the answering sentence in a reply
_TITLE_CHARS = 200


def answer_json(answer: Answer) -> dict[str, Any]:
    """The documented answer schema (README, "JSON answers"); keys may be added, never removed."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": answer.confidence,
        "note": answer.note,
        "corrected": answer.corrected,
        "understood": answer.understood,
        "results": [
            {
                "doc": r.doc_id,
                "title": r.title,
                "passage": r.ordinal,
                "text": r.text,
                "highlight": r.highlight,
                "score": r.score,
                "also_in": list(r.also_in),
                "header": r.header,
                "url": r.url,
            }
            for r in answer.results
        ],
    }


def answer_from_json(data: Mapping[str, Any]) -> Answer:
    """The inverse of answer_json, for answers kept on disk."""
    return Answer(
        question=data["question"],
        answered=data["answered"],
        confidence=data["confidence"],
        note=data["note"],
        corrected=data.get("corrected", ""),
        understood=data.get("understood", ""),
        results=tuple(
            Result(
                doc_id=r["doc"],
                title=r["title"],
                ordinal=r["passage"],
                text=r["text"],
                highlight=r["highlight"],
                score=r["score"],
                also_in=tuple(r["also_in"]),
                header=r["header"],
                url=r["url"],
            )
            for r in data["results"]
        ),
    )


def console_text(answer: Answer, limit: int | None = None) -> str:
    """The answer for a terminal: the answering sentence, its passage, and where it comes from."""
    results = answer.results[:limit] if limit else answer.results
    if not results:
        return answer.note or "No passage in the documents matches that question."
    blocks: list[str] = []
    if answer.understood:
        blocks.append(_wrap(f"↪ {answer.understood}"))
    if answer.corrected:
        blocks.append(f"Showing results for “{answer.corrected}”.")
    if not answer.answered:
        blocks.append(answer.note)
    for rank, result in enumerate(results, start=1):
        blocks.append(_result_text(rank, result, lead=answer.answered and rank == 1))
    return "\n\n".join(blocks)


def _result_text(rank: int, result: Result, lead: bool) -> str:
    lines = []
    if lead:
        lines.append(_wrap(f"» {' '.join(result.highlight.split())}"))
        if result.header:
            lines.append(f"  (a row of the table: {result.header})")
        lines.append("")
    excerpt = result.text.replace(result.highlight, f"«{result.highlight}»", 1)
    if result.header and result.header not in result.text:
        excerpt = f"[{result.header}]\n…\n{excerpt}"
    lines.append(textwrap.indent(_wrap(excerpt), "  "))
    lines.append(f"  — {source_line(result)}  (#{rank}, score {result.score:.2f})")
    return "\n".join(lines)


def source_line(result: Result) -> str:
    """Where a passage comes from: document title, file, passage number, other versions."""
    line = f"{result.title} · {result.doc_id} · passage {result.ordinal + 1}"
    if result.url:
        line += f" · {result.url}"
    if result.also_in:
        line += f" · also in {', '.join(result.also_in)}"
    return line


def _wrap(text: str) -> str:
    return "\n".join(
        textwrap.fill(line, _WIDTH, break_on_hyphens=False) if line.strip() else "" for line in text.split("\n")
    )


# --- Telegram HTML ------------------------------------------------------------------------
# Every piece of document or user text goes through escape(); tags are only added here.


def reply_html(answer: Answer) -> str:
    """A reply to a question: the answering sentence in bold inside an excerpt, then its source.

    Unanswered, the engine's note and the closest passages, shorter. Always fits one message.
    """
    if not answer.results:
        return escape(answer.note or "No passage in the documents matches that question.")
    preface = f"↪ <i>{escape(cut(answer.understood, 300))}</i>\n\n" if answer.understood else ""
    if answer.corrected:
        preface += f"Showing results for <i>{escape(cut(answer.corrected, 300))}</i>\n\n"
    if answer.answered:
        return _fitted(lambda budget: preface + result_html(answer.results[0], budget))
    return _fitted(
        lambda budget: (
            preface
            + "\n\n".join(
                [f"<i>{escape(answer.note)}</i>"]
                + [f"{rank}. {result_html(r, budget // 2)}" for rank, r in enumerate(answer.results, start=1)]
            )
        )
    )


def more_html(answer: Answer, start: int) -> str:
    """The results after the first `start` ones, numbered as in the full list."""
    return _fitted(
        lambda budget: "\n\n".join(
            [f"More for <i>{escape(answer.question)}</i>:"]
            + [
                f"{rank}. {result_html(r, budget // 2)}"
                for rank, r in enumerate(answer.results[start:], start=start + 1)
            ]
        )
    )


def result_html(result: Result, budget: int = EXCERPT_CHARS) -> str:
    before, after = excerpt_around(result.text, result.highlight, budget)
    header = f"<i>{escape(result.header)}</i>\n" if result.header and result.header not in result.text else ""
    body = f"{escape(before)}<b>{escape(cut(result.highlight, budget))}</b>{escape(after)}"
    return f"{header}{body}\n— {source_html(result)}"


def source_html(result: Result) -> str:
    title = escape(cut(result.title, _TITLE_CHARS))
    if result.url:
        title = f'<a href="{escape(result.url, quote=True)}">{title}</a>'
    line = f"{title} · {escape(result.doc_id)} · passage {result.ordinal + 1}"
    if result.also_in:
        line += f" · also in {escape(', '.join(result.also_in))}"
    return line


def context_html(document: DocumentInfo, passages: Sequence[tuple[int, str]], current: int, highlight: str = "") -> str:
    """A passage in full with the end of the one before and the start of the one after."""

    def build(budget: int) -> str:
        blocks = [f"<b>{escape(document.title)}</b> · {escape(document.doc_id)}"]
        for ordinal, text in passages:
            label = f"<i>passage {ordinal + 1} of {document.passage_count}</i>"
            if ordinal < current:
                blocks.append(f"{label}\n{escape(_tail(text, budget // 6))}")
            elif ordinal > current:
                blocks.append(f"{label}\n{escape(cut(text, budget // 6))}")
            elif highlight:
                before, after = excerpt_around(text, highlight, budget)
                blocks.append(f"{label}\n{escape(before)}<b>{escape(cut(highlight, budget))}</b>{escape(after)}")
            else:
                blocks.append(f"{label}\n{escape(cut(text, budget))}")
        return "\n\n".join(blocks)

    return _fitted(build, TELEGRAM_LIMIT - 300)


def document_html(document: DocumentInfo, file_size: int | None) -> str:
    """What /sources and the Source button say about a document."""
    title = escape(cut(document.title, _TITLE_CHARS))
    if document.url:
        title = f'<a href="{escape(document.url, quote=True)}">{title}</a>'
    lines = [f"<b>{title}</b>", f"file: {escape(document.doc_id)}"]
    if file_size is not None:
        lines.append(f"size: {_size(file_size)}")
    lines.append(f"passages: {document.passage_count}")
    lines.extend(
        f"{escape(key)}: {escape(cut(value, 300))}" for key, value in document.metadata if key not in ("title", "url")
    )
    return _fitted(lambda budget: "\n".join(lines[: budget // 10]))


def excerpt_around(text: str, highlight: str, budget: int) -> tuple[str, str]:
    """The text before and after `highlight` in `text`, cut at sentence boundaries so that the
    whole excerpt stays near `budget` characters; a cut is marked with an ellipsis."""
    at = text.find(highlight)
    if at < 0 or not highlight:
        return "", ""
    end = at + len(highlight)
    spans = sentence_spans(text)
    left = [s for s in spans if s[1] <= at]
    right = [s for s in spans if s[0] >= end]
    start, stop = at, end
    room = budget - len(highlight)
    while room > 0 and (left or right):
        took = False
        for side in (right, left):
            if not side:
                continue
            span = side[0] if side is right else side[-1]
            size = span[1] - span[0] + 1
            if size > room:
                side.clear()
                continue
            room -= size
            took = True
            if side is right:
                stop = side.pop(0)[1]
            else:
                start = side.pop()[0]
        if not took:
            break
    before = text[start:at] if start == 0 else "… " + text[start:at]
    after = text[end:stop] if stop >= len(text.rstrip()) else text[end:stop] + " …"
    return before, after


def _fitted(build: Callable[[int], str], budget: int = EXCERPT_CHARS) -> str:
    """build(budget), with the budget halved until the message fits Telegram's limit."""
    while True:
        html = build(budget)
        if len(html) <= TELEGRAM_LIMIT or budget < 50:
            return html if len(html) <= TELEGRAM_LIMIT else escape("The answer is too long to show here.")
        budget //= 2


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return "… " + text[-limit:].split(" ", 1)[-1]


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
