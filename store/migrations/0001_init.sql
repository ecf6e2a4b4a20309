-- 0001: runs, their steps, exchanges and messages.
-- Times are Unix nanoseconds (UTC); durations nanoseconds. JSON columns
-- hold compact JSON written by the store package.

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    session_name TEXT    NOT NULL,
    session_file TEXT    NOT NULL DEFAULT '',
    session_hash TEXT    NOT NULL DEFAULT '',
    script       BLOB,
    source       TEXT    NOT NULL DEFAULT 'script'
                         CHECK (source IN ('script', 'smtp', 'replay')),
    replay_of    INTEGER REFERENCES runs (id) ON DELETE SET NULL,
    replay_mode  TEXT    NOT NULL DEFAULT '',
    hooks        TEXT    NOT NULL DEFAULT '[]',
    started      INTEGER NOT NULL,
    ended        INTEGER,
    outcome      TEXT    NOT NULL DEFAULT 'running'
                         CHECK (outcome IN ('running', 'passed', 'failed', 'error')),
    failures     INTEGER NOT NULL DEFAULT 0,
    exchanges    INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX runs_session ON runs (session_name, id);
CREATE INDEX runs_source ON runs (source, id);
CREATE INDEX runs_started ON runs (started);
CREATE INDEX runs_replay_of ON runs (replay_of);

CREATE TABLE steps (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    line        INTEGER NOT NULL DEFAULT 0,
    implied     INTEGER NOT NULL DEFAULT 0,
    command     TEXT    NOT NULL DEFAULT '',
    message     TEXT    NOT NULL DEFAULT '',
    replies     TEXT    NOT NULL DEFAULT '[]',
    action      TEXT    NOT NULL DEFAULT '',
    txn         INTEGER NOT NULL DEFAULT 0,
    closed      INTEGER NOT NULL DEFAULT 0,
    failures    TEXT    NOT NULL DEFAULT '[]',
    lints       TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (run_id, idx)
);

CREATE TABLE exchanges (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    step_idx         INTEGER NOT NULL,
    txn              INTEGER NOT NULL DEFAULT 0,
    stage            TEXT    NOT NULL,
    hook_id          TEXT    NOT NULL DEFAULT '',
    url              TEXT    NOT NULL DEFAULT '',
    started          INTEGER NOT NULL,
    duration         INTEGER NOT NULL DEFAULT 0,
    request_headers  TEXT    NOT NULL DEFAULT '[]',
    request_body     BLOB    NOT NULL,
    status           INTEGER NOT NULL DEFAULT 0,
    response_headers TEXT    NOT NULL DEFAULT '[]',
    response_body    BLOB    NOT NULL,
    error_class      TEXT    NOT NULL DEFAULT '',
    error_text       TEXT    NOT NULL DEFAULT '',
    effect           TEXT    NOT NULL DEFAULT '',
    outcome          TEXT    NOT NULL DEFAULT '',
    reply            TEXT    NOT NULL DEFAULT '',
    lints            TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (run_id, seq)
);

CREATE INDEX exchanges_stage ON exchanges (stage, run_id);
CREATE INDEX exchanges_outcome ON exchanges (outcome, run_id);
CREATE INDEX exchanges_errors ON exchanges (run_id) WHERE error_class <> '';

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    queue_id        TEXT    NOT NULL DEFAULT '',
    delivered       INTEGER NOT NULL DEFAULT 0,
    reply           TEXT    NOT NULL DEFAULT '',
    original        BLOB,
    final           BLOB,
    envelope_before TEXT    NOT NULL DEFAULT 'null',
    envelope_after  TEXT    NOT NULL DEFAULT 'null',
    UNIQUE (run_id, number)
);
