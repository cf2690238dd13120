"""The Telegram front end: python-telegram-bot handlers over the engine, the store and render.

Questions come as private messages, as mentions of the bot or replies to its answers in groups,
as /ask, and as inline queries. Answers carry buttons whose callback data names a stored reply by
an unguessable id, and which act only in the chat the answer was sent to; they keep working after a
restart, and after a reindex they check that the passage they point at still exists. An answer is
sent first and kept after: a store that cannot be written costs its buttons, never the answer. Slow
work (answering, reindexing, reading an upload, pruning the store) runs in a worker thread so the
bot keeps serving other chats meanwhile.

One module per behaviour, the wiring in one place (what the bot says lives in bot/messages and
bot/render):

- `wiring`: the Application built, every handler added in one block, and `run` (polling or webhook)
- `state`: what the handlers share (engine, store, metrics, replies in flight) and their small helpers
- `life_cycle`: start (index, examples, command menus), stop, pruning the store now and then
- `access`: which updates are served at all, and which users are admins
- `asking`: a question in a message, a group mention or /ask → the answer sent and kept
- `buttons`: the buttons' callback data, and what each shows: More, Context, Source, 👍/👎
- `inline`: inline mode
- `commands`: /start, /help, /sources, /reset, an unknown command
- `admin`: /reindex, /stats, /feedback, and the reindex they share with uploads
- `uploads`: an admin's document added to the corpus
- `failures`: a handler's error logged, and the user told briefly
"""
