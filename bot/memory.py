"""Each chat's recent turns, so a follow-up can be read against them.

Kept in this process (the console, `ask --jsonl`), and with a store (the Telegram bot) also in
its SQLite file, where they survive a restart. A chat's memory lapses after
conversation.idle_minutes of silence and can be cleared at will (/reset, :reset); chats never
see each other's. When the store cannot be written (a full disk, another process's lock), memory
carries on in this process: a follow-up is still understood, only a restart forgets it
(`Store.tolerant` tells the log, once for the whole bot).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict

from .dialogue import ConversationSettings, Turn
from .store import Store

CHATS_IN_PROCESS = 10_000  # the least recently active beyond this are dropped (re-read from the store, if any)


class Conversations:
    def __init__(self, settings: ConversationSettings, store: Store | None = None) -> None:
        self._settings = settings
        self._store = store
        self._chats: OrderedDict[str, tuple[Turn, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def recall(self, chat: str, now: float) -> tuple[Turn, ...]:
        """The chat's turns, oldest first; none if it has been idle too long."""
        with self._lock:
            turns = self._chats.get(chat)
            if turns is None:
                turns = self._stored(chat)
                self._keep(chat, turns)
        if turns and now - turns[-1].asked > self._settings.idle_minutes * 60:
            return ()
        return turns

    def remember(self, chat: str, turn: Turn) -> None:
        turns = (*self.recall(chat, turn.asked), turn)[-self._settings.turns :]
        with self._lock:
            self._keep(chat, turns)
            if self._store is not None:
                self._store.tolerant.write(self._store.keep_turns, chat, [asdict(t) for t in turns], turn.asked)

    def forget(self, chat: str) -> None:
        with self._lock:
            self._keep(chat, ())
            if self._store is not None:
                self._store.tolerant.write(self._store.forget_turns, chat)

    def _stored(self, chat: str) -> tuple[Turn, ...]:
        if self._store is None:
            return ()
        try:
            return tuple(
                Turn(**(fields | {"section": tuple(fields.get("section", ()))}))
                for fields in self._store.tolerant.read(self._store.turns, chat, fallback=[])
            )
        except (TypeError, ValueError):  # kept by a version whose turns had other fields: start afresh
            return ()

    def _keep(self, chat: str, turns: tuple[Turn, ...]) -> None:
        self._chats[chat] = turns
        self._chats.move_to_end(chat)
        if len(self._chats) > CHATS_IN_PROCESS:
            self._chats.popitem(last=False)
