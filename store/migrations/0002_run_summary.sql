-- 0002: a summary of each run's exchanges on the run itself, so that the
-- stage/action/error filters need no index on exchanges (an index there
-- costs every recorded exchange two more inserts). Written when the run
-- finishes: ",connect,data," and ",accept,reject," with leading and
-- trailing commas.

ALTER TABLE runs ADD COLUMN stages   TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN outcomes TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN errored  INTEGER NOT NULL DEFAULT 0;

UPDATE runs SET
    stages = coalesce((SELECT ',' || group_concat(DISTINCT stage) || ',' FROM exchanges WHERE run_id = runs.id), ''),
    outcomes = coalesce((SELECT ',' || group_concat(DISTINCT outcome) || ',' FROM exchanges WHERE run_id = runs.id), ''),
    errored = EXISTS (SELECT 1 FROM exchanges WHERE run_id = runs.id AND error_class <> '')
WHERE ended IS NOT NULL;

DROP INDEX exchanges_stage;
DROP INDEX exchanges_outcome;
DROP INDEX exchanges_errors;
