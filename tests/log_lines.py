"""Reading what citebot wrote to stderr: every line is a log line, `<time> <LEVEL> <logger>: <message>`."""

from __future__ import annotations

import re

LOG_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<rest>.*)"
)


def logged(err: str) -> str:
    """stderr's lines without their time and level (`citebot: …`), after checking each has them."""
    lines = []
    for line in err.splitlines():
        match = LOG_LINE.fullmatch(line)
        assert match is not None, f"not a log line: {line!r}"
        lines.append(match["rest"] + "\n")
    return "".join(lines)
