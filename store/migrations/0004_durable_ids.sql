-- 0004: run ids and exchange row ids are never reused, a run left
-- running by a dead process can be told from a live one, and such a run
-- can be marked interrupted.
--
-- Both tables are rebuilt with AUTOINCREMENT (SQLite's documented
-- twelve-step table change; the store runs migrations with foreign keys
-- off and checks them before it commits): without it SQLite numbers a new
-- row max(id)+1, so after a prune of the newest runs "run #3" named
-- another run, and the web view's tail of exchanges by row id missed rows.
-- Existing ids are kept.
--
-- A run names the process recording it: pid, pid_start (field 22 of
-- /proc/PID/stat, clock ticks after boot, so that a reused pid is not
-- taken for the recorder), pid_ns (the /proc/self/ns/pid link), boot_id
-- (/proc/sys/kernel/random/boot_id) and host (the host name). All are 0 or
-- '' for runs recorded before this migration and where /proc is missing.
-- The partial index finds the runs still marked running at once.

CREATE TABLE runs_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
                         CHECK (outcome IN ('running', 'passed', 'failed', 'error', 'interrupted')),
    failures     INTEGER NOT NULL DEFAULT 0,
    exchanges    INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    stages       TEXT    NOT NULL DEFAULT '',
    outcomes     TEXT    NOT NULL DEFAULT '',
    errored      INTEGER NOT NULL DEFAULT 0,
    pid          INTEGER NOT NULL DEFAULT 0,
    pid_start    INTEGER NOT NULL DEFAULT 0,
    pid_ns       TEXT    NOT NULL DEFAULT '',
    boot_id      TEXT    NOT NULL DEFAULT '',
    host         TEXT    NOT NULL DEFAULT ''
);

INSERT INTO runs_new (id, session_name, session_file, session_hash, script, source, replay_of, replay_mode,
    hooks, started, ended, outcome, failures, exchanges, error, stages, outcomes, errored)
SELECT id, session_name, session_file, session_hash, script, source, replay_of, replay_mode,
    hooks, started, ended, outcome, failures, exchanges, error, stages, outcomes, errored
FROM runs ORDER BY id;

DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;

CREATE INDEX runs_session ON runs (session_name, id);
CREATE INDEX runs_source ON runs (source, id);
CREATE INDEX runs_started ON runs (started);
CREATE INDEX runs_replay_of ON runs (replay_of);
CREATE INDEX runs_running ON runs (id) WHERE outcome = 'running';

CREATE TABLE exchanges_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
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
    request_head     BLOB,
    response_head    BLOB,
    body_read        TEXT    NOT NULL DEFAULT '',
    redirects        TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (run_id, seq)
);

INSERT INTO exchanges_new SELECT id, run_id, seq, step_idx, txn, stage, hook_id, url, started, duration,
    request_headers, request_body, status, response_headers, response_body, error_class, error_text, effect,
    outcome, reply, lints, request_head, response_head, body_read, redirects
FROM exchanges ORDER BY id;

DROP TABLE exchanges;
ALTER TABLE exchanges_new RENAME TO exchanges;
