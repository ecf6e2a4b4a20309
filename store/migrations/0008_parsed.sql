-- 0008: what Stalwart made of each answer is stored beside its bytes:
-- exchanges.parsed is the answer as parsed (JSON: {"action", "response",
-- "modifications"}, the report vocabulary's Parsed), NULL when the call or
-- the parse failed. Readers no longer parse response bodies again; rows
-- written before keep NULL and are parsed when read.

ALTER TABLE exchanges ADD COLUMN parsed TEXT;
