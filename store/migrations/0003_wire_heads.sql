-- 0003: each exchange's HTTP heads as they were on the wire, so that
-- `show --raw` prints them instead of rebuilding them from the parsed
-- headers. request_head is the request line and header lines as written
-- (credentials hidden), response_head the final response's head as
-- received; both NULL for exchanges recorded before this migration, empty
-- when nothing was sent or received. body_read says how much of the
-- response body was read (complete, not-read, cut, broken; '' when there
-- was no response, or before this migration); redirects lists the
-- redirects followed as [{"status":307,"method":"POST","url":"..."}].

ALTER TABLE exchanges ADD COLUMN request_head  BLOB;
ALTER TABLE exchanges ADD COLUMN response_head BLOB;
ALTER TABLE exchanges ADD COLUMN body_read     TEXT NOT NULL DEFAULT '';
ALTER TABLE exchanges ADD COLUMN redirects     TEXT NOT NULL DEFAULT '[]';
