package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SetRelay records what became of relaying transaction number of run
// runID downstream (hooksim smtp --relay), replacing any relay recorded
// before; a zero r.At is now. It returns an error wrapping ErrNotFound
// when there is no such message, for instance one the recorder has not
// committed yet (Recorder.Flush first). Each call also takes the next
// value of the relay counter, so that a tail (TailMessages) sees it.
func (s *Store) SetRelay(ctx context.Context, runID int64, number int, r Relay) error {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	js, err := relayJSON(&r)
	if err != nil {
		return fmt.Errorf("store: relay of message %d of run %d: %w", number, runID, err)
	}
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'relay'`); err != nil {
			return err
		}
		res, err := tx.tx.ExecContext(ctx, `UPDATE messages SET relay = ?,
			relay_seq = (SELECT value FROM counters WHERE name = 'relay') WHERE run_id = ? AND number = ?`, js, runID, number)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return s.check(fmt.Errorf("store: relay of message %d of run %d: %w", number, runID, err))
	}
	return nil
}

// summaryQuery is the SELECT of message summaries, where and order
// appended by the caller: the final message's size and first headLimit
// bytes (the original's when a row has no final message), from its blob
// (the first chunk of a chunked one) or, for rows recorded before
// migration 0005, from the row.
func summaryQuery(where string) string {
	body := `CASE WHEN m.final_blob IS NOT NULL OR m.final IS NOT NULL THEN m.final ELSE m.original END`
	head := strconv.Itoa(headLimit)
	return `SELECT m.id, m.run_id, m.number, r.source, coalesce(m.ended, r.started), m.queue_id, m.envelope_after,
		coalesce(CASE WHEN b.id IS NULL THEN length(` + body + `) ELSE b.size END, 0),
		CASE WHEN b.id IS NULL THEN substr(` + body + `, 1, ` + head + `)
			WHEN b.data IS NOT NULL THEN substr(b.data, 1, ` + head + `)
			ELSE (SELECT substr(c.data, 1, ` + head + `) FROM blob_chunks c WHERE c.blob_id = b.id AND c.idx = 0) END,
		m.queued_head IS NOT NULL, m.relay, coalesce(m.relay_seq, 0)
		FROM messages m CROSS JOIN runs r ON r.id = m.run_id
		LEFT JOIN blobs b ON b.id = CASE WHEN m.final_blob IS NOT NULL OR m.final IS NOT NULL THEN m.final_blob ELSE m.original_blob END
		WHERE ` + where
}

// scanSummary reads a row of summaryQuery, with the row's relay counter
// value (0 when never relayed by SetRelay).
func scanSummary(rows *sql.Rows) (MessageSummary, int64, error) {
	var (
		m        MessageSummary
		at       int64
		env      string
		head     sql.RawBytes // valid until the next Next
		relay    string
		relaySeq int64
		queued   bool
	)
	if err := rows.Scan(&m.ID, &m.RunID, &m.Number, &m.Source, &at, &m.QueueID, &env, &m.Size, &head,
		&queued, &relay, &relaySeq); err != nil {
		return m, 0, err
	}
	m.Queued = queued
	m.Time = timeFrom(sql.NullInt64{Int64: at, Valid: true})
	var e struct {
		From *string  `json:"from"`
		To   []string `json:"to"`
	}
	if err := json.Unmarshal([]byte(env), &e); err != nil {
		return m, 0, fmt.Errorf("message %d: envelope: %w", m.ID, err)
	}
	if e.From != nil {
		m.From = *e.From
	}
	m.To = e.To
	if m.To == nil {
		m.To = []string{}
	}
	m.Subject = headerValue(headerBlock(head), "subject")
	var err error
	if m.Relay, err = relayFrom(relay); err != nil {
		return m, 0, fmt.Errorf("message %d: %w", m.ID, err)
	}
	return m, relaySeq, nil
}

// matches reports whether q (lower case) is in m's sender, one of its
// recipients or its subject, raw or as a reader sees it (HeaderText),
// ignoring case.
func (m *MessageSummary) matches(q string) bool {
	if strings.Contains(strings.ToLower(m.From), q) || strings.Contains(strings.ToLower(m.Subject), q) ||
		strings.Contains(strings.ToLower(HeaderText(m.Subject)), q) {
		return true
	}
	for _, to := range m.To {
		if strings.Contains(strings.ToLower(to), q) {
			return true
		}
	}
	return false
}

// ListMessages returns the queued messages (transactions that ended
// with the message queued) f selects, across all runs, newest (highest
// ID) first. No body is read but the head of each final message, for its
// subject; with a Query the messages are read in that order until Limit
// of them match.
func (s *Store) ListMessages(ctx context.Context, f MessageFilter) ([]MessageSummary, error) {
	conds := []string{"m.delivered = 1"}
	var args []any
	if f.Source != "" {
		conds = append(conds, "r.source = ?")
		args = append(args, f.Source)
	}
	if f.RunID > 0 {
		conds = append(conds, "m.run_id = ?")
		args = append(args, f.RunID)
	}
	if f.BeforeID > 0 {
		conds = append(conds, "m.id < ?")
		args = append(args, f.BeforeID)
	}
	q := summaryQuery(strings.Join(conds, " AND ")) + ` ORDER BY m.id DESC`
	query := strings.ToLower(f.Query)
	if f.Limit > 0 && query == "" {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.check(fmt.Errorf("store: list messages: %w", err))
	}
	defer rows.Close()
	out := []MessageSummary{}
	for rows.Next() {
		m, _, err := scanSummary(rows)
		if err != nil {
			return nil, s.check(fmt.Errorf("store: list messages: %w", err))
		}
		if query != "" && !m.matches(query) {
			continue
		}
		out = append(out, m)
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.check(fmt.Errorf("store: list messages: %w", err))
	}
	return out, nil
}

// MessageCursor is where a tail of messages (TailMessages) stands.
type MessageCursor struct {
	Message int64 // the highest message ID looked at
	Relay   int64 // the value of the relay counter seen (SetRelay)
}

// MessageChanges is what TailMessages found after a cursor.
type MessageChanges struct {
	// Queued are the queued messages recorded after the cursor, oldest
	// first (with their relay, when recorded with the message).
	Queued []MessageSummary
	// Relayed are the messages whose relay SetRelay recorded after the
	// cursor, in the order of their last relay.
	Relayed []MessageSummary
	// Next is the cursor for the next call.
	Next MessageCursor
	// Full reports that a list hit its limit: more is waiting.
	Full bool
}

// LastMessages returns the cursor of what the database holds now (0s
// when empty): where a tail that only wants what comes next starts.
func (s *Store) LastMessages(ctx context.Context) (MessageCursor, error) {
	var c MessageCursor
	err := s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM messages), 0),
		coalesce((SELECT value FROM counters WHERE name = 'relay'), 0)`).Scan(&c.Message, &c.Relay)
	if err != nil {
		return c, s.check(fmt.Errorf("store: last messages: %w", err))
	}
	return c, nil
}

