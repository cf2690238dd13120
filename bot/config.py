"""One typed Config, loaded once from YAML plus environment overrides, and passed down.

Every key is checked here, so a typo or a bad value stops start-up with a message that names
the key — the rest of the code trusts the values it is given.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .answer import AnswerSettings
from .chunking import ChunkingSettings
from .corpus import ReadingLimits
from .dialogue import ConversationSettings
from .errors import ConfigError
from .index import SearchSettings
from .logs import FORMATS, LEVEL_ENV, LoggingSettings, level_of
from .store import StoreSettings
from .text import AliasGroup

DEFAULT_CONFIG_FILE = Path("config.yaml")
TOKEN_ENV = "CITEBOT_TELEGRAM_TOKEN"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Webhook mode: Telegram posts updates to `url`, which reaches a server listening here."""

    url: str = ""  # the public https:// address; empty means long polling
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "telegram"
    secret_token: str = field(default="", repr=False)  # empty: a strong one is made at each start


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """Polling mode's server for GET /health and /metrics (webhook mode serves them on the webhook's)."""

    listen: str = "127.0.0.1"
    port: int = 0  # 0: none


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str = field(default="", repr=False)
    base_url: str = ""
    base_file_url: str = ""
    test_environment: bool = False
    admins: tuple[int, ...] = ()
    allowed_chats: tuple[int, ...] = ()
    max_upload_mb: int = 20
    flood_limits: bool = True
    concurrent_updates: int = 16
    typing_delay: float = 0.3  # seconds an answer may take before "typing…" is shown
    read_timeout: float = 20.0  # seconds to wait for the Bot API's answer to a request
    retry_for: float = 60.0  # seconds a reply is kept and sent again while the Bot API is unreachable
    # A local Bot API server (telegram.base_url) started with --local: files up to 2000 MB, passed by
    # path on its machine, and http:// webhook URLs.
    local_mode: bool = False
    webhook: WebhookSettings = WebhookSettings()
    metrics: MetricsSettings = MetricsSettings()


@dataclass(frozen=True, slots=True)
class Config:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    data: Path = Path("data")
    # The documents' language: "auto" detects each one's (bot.language); an ISO 639-1 code (en, de,
    # ru, zh, ja…) reads them all in that language.
    language: str = "auto"
    store: StoreSettings = StoreSettings()
    reading: ReadingLimits = ReadingLimits()
    chunking: ChunkingSettings = ChunkingSettings()
    search: SearchSettings = SearchSettings()
    answer: AnswerSettings = AnswerSettings()
    conversation: ConversationSettings = ConversationSettings()
    telegram: TelegramSettings = TelegramSettings()
    logging: LoggingSettings = LoggingSettings()


_CHECKS: dict[str, tuple[typing.Callable[[typing.Any], bool], str]] = {
    "language": (
        lambda v: v == "auto" or re.fullmatch(r"[a-z]{2,3}", v) is not None,
        "must be auto or a language code such as en, de, fr, ru, zh, ja",
    ),
    "reading.max_file_mb": (lambda v: 1 <= v <= 100_000, "must be between 1 and 100000"),
    "reading.max_text_chars": (lambda v: 1_000 <= v <= 2_000_000_000, "must be between 1000 and 2000000000"),
    "reading.max_seconds": (lambda v: 0 < v <= 86_400, "must be more than 0 and at most a day (86400)"),
    "chunking.target_chars": (lambda v: 100 <= v <= 20_000, "must be between 100 and 20000"),
    "chunking.max_chars": (lambda v: 100 <= v <= 50_000, "must be between 100 and 50000"),
    "chunking.overlap_sentences": (lambda v: 0 <= v <= 10, "must be between 0 and 10"),
    "search.k1": (lambda v: 0 <= v <= 10, "must be between 0 and 10"),
    "search.b": (lambda v: 0 <= v <= 1, "must be between 0 and 1"),
    "search.epsilon": (lambda v: 0 <= v <= 1, "must be between 0 and 1"),
    "answer.top_k": (lambda v: 1 <= v <= 50, "must be between 1 and 50"),
    "answer.threshold": (lambda v: 0 <= v <= 1, "must be between 0 and 1"),
    "conversation.turns": (lambda v: 1 <= v <= 50, "must be between 1 and 50"),
    "conversation.idle_minutes": (lambda v: 0 < v <= 525_600, "must be more than 0 and at most a year (525600)"),
    "store.keep_days": (lambda v: 1 <= v <= 3650, "must be between 1 and 3650"),
    "store.max_mb": (lambda v: 1 <= v <= 1_000_000, "must be between 1 and 1000000"),
    "store.lock_timeout": (lambda v: 0 <= v <= 600, "must be between 0 and 600 seconds"),
    "logging.format": (lambda v: v in FORMATS, f"must be one of {', '.join(FORMATS)}"),
    "logging.level": (lambda v: not v or _is_level(v), "must be one of debug, info, warning, error"),
    "telegram.base_url": (lambda v: not v or _is_http_url(v), "must be an http:// or https:// URL"),
    "telegram.base_file_url": (lambda v: not v or _is_http_url(v), "must be an http:// or https:// URL"),
    "telegram.max_upload_mb": (lambda v: 1 <= v <= 2000, "must be between 1 and 2000"),
    "telegram.concurrent_updates": (lambda v: 1 <= v <= 256, "must be between 1 and 256"),
    "telegram.typing_delay": (lambda v: 0 <= v <= 10, "must be between 0 and 10 seconds"),
    "telegram.read_timeout": (lambda v: 0.1 <= v <= 300, "must be between 0.1 and 300 seconds"),
    "telegram.retry_for": (lambda v: 0 <= v <= 3600, "must be between 0 and 3600 seconds"),
    "telegram.webhook.url": (lambda v: not v or _is_http_url(v), "must be an https:// URL (http:// with local_mode)"),
    "telegram.webhook.port": (lambda v: 1 <= v <= 65535, "must be between 1 and 65535"),
    "telegram.metrics.port": (lambda v: 0 <= v <= 65535, "must be between 1 and 65535, or 0 for none"),
    "telegram.webhook.secret_token": (
        lambda v: not v or re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v) is not None,
        "must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
    ),
}


