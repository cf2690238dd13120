"""Tests for bot.config: real YAML files in tmp_path, loaded the way the CLI loads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import AnswerSettings
from bot.config import TOKEN_ENV, Config, load_config
from bot.errors import ConfigError, UserError
from bot.text import AliasGroup

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"
TOKEN = "123456:AAE-secret-token-value"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- where the config comes from -------------------------------------------------------------


def test_no_file_gives_defaults_with_paths_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {})
    assert config.corpus.resolve() == (tmp_path / "corpus").resolve()
    assert config.index.resolve() == (tmp_path / "index").resolve()
    assert config.answer == AnswerSettings()
    assert config.search.aliases == ()
    assert config.telegram.token == ""
    assert config.chunking.max_chars >= config.chunking.target_chars


def test_config_yaml_in_the_working_folder_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "config.yaml", "corpus: docs\nanswer:\n  top_k: 7\n  threshold: 0.5\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {})
    assert config.answer.top_k == 7
    assert config.answer.threshold == 0.5
    assert config.corpus.resolve() == (tmp_path / "docs").resolve()


def test_relative_paths_in_a_file_are_relative_to_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "deploy" / "settings.yaml", "corpus: docs\nindex: ../cache/idx\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path, {})
    assert config.corpus.resolve() == (tmp_path / "deploy" / "docs").resolve()
    assert config.index.resolve() == (tmp_path / "cache" / "idx").resolve()


def test_absolute_paths_in_a_file_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "somewhere" / "docs"
    path = write(tmp_path / "conf" / "c.yaml", f"corpus: {target}\n")
    assert load_config(path, {}).corpus == target


def test_corpus_and_index_arguments_override_the_file_as_given(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "corpus: docs\nindex: idx\n")
    config = load_config(path, {}, corpus=Path("other/docs"), index=tmp_path / "fast-index")
    assert config.corpus == Path("other/docs")
    assert config.index == tmp_path / "fast-index"


def test_an_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "# nothing set\n")
    config = load_config(path, {})
    assert config.answer == AnswerSettings()
    assert config.corpus.resolve() == (tmp_path / "corpus").resolve()


def test_an_empty_section_gives_its_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "search:\nanswer:\n")
    config = load_config(path, {})
    assert config.search == Config().search
    assert config.answer == AnswerSettings()


def test_example_config_loads_and_leaves_the_shipped_alias_groups_to_the_corpus() -> None:
    config = load_config(EXAMPLE, {})
    assert config.search.aliases == ()  # they are in corpus/aliases.yaml, so no config needs them
    assert config.corpus == EXAMPLE.parent / "corpus"
    assert config.index == EXAMPLE.parent / "index"
    assert config.telegram.token == ""


def test_example_configs_commented_alias_groups_load_once_uncommented(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "  aliases: []\n  #  - [" in text
    uncommented = text.replace("  aliases: []\n", "  aliases:\n").replace("\n  #  - [", "\n    - [")
    config = load_config(write(tmp_path / "config.yaml", uncommented), {})
    aliases = config.search.aliases
    assert len(aliases) >= 2
    assert all(isinstance(group, AliasGroup) and len(group.spellings) >= 2 for group in aliases)


def test_values_of_every_section_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        "chunking:\n  target_chars: 300\n  max_chars: 600\n  overlap_sentences: 0\n"
        "search:\n  k1: 1.2\n  b: 0.5\n  aliases:\n    - [Shusha, Şuşa]\n"
        "telegram:\n  base_url: http://127.0.0.1:8081/bot\n  test_environment: true\n"
        "  admins: [42]\n  allowed_chats: [-100123, 7]\n",
    )
    config = load_config(path, {})
    assert (config.chunking.target_chars, config.chunking.max_chars, config.chunking.overlap_sentences) == (300, 600, 0)
    assert (config.search.k1, config.search.b) == (1.2, 0.5)
    assert config.search.aliases == (AliasGroup(("Shusha", "Şuşa")),)
    assert config.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert config.telegram.test_environment is True
    assert config.telegram.admins == (42,)
    assert config.telegram.allowed_chats == (-100123, 7)


def test_whole_number_is_accepted_for_a_float_setting(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "c.yaml", "search:\n  k1: 2\n"), {})
    assert config.search.k1 == 2.0
    assert isinstance(config.search.k1, float)


# --- the token -------------------------------------------------------------------------------


def test_environment_token_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", 'telegram:\n  token: "from-file"\n')
    assert load_config(path, {TOKEN_ENV: TOKEN}).telegram.token == TOKEN
    assert load_config(path, {}).telegram.token == "from-file"


def test_blank_environment_token_keeps_the_file_token(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", 'telegram:\n  token: "from-file"\n')
    assert load_config(path, {TOKEN_ENV: "   "}).telegram.token == "from-file"


def test_environment_token_is_stripped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None, {TOKEN_ENV: f"  {TOKEN}\n"}).telegram.token == TOKEN


def test_only_the_given_mapping_is_read_not_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    assert load_config(None, {}).telegram.token == ""


@pytest.mark.parametrize("source", ["env", "file"])
def test_token_is_not_in_the_repr(tmp_path: Path, source: str) -> None:
    if source == "file":
        config = load_config(write(tmp_path / "c.yaml", f'telegram:\n  token: "{TOKEN}"\n'), {})
    else:
        config = load_config(write(tmp_path / "c.yaml", ""), {TOKEN_ENV: TOKEN})
    assert config.telegram.token == TOKEN
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in repr(config.telegram)
    assert "secret" not in repr(config)


# --- errors: each names the key and is a ConfigError ----------------------------------------

BAD_CONFIGS = {
    "unknown top-level key": ("corpos: docs\n", "corpos"),
    "unknown nested key": ("search:\n  kk: 3\n", "search.kk"),
    "text for a number": ("search:\n  k1: abc\n", "search.k1"),
    "fraction for a whole number": ("answer:\n  top_k: 2.5\n", "answer.top_k"),
    "text for a boolean": ('telegram:\n  test_environment: "yes"\n', "telegram.test_environment"),
    "number for a boolean": ("telegram:\n  test_environment: 1\n", "telegram.test_environment"),
    "boolean for a number": ("answer:\n  threshold: true\n", "answer.threshold"),
    "b above 1": ("search:\n  b: 2\n", "search.b"),
    "negative threshold": ("answer:\n  threshold: -1\n", "answer.threshold"),
    "top_k zero": ("answer:\n  top_k: 0\n", "answer.top_k"),
    "nan k1": ("search:\n  k1: .nan\n", "search.k1"),
    "target_chars too small": ("chunking:\n  target_chars: 10\n", "chunking.target_chars"),
    "section not a mapping": ("search: 3\n", "search"),
    "section a list": ("answer: [1, 2]\n", "answer"),
    "single-spelling alias group": ("search:\n  aliases: [[Turkey]]\n", "search.aliases"),
    "flat alias list": ("search:\n  aliases: [Turkey, Türkiye]\n", "search.aliases"),
    "aliases not a list": ("search:\n  aliases: Turkey\n", "search.aliases"),
    "blank alias spelling": ('search:\n  aliases: [[Turkey, "  "]]\n', "search.aliases"),
    "max_chars below target_chars": ("chunking:\n  target_chars: 600\n  max_chars: 500\n", "chunking.max_chars"),
    "admin not a number": ("telegram:\n  admins: [alice]\n", "telegram.admins"),
    "corpus not a path": ("corpus: [a, b]\n", "corpus"),
    "corpus empty": ('corpus: ""\n', "corpus"),
    "token a list": ("telegram:\n  token: [a]\n", "telegram.token"),
    "no memory at all": ("conversation:\n  turns: 0\n", "conversation.turns"),
    "idle time zero": ("conversation:\n  idle_minutes: 0\n", "conversation.idle_minutes"),
    "idle time as text": ("conversation:\n  idle_minutes: half an hour\n", "conversation.idle_minutes"),
}


@pytest.mark.parametrize("text, key", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_bad_value_is_a_config_error_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert key in str(caught.value)


def test_unknown_key_error_lists_the_known_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "c.yaml", "search:\n  kk: 3\n"), {})
    assert "k1" in str(caught.value) and "aliases" in str(caught.value)


def test_out_of_range_error_shows_the_value_and_the_range(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "c.yaml", "search:\n  b: 2\n"), {})
    message = str(caught.value)
    assert "between 0 and 1" in message
    assert "2" in message.split("search.b", 1)[1]


def test_invalid_yaml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", "search:\n  k1: 1\n b: [\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert "broken.yaml" in str(caught.value)
    assert "line 3" in str(caught.value)


def test_tab_indentation_is_invalid_yaml_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "tabs.yaml", "corpus: docs\nsearch:\n\tk1: 1\n")
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path, {})


@pytest.mark.parametrize("text", ["- corpus: docs\n- index: idx\n", "just some words\n"], ids=["list", "scalar"])
def test_top_level_not_a_mapping_names_the_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(path) in str(caught.value)
    assert "mapping" in str(caught.value)


def test_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(path) in str(caught.value)
    assert "not found" in str(caught.value)


def test_a_folder_given_as_the_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})
    assert str(tmp_path) in str(caught.value)


def test_a_file_not_in_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("corpus: café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(path) in str(caught.value)


def test_python_tags_are_refused_not_executed(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "corpus: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path, {})


def test_config_error_is_a_user_error() -> None:
    assert issubclass(ConfigError, UserError)


# --- data folder, Telegram server, uploads and webhook ----------------------------------------

SECRET = "webhook_SECRET-value_42"


def test_data_folder_is_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "deploy" / "c.yaml", "data: state/bot\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_config(path, {}).data.resolve() == (tmp_path / "deploy" / "state" / "bot").resolve()


def test_data_folder_defaults_beside_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path / "deploy" / "c.yaml", "")
    assert load_config(path, {}).data.resolve() == (tmp_path / "deploy" / "data").resolve()


def test_data_argument_overrides_the_file_as_given(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "data: state\n")
    assert load_config(path, {}, data=Path("other/state")).data == Path("other/state")


def test_telegram_and_webhook_values_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        "telegram:\n"
        "  base_url: https://api.example.org/bot\n"
        "  base_file_url: http://127.0.0.1:8081/file/bot\n"
        "  max_upload_mb: 2000\n"
        "  flood_limits: false\n"
        "  concurrent_updates: 1\n"
        "  webhook:\n"
        "    url: https://bot.example.org/hook\n"
        "    listen: 0.0.0.0\n"
        "    port: 65535\n"
        "    path: hook\n"
        f"    secret_token: {SECRET}\n",
    )
    telegram = load_config(path, {}).telegram
    assert telegram.base_url == "https://api.example.org/bot"
    assert telegram.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert (telegram.max_upload_mb, telegram.flood_limits, telegram.concurrent_updates) == (2000, False, 1)
    webhook = telegram.webhook
    assert (webhook.url, webhook.listen, webhook.port, webhook.path) == (
        "https://bot.example.org/hook",
        "0.0.0.0",
        65535,
        "hook",
    )
    assert webhook.secret_token == SECRET


def test_telegram_defaults_are_long_polling_with_the_public_server(tmp_path: Path) -> None:
    telegram = load_config(write(tmp_path / "c.yaml", ""), {}).telegram
    assert telegram.webhook.url == ""
    assert telegram.base_url == "" and telegram.base_file_url == ""
    assert 1 <= telegram.max_upload_mb <= 2000
    assert 1 <= telegram.concurrent_updates <= 256
    assert telegram.webhook.secret_token == ""


@pytest.mark.parametrize("port, upload, updates", [(1, 1, 1), (65535, 2000, 256)])
def test_range_edges_are_accepted(tmp_path: Path, port: int, upload: int, updates: int) -> None:
    path = write(
        tmp_path / "c.yaml",
        f"telegram:\n  max_upload_mb: {upload}\n  concurrent_updates: {updates}\n  webhook:\n    port: {port}\n",
    )
    telegram = load_config(path, {}).telegram
    assert (telegram.webhook.port, telegram.max_upload_mb, telegram.concurrent_updates) == (port, upload, updates)


def test_secret_token_and_token_are_not_in_the_repr(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", f'telegram:\n  token: "{TOKEN}"\n  webhook:\n    secret_token: {SECRET}\n')
    config = load_config(path, {})
    assert config.telegram.webhook.secret_token == SECRET
    for shown in (repr(config), str(config), repr(config.telegram), repr(config.telegram.webhook)):
        assert SECRET not in shown
        assert TOKEN not in shown


BAD_TELEGRAM_CONFIGS = {
    "base_url without a scheme": ("telegram:\n  base_url: 127.0.0.1:8081/bot\n", "telegram.base_url"),
    "base_url ftp": ("telegram:\n  base_url: ftp://example.org/bot\n", "telegram.base_url"),
    "base_url without a host": ('telegram:\n  base_url: "http://"\n', "telegram.base_url"),
    "base_file_url without a scheme": ("telegram:\n  base_file_url: example.org/file\n", "telegram.base_file_url"),
    "base_file_url javascript": ('telegram:\n  base_file_url: "javascript:alert(1)"\n', "telegram.base_file_url"),
    "max_upload_mb zero": ("telegram:\n  max_upload_mb: 0\n", "telegram.max_upload_mb"),
    "max_upload_mb above 2000": ("telegram:\n  max_upload_mb: 2001\n", "telegram.max_upload_mb"),
    "max_upload_mb a fraction": ("telegram:\n  max_upload_mb: 1.5\n", "telegram.max_upload_mb"),
    "concurrent_updates zero": ("telegram:\n  concurrent_updates: 0\n", "telegram.concurrent_updates"),
    "concurrent_updates above 256": ("telegram:\n  concurrent_updates: 257\n", "telegram.concurrent_updates"),
    "webhook url http": ("telegram:\n  webhook:\n    url: http://bot.example.org/hook\n", "telegram.webhook.url"),
    "webhook url no scheme": ("telegram:\n  webhook:\n    url: bot.example.org/hook\n", "telegram.webhook.url"),
    "webhook port zero": ("telegram:\n  webhook:\n    port: 0\n", "telegram.webhook.port"),
    "webhook port too high": ("telegram:\n  webhook:\n    port: 65536\n", "telegram.webhook.port"),
    "webhook port text": ('telegram:\n  webhook:\n    port: "8443"\n', "telegram.webhook.port"),
    "secret with a space": ('telegram:\n  webhook:\n    secret_token: "two words"\n', "telegram.webhook.secret_token"),
    "secret with a slash": ("telegram:\n  webhook:\n    secret_token: a/b\n", "telegram.webhook.secret_token"),
    "secret non-ascii": ("telegram:\n  webhook:\n    secret_token: sécret\n", "telegram.webhook.secret_token"),
    "secret too long": (f"telegram:\n  webhook:\n    secret_token: {'a' * 257}\n", "telegram.webhook.secret_token"),
    "webhook not a mapping": ("telegram:\n  webhook: https://bot.example.org\n", "telegram.webhook"),
    "unknown webhook key": ("telegram:\n  webhook:\n    secret: x\n", "telegram.webhook.secret"),
    "data not a path": ("data: [a]\n", "data"),
}


@pytest.mark.parametrize("text, key", BAD_TELEGRAM_CONFIGS.values(), ids=BAD_TELEGRAM_CONFIGS.keys())
def test_bad_telegram_value_is_a_config_error_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert f"{key}:" in str(caught.value)


def test_bad_secret_error_says_which_characters_are_allowed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="A-Z, a-z, 0-9, _ and -"):
        load_config(write(tmp_path / "c.yaml", 'telegram:\n  webhook:\n    secret_token: "a b"\n'), {})


def test_a_secret_of_256_allowed_characters_is_accepted(tmp_path: Path) -> None:
    secret = ("Az09_-" * 43)[:256]
    path = write(tmp_path / "c.yaml", f"telegram:\n  webhook:\n    secret_token: {secret}\n")
    assert load_config(path, {}).telegram.webhook.secret_token == secret


@pytest.mark.parametrize("url", ["https://", "https:// bot.example.org/hook"])
def test_webhook_url_without_a_host_is_a_config_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="telegram.webhook.url"):
        load_config(write(tmp_path / "c.yaml", f'telegram:\n  webhook:\n    url: "{url}"\n'), {})
