-- 0011: runs of source 'proxy' (hooksim proxy: a real Stalwart's requests
-- passed to a hook), and each run's count of drift findings (requests
-- that differ from hooksim's model of Stalwart's), written when the run
-- finishes like the other summary columns, for `runs --drift`. The table
-- is rebuilt as in 0006 for the new CHECK; ids and the AUTOINCREMENT
-- sequence are kept. No earlier run has a drift finding.

CREATE TABLE runs_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_name TEXT    NOT NULL,
    session_file TEXT    NOT NULL DEFAULT '',
    session_hash TEXT    NOT NULL DEFAULT '',
    script       BLOB,
    source       TEXT    NOT NULL DEFAULT 'script'
                         CHECK (source = 'script' OR source = 'smtp' OR source = 'replay' OR source = 'proxy'),
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
    script_blobs TEXT    NOT NULL DEFAULT '',
    drift        INTEGER NOT NULL DEFAULT 0
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