// TailMessages returns, in one snapshot, the queued messages recorded
// after c and the relays recorded after it, at most limit of each
// (1000 when limit <= 0). Message IDs and the relay counter are never
// reused (schema version 10), so a prune makes a tail miss nothing
// recorded after it. Messages not queued are passed over.
func (s *Store) TailMessages(ctx context.Context, c MessageCursor, limit int) (*MessageChanges, error) {
	if limit <= 0 {
		limit = 1000
	}
	out := &MessageChanges{Queued: []MessageSummary{}, Relayed: []MessageSummary{}, Next: c}
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, summaryQuery(`m.id > ? AND m.delivered = 1 ORDER BY m.id LIMIT ?`), c.Message, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			m, _, err := scanSummary(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out.Queued = append(out.Queued, m)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(out.Queued) >= limit {
			out.Full = true
			out.Next.Message = out.Queued[len(out.Queued)-1].ID
		} else {
			// The messages not queued after the last one are passed over
			// for good.
			var last int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM messages`).Scan(&last); err != nil {
				return err
			}
			out.Next.Message = max(c.Message, last)
		}
		rows, err = tx.QueryContext(ctx, summaryQuery(`m.relay_seq > ? ORDER BY m.relay_seq LIMIT ?`), c.Relay, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, seq, err := scanSummary(rows)
			if err != nil {
				return err
			}
			out.Relayed = append(out.Relayed, m)
			out.Next.Relay = seq
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out.Relayed) >= limit {
			out.Full = true
		}
		return nil
	})
	if err != nil {
		return nil, s.check(fmt.Errorf("store: messages after %d (relays after %d): %w", c.Message, c.Relay, err))
	}
	return out, nil
}
