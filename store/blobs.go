package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ChunkSize is the most bytes of a blob one row holds (migration 0005):
// a blob up to this size is one row of blobs, a larger one is split into
// rows of blob_chunks this size, so that storing a 30 MiB message binds
// (and SQLite copies, as go-sqlite3 binds with SQLITE_TRANSIENT) 256 KiB
// at a time, never the whole body. go-sqlite3 does not expose SQLite's
// incremental blob I/O (sqlite3_blob_open), which would avoid even that.
// Chunks of 1 MiB (before this size) left about 5 MB more in glibc's
// arenas at the peak of a recorded 30 MiB message (bench/rss.sh); blobs
// written with either size read the same (chunks are read in order and
// checked against the blob's size).
const ChunkSize = 256 << 10

const (
	findBlob    = `SELECT id FROM blobs WHERE hash = ?`
	insertBlob  = `INSERT INTO blobs (hash, size, data) VALUES (?, ?, ?)`
	insertChunk = `INSERT INTO blob_chunks (blob_id, idx, data) VALUES (?, ?, ?)`
)

// blobKey names a byte slice by where it lives: a body handed to the
// store several times in one transaction (a script played in many runs,
// a final message the hooks left unchanged) is hashed once. The pointer
// keeps the slice's memory alive while the key is held, so it cannot name
// another slice meanwhile.
type blobKey struct {
	p *byte
	n int
}

// putBlob stores b once by content and returns its blob id: the id of
// the blob with the same SHA-256 when there is one, else a new blob (in
// chunks when larger than ChunkSize). b must not change afterwards while
// the transaction lasts.
func (t *Tx) putBlob(ctx context.Context, d *driverConn, b []byte) (int64, error) {
	var key blobKey
	if len(b) > 0 {
		key = blobKey{p: &b[0], n: len(b)}
		if id, ok := t.blobBySlice[key]; ok {
			return id, nil
		}
	}
	sum := sha256.Sum256(b)
	id, ok := t.blobByHash[sum]
	if !ok {
		id, ok = t.s.blobs.lookup(ctx, t, d, sum)
	}
	if !ok {
		var err error
		if id, err = t.findOrInsertBlob(ctx, d, sum, b); err != nil {
			return 0, err
		}
		if t.blobByHash == nil {
			t.blobByHash = map[[sha256.Size]byte]int64{}
		}
		t.blobByHash[sum] = id
	}
	if len(b) > 0 {
		if t.blobBySlice == nil {
			t.blobBySlice = map[blobKey]int64{}
		}
		t.blobBySlice[key] = id
	}
	return id, nil
}

// blobCache is the store's memory of blobs it committed or found, by
// content, so that a script played in run after run is not looked up
// again in every transaction. It is valid while no other connection
// commits: PRAGMA data_version changes then (another process may have
// pruned a blob), and the cache is emptied. Only Update's transactions
// touch it, one at a time.
type blobCache struct {
	ids     map[[sha256.Size]byte]int64
	version int64
}

// blobCacheLimit bounds the entries a blobCache keeps.
const blobCacheLimit = 4096

// lookup is the id of the blob with SHA-256 sum, if the cache knows it.
// The first lookup of a transaction checks the cache is still valid.
func (c *blobCache) lookup(ctx context.Context, t *Tx, d *driverConn, sum [sha256.Size]byte) (int64, bool) {
	if len(c.ids) == 0 {
		return 0, false
	}
	if !t.blobCacheChecked {
		t.blobCacheChecked = true
		v, ok, err := d.queryInt64(ctx, stmtDataVersion)
		if err != nil || !ok || v != c.version {
			clear(c.ids)
			c.version = v
			return 0, false
		}
	}
	id, ok := c.ids[sum]
	return id, ok
}

// keep remembers the blobs of a committed transaction.
func (c *blobCache) keep(ids map[[sha256.Size]byte]int64) {
	if len(ids) == 0 {
		return
	}
	if c.ids == nil || len(c.ids)+len(ids) > blobCacheLimit {
		c.ids = make(map[[sha256.Size]byte]int64, len(ids))
	}
	for h, id := range ids {
		c.ids[h] = id
	}
}

