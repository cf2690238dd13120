"""Answer → what a person reads: console text, and the JSON form of the answer schema."""

from __future__ import annotations

import textwrap
from typing import Any

from .answer import Answer, Result

_WIDTH = 88


def answer_json(answer: Answer) -> dict[str, Any]:
    """The documented answer schema (README, "JSON answers"); keys may be added, never removed."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": answer.confidence,
        "note": answer.note,
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


def console_text(answer: Answer, limit: int | None = None) -> str:
    """The answer for a terminal: the answering sentence, its passage, and where it comes from."""
    results = answer.results[:limit] if limit else answer.results
    if not results:
        return answer.note or "No passage in the documents matches that question."
    blocks: list[str] = []
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
