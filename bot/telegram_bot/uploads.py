"""An admin's document, sent to the bot, added to the corpus: downloaded within
telegram.max_upload_mb, read as a reindex would read it, moved into the corpus folder, and indexed.
Its texts are in bot/messages."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from html import escape
from pathlib import Path

import httpx
from telegram import Update
from telegram.ext import ContextTypes

from .. import corpus, messages
from ..errors import DocumentError, UserError
from .access import admin_only
from .admin import reindex
from .state import bot_state, show_typing, translator

DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's document is added to the corpus (after checking it reads) and indexed."""
    message = update.effective_message
    if not await admin_only(update, context, "a document upload"):
        return
    state = bot_state(context)
    settings = state.settings
    tr = translator(update)
    document = message.document
    try:
        name = corpus.safe_file_name(document.file_name or "")
    except DocumentError as error:
        await message.reply_text(escape(str(error)))
        return
    limit = settings.max_upload_mb * 1024 * 1024
    too_large = messages.too_large_html(settings.max_upload_mb, tr)
    if document.file_size is not None and document.file_size > limit:
        await message.reply_text(too_large)
        return
    await show_typing(context, message.chat.id)
    file = await document.get_file()
    if (file.file_size is not None and file.file_size > limit) or not file.file_path:
        await message.reply_text(too_large)  # no file_path: over what Telegram lets a bot download
        return
    state.config.data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=state.config.data) as folder:
        upload = Path(folder, name)
        try:
            if settings.local_mode:  # a path on this machine, where the local server keeps it
                complete = await asyncio.to_thread(_copy_local, Path(file.file_path), upload, limit)
            else:
                complete = await _download(file.file_path, upload, limit)
        except (httpx.HTTPError, OSError) as error:  # its text may hold the file URL, which holds the token
            await message.reply_text(messages.download_failed_html(name, type(error).__name__, tr))
            return
        if not complete:
            await message.reply_text(too_large)
            return
        problem = await asyncio.to_thread(_unreadable, upload, name, state.config.reading)
        if problem:
            await message.reply_text(messages.unreadable_html(name, problem, tr))
            return
        target = state.config.corpus / name
        replaced = target.exists()
        await asyncio.to_thread(shutil.move, upload, target)
    try:
        report = await reindex(state)
    except UserError as error:
        await message.reply_text(messages.saved_unindexed_html(name, str(error), tr))
        return
    index = state.engine.index
    passages = index.documents[index.document_position[name]].passage_count if name in index.document_position else 0
    await message.reply_text(messages.added_html(name, replaced, passages, report, tr))


async def _download(url: str, target: Path, limit: int) -> bool:
    """Fetch a file into `target`, counting its bytes as they come: False as soon as it is over
    `limit` (Telegram does not always say a file's size beforehand), and the rest is not read."""
    size = 0
    async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        with target.open("wb") as out:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    return False
                out.write(chunk)
    return True


def _copy_local(source: Path, target: Path, limit: int) -> bool:
    """A local Bot API server's file copied into `target`; False, copying nothing, when it is over `limit`."""
    if source.stat().st_size > limit:
        return False
    shutil.copyfile(source, target)
    return True


def _unreadable(path: Path, name: str, limits: corpus.ReadingLimits) -> str:
    """Why a file cannot be indexed, or "" when it reads as a document: read as a reindex would, within
    the reading limits (a large file or a PDF in a reader process of its own, stopped if it runs over)."""
    stat = path.stat()
    try:
        corpus.read_bounded(corpus.CorpusFile(name, path, stat.st_size, stat.st_mtime_ns), limits)
    except DocumentError as error:
        return str(error)
    return ""
