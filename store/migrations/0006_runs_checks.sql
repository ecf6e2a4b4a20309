-- 0006: the runs table's CHECK constraints as chains of comparisons.
--
-- SQLite evaluates "x IN (a, b, c)" with three or more constants through
-- an ephemeral table (a B-tree with its own page cache) that every
-- INSERT or UPDATE of a run builds and frees again; with two such
-- checks that was most of what recording a run cost. "x = a OR x = b ..."
-- checks the same values with none. The table is rebuilt as in 0004
-- (the store runs migrations with foreign keys off and checks them
-- before it commits); ids and the AUTOINCREMENT sequence are kept, so
-- that a pruned run's id is still never reused.

CREATE TABLE runs_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_name TEXT    NOT NULL,
    session_file TEXT    NOT NULL DEFAULT '',
    session_hash TEXT    NOT NULL DEFAULT '',
    script       BLOB,
    source       TEXT    NOT NULL DEFAULT 'script'
                         CHECK (source = 'script' OR source = 'smtp' OR source = 'replay'),
    replay_of    INTEGER REFERENCES runs (id) ON DELETE SET NULL,
    replay_mode  TEXT    NOT NULL DEFAULT '',
    hooks        TEXT    NOT NULL DEFAULT '[]',
    started      INTEGER NOT NULL,
    ended        INTEGER,
    outcome      TEXT    NOT NULL DEFAULT 'running'
                         CHECK (outcome = 'running' OR outcome = 'passed' OR outcome = 'failed'
                                OR outcome = 'error' OR outcome = 'interrupted'),
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
    host         TEXT    NOT NULL DEFAULT '',
    script_blobs TEXT    NOT NULL DEFAULT ''
);

INSERT INTO runs_new (id, session_name, session_file, session_hash, script, source, replay_of, replay_mode,
    hooks, started, ended, outcome, failures, exchanges, error, stages, outcomes, errored,
    pid, pid_start, pid_ns, boot_id, host, script_blobs)
SELECT id, session_name, session_file, session_hash, script, source, replay_of, replay_mode,
    hooks, started, ended, outcome, failures, exchanges, error, stages, outcomes, errored,
    pid, pid_start, pid_ns, boot_id, host, script_blobs
FROM runs ORDER BY id;

-- The sequence may be past the largest id left (the newest runs pruned),
-- or name ids of runs all pruned since.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'runs_new', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs_new');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'runs'))
WHERE name = 'runs_new';

DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;

CREATE INDEX runs_session ON runs (session_name, id);
CREATE INDEX runs_source ON runs (source, id);
CREATE INDEX runs_started ON runs (started);
CREATE INDEX runs_replay_of ON runs (replay_of);
CREATE INDEX runs_running ON runs (id) WHERE outcome = 'running';