func (t *Tx) findOrInsertBlob(ctx context.Context, d *driverConn, sum [sha256.Size]byte, b []byte) (int64, error) {
	id, found, err := d.queryInt64(ctx, stmtBlobFind, sum[:])
	if err != nil {
		return 0, fmt.Errorf("store: find blob of %d bytes: %w", len(b), err)
	}
	if found {
		return id, nil
	}
	var data any = blob(b)
	if len(b) > ChunkSize {
		data = nil
	}
	res, err := d.exec(ctx, stmtBlobInsert, sum[:], len(b), data)
	if err != nil {
		return 0, fmt.Errorf("store: insert blob of %d bytes: %w", len(b), err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("store: insert blob of %d bytes: %w", len(b), err)
	}
	if data != nil {
		return id, nil
	}
	for i, off := 0, 0; off < len(b); i, off = i+1, off+ChunkSize {
		if _, err := d.exec(ctx, stmtChunkInsert, id, i, b[off:min(off+ChunkSize, len(b))]); err != nil {
			return 0, fmt.Errorf("store: insert chunk %d of blob %d: %w", i, id, err)
		}
	}
	return id, nil
}

// putBlobs stores each part with putBlob and returns their ids as the
// JSON array runs.script_blobs holds ("" for no parts).
func (t *Tx) putBlobs(ctx context.Context, d *driverConn, parts [][]byte) (string, error) {
	if len(parts) == 0 {
		return "", nil
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i, p := range parts {
		id, err := t.putBlob(ctx, d, p)
		if err != nil {
			return "", err
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatInt(id, 10))
	}
	sb.WriteByte(']')
	return sb.String(), nil
}

// blobReader reads blobs inside one read transaction, each blob once.
type blobReader struct {
	tx   *sql.Tx
	seen map[int64][]byte
}

// read returns the bytes of blob id; nil with no error when id is not
// valid (no blob named). The bytes may be shared with another read of
// the same blob: callers must not change them. A blob whose chunks do not
// add up to its size is reported as damaged.
func (r *blobReader) read(ctx context.Context, id sql.NullInt64) ([]byte, error) {
	if !id.Valid {
		return nil, nil
	}
	if b, ok := r.seen[id.Int64]; ok {
		return b, nil
	}
	var (
		size int64
		data []byte
	)
	if err := r.tx.QueryRowContext(ctx, `SELECT size, data FROM blobs WHERE id = ?`, id.Int64).Scan(&size, &data); err != nil {
		if err == sql.ErrNoRows {
			return nil, fmt.Errorf("blob %d: missing", id.Int64)
		}
		return nil, fmt.Errorf("blob %d: %w", id.Int64, err)
	}
	if data == nil && size > 0 {
		var err error
		if data, err = r.chunks(ctx, id.Int64, size); err != nil {
			return nil, err
		}
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("blob %d: %d bytes stored, %d recorded: damaged", id.Int64, len(data), size)
	}
	data = blob(data)
	if r.seen == nil {
		r.seen = map[int64][]byte{}
	}
	r.seen[id.Int64] = data
	return data, nil
}

// chunks reads a chunked blob into one slice of its size, each chunk
// copied once (sql.RawBytes).
func (r *blobReader) chunks(ctx context.Context, id, size int64) ([]byte, error) {
	rows, err := r.tx.QueryContext(ctx, `SELECT data FROM blob_chunks WHERE blob_id = ? ORDER BY idx`, id)
	if err != nil {
		return nil, fmt.Errorf("blob %d: %w", id, err)
	}
	defer rows.Close()
	out := make([]byte, 0, size)
	for rows.Next() {
		var raw sql.RawBytes
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("blob %d: %w", id, err)
		}
		if int64(len(out)+len(raw)) > size {
			return nil, fmt.Errorf("blob %d: chunks longer than its %d bytes: damaged", id, size)
		}
		out = append(out, raw...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("blob %d: %w", id, err)
	}
	return out, nil
}

// readParts reads the JSON array of blob ids of runs.script_blobs and
// returns the blobs' bytes concatenated.
func (r *blobReader) readParts(ctx context.Context, ids string) ([]byte, error) {
	var list []int64
	if err := json.Unmarshal([]byte(ids), &list); err != nil {
		return nil, fmt.Errorf("script blobs %.40q: %w", ids, err)
	}
	parts := make([][]byte, len(list))
	size := 0
	for i, id := range list {
		b, err := r.read(ctx, sql.NullInt64{Int64: id, Valid: true})
		if err != nil {
			return nil, err
		}
		parts[i], size = b, size+len(b)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	out := make([]byte, 0, size)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// sweepBlobs deletes the blobs no message, exchange or run names.
const sweepBlobs = `DELETE FROM blobs WHERE id NOT IN (
	SELECT original_blob FROM messages WHERE original_blob IS NOT NULL
	UNION SELECT final_blob FROM messages WHERE final_blob IS NOT NULL
	UNION SELECT request_blob FROM exchanges WHERE request_blob IS NOT NULL
	UNION SELECT response_blob FROM exchanges WHERE response_blob IS NOT NULL
	UNION SELECT j.value FROM runs, json_each(runs.script_blobs) AS j WHERE runs.script_blobs <> '')`

// bodies reads e's request and response bodies from the blobs its row
// named (bodies over ChunkSize: requests since migration 0005, responses
// since 0007).
func (r *blobReader) bodies(ctx context.Context, e *Exchange, b bodyBlobs) error {
	if b.request.Valid {
		body, err := r.read(ctx, b.request)
		if err != nil {
			return fmt.Errorf("exchange %d: request body: %w", e.Seq, err)
		}
		e.RequestBody = body
	}
	if b.response.Valid {
		body, err := r.read(ctx, b.response)
		if err != nil {
			return fmt.Errorf("exchange %d: response body: %w", e.Seq, err)
		}
		e.ResponseBody = body
	}
	return nil
}
