-- 0009: a run's steps are stored as JSON arrays, one row per run and write
-- transaction (the recorder commits every 100 ms or so: a short session's
-- steps are one row), instead of a row per step. A recorded session is
-- about ten steps; each row cost an insert into the table and into its
-- (run_id, idx) index. A step is a JSON object: idx, kind, line, implied,
-- command, message, replies, action, txn, closed, failures, lints (those
-- empty, zero or false may be left out; a command or message that is not
-- printable ASCII, or not text, is moved as command_hex or message_hex,
-- the hex of its bytes, which JSON keeps exactly). failures counts the
-- failures of the row's steps, for the runs still running (read from their
-- rows).
--
-- The steps table stays, emptied of the rows moved: a hooksim from before
-- this version that still has the database open (a serve left running, a
-- run in progress during the upgrade) goes on writing and reading its
-- steps there, and Store.Steps reads both tables. Rows of runs that no
-- longer exist (deleted outside hooksim) are left where they are.
--
-- Also from this version on (no statement needed: it is a new value in an
-- existing column, which older builds must not read): an exchange's
-- request_headers or response_headers may be '' (never a JSON array),
-- meaning "the fields of request_head or response_head", stored so when
-- those fields are the list exactly (store/headfields.go).

CREATE TABLE step_lists (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_idx INTEGER NOT NULL,
    steps     TEXT    NOT NULL,
    failures  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, first_idx)
) WITHOUT ROWID;

INSERT INTO step_lists (run_id, first_idx, steps, failures)
SELECT run_id, min(idx),
       json_group_array(json_object(
           'idx', CAST(idx AS INTEGER), 'kind', CAST(kind AS TEXT), 'line', CAST(line AS INTEGER),
           'implied', json(CASE WHEN implied THEN 'true' ELSE 'false' END),
           'command', CASE WHEN NOT command_plain THEN NULL ELSE command END,
           'command_hex', CASE WHEN NOT command_plain THEN hex(command) END,
           'message', CASE WHEN NOT message_plain THEN NULL ELSE message END,
           'message_hex', CASE WHEN NOT message_plain THEN hex(message) END,
           'replies', json(replies_json),
           'action', CAST(action AS TEXT), 'txn', CAST(txn AS INTEGER),
           'closed', json(CASE WHEN closed THEN 'true' ELSE 'false' END),
           'failures', json(failures_json),
           'lints', json(lints_json)) ORDER BY idx),
       sum(json_array_length(failures_json))
FROM (
    SELECT run_id, idx, kind, line, implied, command, message, action, txn, closed,
           typeof(command) = 'text' AND instr(command, char(0)) = 0 AND NOT command GLOB '*[^ -~]*' AS command_plain,
           typeof(message) = 'text' AND instr(message, char(0)) = 0 AND NOT message GLOB '*[^ -~]*' AS message_plain,
           CASE WHEN json_valid(CAST(replies AS TEXT)) AND json_type(CAST(replies AS TEXT)) = 'array'
                THEN CAST(replies AS TEXT) ELSE '[]' END AS replies_json,
           CASE WHEN json_valid(CAST(failures AS TEXT)) AND json_type(CAST(failures AS TEXT)) = 'array'
                THEN CAST(failures AS TEXT) ELSE '[]' END AS failures_json,
           CASE WHEN json_valid(CAST(lints AS TEXT)) AND json_type(CAST(lints AS TEXT)) = 'array'
                THEN CAST(lints AS TEXT) ELSE '[]' END AS lints_json
    FROM steps WHERE run_id IN (SELECT id FROM runs)
)
GROUP BY run_id;

DELETE FROM steps WHERE run_id IN (SELECT id FROM runs);
