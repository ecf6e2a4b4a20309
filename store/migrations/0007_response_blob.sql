-- 0007: a response body larger than the blob chunk size (a hook that
-- answers replaceContents with a big message) is a blob too, in chunks,
-- as request bodies are since 0005: exchanges.response_body is then empty
-- and response_blob names the blob. The bytes are verbatim either way;
-- rows written before keep their body in response_body.

ALTER TABLE exchanges ADD COLUMN response_blob INTEGER;
