-- 0009: a run's steps are stored as JSON arrays, one row per run and write
-- transaction (the recorder commits every 100 ms or so: a short session's
-- steps are one row), instead of a row per step. A recorded session is
-- about ten steps; each row cost an insert into the table and into its
-- (run_id, idx) index. A step is a JSON object: idx, kind, line, implied,
-- command, message, replies, action, txn, closed, failures, lints (those
-- empty, zero or false may be left out; a command or message that is not
-- printable ASCII is moved as command_hex or message_hex, the hex of its
-- bytes, which JSON keeps exactly). failures counts the failures of
-- the row's steps, for the runs still running (read from their rows).

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
           'idx', idx, 'kind', kind, 'line', line,
           'implied', json(CASE WHEN implied THEN 'true' ELSE 'false' END),
           'command', CASE WHEN command GLOB '*[^ -~]*' THEN NULL ELSE command END,
           'command_hex', CASE WHEN command GLOB '*[^ -~]*' THEN hex(command) END,
           'message', CASE WHEN message GLOB '*[^ -~]*' THEN NULL ELSE message END,
           'message_hex', CASE WHEN message GLOB '*[^ -~]*' THEN hex(message) END,
           'replies', json(CASE WHEN json_valid(replies) THEN replies ELSE '[]' END),
           'action', action, 'txn', txn,
           'closed', json(CASE WHEN closed THEN 'true' ELSE 'false' END),
           'failures', json(CASE WHEN json_valid(failures) THEN failures ELSE '[]' END),
           'lints', json(CASE WHEN json_valid(lints) THEN lints ELSE '[]' END)) ORDER BY idx),
       sum(CASE WHEN json_valid(failures) THEN json_array_length(failures) ELSE 0 END)
FROM steps GROUP BY run_id;

DROP TABLE steps;
