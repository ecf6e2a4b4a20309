-- 0010: queued messages kept and shown as a mail catcher does (hooksim
-- smtp), and relayed downstream (--relay).
--
-- The messages table is rebuilt with AUTOINCREMENT, as runs and exchanges
-- were in 0004 (the store runs migrations with foreign keys off and
-- checks them before it commits): a message's id names it in the
-- catcher's list and is the cursor the web view's tail of new messages
-- keeps, so it must never be reused after a prune of the newest runs.
-- Existing ids are kept.
--
-- New columns:
-- - ended: when the transaction ended (Unix nanoseconds, the recorder's
--   clock as the simulator reported it); NULL for rows written before.
-- - queued_head: the header block the server wrote in front of the final
--   message when it queued it (Received, Authentication-Results, ...):
--   the message as queued is queued_head then the final message. NULL
--   when the message was not queued, and for rows written before; empty
--   when the server added no header.
-- - relay: '' when the message was not relayed, else the JSON of the
--   relay's result {"to","ok","reply","at"} (store.Relay).
-- - relay_seq: set each time relay is written, from the counter 'relay'
--   of the counters table, which only grows (a prune deletes messages,
--   never the counter), so that a tail finds the relays written since it
--   last looked (messages_relayed, a partial index: rows never relayed
--   cost it nothing).

CREATE TABLE messages_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    queue_id        TEXT    NOT NULL DEFAULT '',
    delivered       INTEGER NOT NULL DEFAULT 0,
    reply           TEXT    NOT NULL DEFAULT '',
    original        BLOB,
    final           BLOB,
    envelope_before TEXT    NOT NULL DEFAULT 'null',
    envelope_after  TEXT    NOT NULL DEFAULT 'null',
    original_blob   INTEGER,
    final_blob      INTEGER,
    ended           INTEGER,
    queued_head     BLOB,
    relay           TEXT    NOT NULL DEFAULT '',
    relay_seq       INTEGER,
    UNIQUE (run_id, number)
);

INSERT INTO messages_new (id, run_id, number, queue_id, delivered, reply, original, final,
    envelope_before, envelope_after, original_blob, final_blob)
SELECT id, run_id, number, queue_id, delivered, reply, original, final,
    envelope_before, envelope_after, original_blob, final_blob
FROM messages ORDER BY id;

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

CREATE INDEX messages_relayed ON messages (relay_seq) WHERE relay_seq IS NOT NULL;

CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO counters (name, value) VALUES ('relay', 0);
