"""The README's samples are what citebot says on the shipped corpus: the console sample, /start's
numbers and example questions, the source lines of the recorded conversation and the JSON answer.
When an improvement changes an answer, the failure shows the text to put in the README."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot import render
from bot.config import load_config
from bot.engine import Engine
from bot.examples import example_questions

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped corpus with the example config, as `make run` answers from it."""
    config = load_config(ROOT / "config.example.yaml", {}, index=tmp_path_factory.mktemp("index"))
    return Engine(config, notify=lambda message: None)


def blocks(language: str = "") -> list[str]:
    """The README's fenced blocks in `language` ("" for those without one), outermost fences only."""
    found, current, opened = [], [], None
    for line in README.split("\n"):
        if opened is None and line.startswith("```"):
            opened, current = line[3:].strip(), []
        elif opened is not None and line == "```":
            if opened == language:
                found.append("\n".join(current) + "\n")
            opened = None
        elif opened is not None:
            current.append(line)
    return found


def test_the_console_sample_is_what_the_chat_prints(engine: Engine) -> None:
    sample = next(block for block in blocks() if block.startswith("you> "))
    asked, shown = sample.split("\n", 1)
    printed = render.console_reply(engine.ask(asked.removeprefix("you> ")))
    assert shown.rstrip("\n") == printed, f"README's sample should be:\n{asked}\n{printed}"


def test_start_says_what_the_bot_says(engine: Engine) -> None:
    index = engine.index
    start = re.search(r"you: /start\n(.*?)\n\n", README, re.DOTALL)[1]
    assert f"from {len(index.documents)} documents ({len(index)} passages)" in " ".join(start.split())
    listed = re.findall(r"• (.+)", start)
    examples = example_questions(index, engine.ask)
    assert listed == examples, "README's /start examples should be:\n" + "\n".join(f"• {q}" for q in examples)


@pytest.mark.parametrize(
    "question", ["When was the Shusha Declaration signed?", "What's the weather in Baku tomorrow?"]
)
def test_the_recorded_conversation_cites_what_the_bot_cites(engine: Engine, question: str) -> None:
    reply = README.split(f"you: {question}\n", 1)[1].split("\n\n", 1)[0]
    cited = re.search(r"— .* · (\S+) · passage (\d+)", reply)
    first = engine.ask(question).results[0]
    assert (cited[1], int(cited[2])) == (first.doc_id, first.ordinal + 1), render.source_line(first)


def test_the_json_sample_is_the_answer_json_gives(engine: Engine) -> None:
    sample = json.loads(next(block for block in blocks("json") if '"question"' in block))
    actual = render.answer_json(engine.ask(sample["question"]))
    shown, first = sample["results"][0], actual["results"][0]
    assert shown["text"].removesuffix(" ...") in first["text"]
    sample["results"], actual["results"] = [{**shown, "text": ""}], [{**first, "text": ""}]
    assert sample == actual, json.dumps(actual | {"results": [first]}, ensure_ascii=False, indent=2)
