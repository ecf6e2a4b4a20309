-- 0005: message bodies and scripts stored once, by content.
--
-- A blob is a byte string kept once whatever uses it, found by the
-- SHA-256 of its bytes: a message as received (messages.original_blob),
-- as the hooks left it (final_blob, the same blob when they changed
-- nothing) and the pieces of a run's script (runs.script_blobs, a JSON
-- array of blob ids whose bytes, concatenated, are the script; a script
-- archive's message files are pieces of their own, so that they share the
-- message's blob). Up to 1 MiB a blob's bytes are in blobs.data; a larger
-- blob's data is NULL and its bytes are in blob_chunks, 1 MiB a row in
-- idx order, so that writing or reading it never binds the whole body at
-- once. Prune deletes the blobs no row names any more.
--
-- A request body larger than 1 MiB (the data stage's, which embeds the
-- message JSON-escaped, so it shares no bytes with it) is a blob too, for
-- its chunks: exchanges.request_body is then empty and request_blob names
-- it; the bytes are verbatim either way. Response bodies stay in
-- exchanges.
--
-- Rows written before this migration keep their bytes where they were
-- (messages.original and final, runs.script) and are read from there;
-- new rows leave those columns NULL. The references carry no foreign key: SQLite would scan
-- messages for every blob deleted; the prune's sweep is the check.

CREATE TABLE blobs (
    id   INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    data BLOB
);

CREATE TABLE blob_chunks (
    blob_id INTEGER NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    idx     INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (blob_id, idx)
);

ALTER TABLE messages ADD COLUMN original_blob INTEGER;
ALTER TABLE messages ADD COLUMN final_blob    INTEGER;
ALTER TABLE runs     ADD COLUMN script_blobs  TEXT NOT NULL DEFAULT '';
ALTER TABLE exchanges ADD COLUMN request_blob INTEGER;
