"""The files in deploy/: the systemd unit passes `systemd-analyze verify` (where it exists) and the
reverse-proxy examples pass on exactly what the webhook server takes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.webhook import MAX_BODY

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
WEBHOOK = yaml.safe_load((ROOT / "config.example.yaml").read_text(encoding="utf-8"))["telegram"]["webhook"]


def unit() -> dict[str, list[str]]:
    """The unit's settings: key → its values, in order (a key may be given more than once)."""
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "citebot.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified with ExecStart pointing at this checkout's citebot (verify wants the program to exist)."""
    text = (DEPLOY / "citebot.service").read_text(encoding="utf-8")
    installed = tmp_path / "citebot.service"
    installed.write_text(text.replace("/opt/citebot/.venv/bin/citebot", str(Path(sys.executable).parent / "citebot")))
    verified = subprocess.run(["systemd-analyze", "verify", str(installed)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (verified.stdout + verified.stderr).splitlines() if "citebot.service" in line]
    assert verified.returncode == 0 and complaints == [], verified.stdout + verified.stderr


def test_the_unit_runs_citebot_as_its_own_user_with_its_state_kept_and_the_token_out_of_sight() -> None:
    settings = unit()
    assert settings["User"] == ["citebot"] and settings["Group"] == ["citebot"]
    assert settings["ExecStart"][0].endswith("citebot run --config /etc/citebot/config.yaml")
    assert "TOKEN" not in settings["ExecStart"][0]
    assert settings["EnvironmentFile"] == ["/etc/citebot/citebot.env"]
    assert set(settings["StateDirectory"][0].split()) >= {"citebot/index", "citebot/data"}
    assert settings["Restart"] == ["on-failure"] and settings["RestartPreventExitStatus"] == ["2"]
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictSUIDSGID"):
        assert settings[hardening] == ["yes"]
    assert settings["ProtectSystem"] == ["strict"]
    assert "MemoryDenyWriteExecute" not in settings  # numba compiles in memory


@pytest.mark.parametrize("example", ["Caddyfile", "nginx-citebot.conf"])
def test_the_proxy_passes_the_webhook_path_alone_with_bodies_the_server_takes(example: str) -> None:
    text = (DEPLOY / example).read_text(encoding="utf-8")
    assert f"/{WEBHOOK['path']}" in text
    assert f"{WEBHOOK['listen']}:{WEBHOOK['port']}" in text
    limit = re.search(r"(?:max_size|client_max_body_size) (\d+)([mM])B?", text)
    assert limit is not None and int(limit[1]) * 1024 * 1024 <= MAX_BODY
    assert "404" in text  # anything else, /health and /metrics included, is not passed on