def _is_level(value: str) -> bool:
    try:
        level_of(value)
    except ValueError:
        return False
    return True


def _is_http_url(value: str) -> bool:
    return re.match(r"https?://[^/\s]+", value) is not None


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    corpus: Path | None = None,
    index: Path | None = None,
    data: Path | None = None,
) -> Config:
    """Read YAML (or defaults when there is no file), apply overrides, fail naming the bad key.

    `path` None means ./config.yaml if it exists. Relative paths in a config file are relative to
    that file; `corpus`/`index`/`data` given here (command-line flags) are taken as they are.
    """
    env = {} if env is None else env
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    raw: object = {}
    base = Path.cwd()
    if path is not None:
        raw = _read_yaml(path)
        base = path.resolve().parent
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values")
    config = _build(Config, raw, "")
    config = dataclasses.replace(
        config,
        corpus=corpus if corpus is not None else base / config.corpus,
        index=index if index is not None else base / config.index,
        data=data if data is not None else base / config.data,
    )
    telegram = config.telegram
    if telegram.local_mode and not telegram.base_url:
        raise ConfigError("telegram.local_mode: needs telegram.base_url, the local Bot API server's address")
    if telegram.webhook.url.startswith("http://") and not telegram.local_mode:
        raise ConfigError(
            "telegram.webhook.url: must be an https:// URL (Telegram's rule); "
            "http:// only with a local Bot API server (telegram.local_mode: true)"
        )
    if config.chunking.max_chars < config.chunking.target_chars:
        raise ConfigError("chunking.max_chars: must be at least chunking.target_chars")
    level = env.get(LEVEL_ENV, "").strip()
    if level:
        if not _is_level(level):
            raise ConfigError(f"{LEVEL_ENV}: must be one of debug, info, warning, error (got {level!r})")
        config = dataclasses.replace(config, logging=dataclasses.replace(config.logging, level=level))
    token = env.get(TOKEN_ENV, "").strip()
    if token:
        config = dataclasses.replace(config, telegram=dataclasses.replace(config.telegram, token=token))
    return config


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(error, 'problem', error)}") from None
    return {} if loaded is None else loaded


def _build(cls: type, raw: Mapping[str, object], prefix: str) -> typing.Any:
    """A dataclass of type cls from a mapping, every key known and every value of its type."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, object] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"{name}: unknown key (known: {', '.join(sorted(names))})")
        values[key] = _convert(hints[key], value, name)
        check = _CHECKS.get(name)
        if check is not None and not check[0](values[key]):
            raise ConfigError(f"{name}: {check[1]} (got {value!r})")
    return cls(**values)


def _convert(hint: object, value: object, name: str) -> object:
    if dataclasses.is_dataclass(hint) and hint is not AliasGroup:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: must be a mapping of keys to values, got {_kind(value)}")
        return _build(hint, value, f"{name}.")
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name}: must be a folder path, got {_kind(value)}")
        return Path(value).expanduser()
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: must be true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: must be a whole number, got {_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name}: must be a number, got {_kind(value)}")
        return float(value)
    if hint is str:
        if value is None:
            return ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigError(f"{name}: must be text, got {_kind(value)}")
        return str(value)
    if typing.get_origin(hint) is tuple:
        item_hint = typing.get_args(hint)[0]
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ConfigError(f"{name}: must be a list, got {_kind(value)}")
        return tuple(_convert(item_hint, item, f"{name}[{i}]") for i, item in enumerate(value))
    if hint is AliasGroup:
        if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{name}: an alias group must be a list of two or more spellings, got {value!r}")
        return AliasGroup(tuple(v.strip() for v in value))
    raise TypeError(f"no conversion for {name}: {hint}")  # a bug in Config, not a user mistake


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"
