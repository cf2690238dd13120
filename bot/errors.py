"""Errors a user can cause: the CLI and the bot turn each into one clear line, never a traceback."""


class UserError(Exception):
    """A mistake in the user's input, files or settings, with a message that says how to fix it."""


class ConfigError(UserError):
    """A config file or environment value that is missing, unknown or out of range."""


class CorpusError(UserError):
    """A corpus folder that cannot be used at all (missing, not a folder, no documents)."""


class DocumentError(UserError):
    """One document that cannot be read; it is skipped and the rest is indexed."""


class IndexFileError(UserError):
    """A saved index that is missing, corrupt or of another version; it gets rebuilt."""


class QuestionFileError(UserError):
    """An evaluation question file that is not in the expected format."""


class AliasFileError(UserError):
    """A corpus's aliases.yaml that is not a list of alias groups."""


class StoreError(UserError):
    """The bot's data file cannot be used as it is: locked by another process, read-only, on a full
    disk, or written by a newer citebot. It is left untouched."""
