package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"
)

// timeValue is t as stored: Unix nanoseconds, NULL for the zero time.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// timeFrom reads a stored time back in UTC.
func timeFrom(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}

func headersFrom(s string) ([]Header, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	out := make([]Header, len(pairs))
	for i, p := range pairs {
		out[i] = Header{Name: p[0], Value: p[1]}
	}
	return out, nil
}

func stringsFrom(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return out, nil
}

// rawJSON is b as a JSON column, def when empty. It is not validated here:
// the callers produce it with encoding/json. The string aliases b, which
// must not change while the statement binds it.
func rawJSON(b []byte, def string) string {
	if len(b) == 0 {
		return def
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// blob keeps an empty body distinct from NULL: bodies are NOT NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func durationFrom(ns int64) time.Duration { return time.Duration(ns) }

// nilIfEmpty reads an optional blob: nil when empty.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// redirectsJSON encodes redirects as a JSON array ("[]" when none).
func redirectsJSON(r []Redirect) (string, error) {
	if len(r) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode redirects: %w", err)
	}
	return string(b), nil
}

// redirectsFrom decodes redirects; nil when none.
func redirectsFrom(s string) ([]Redirect, error) {
	var out []Redirect
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode redirects: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// textOrNull stores b as text, or NULL when empty (an optional JSON
// column).
func textOrNull(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return rawJSON(b, "")
}

// relayJSON is r as the messages.relay column: "" for nil (not relayed).
// Its time is stored in UTC.
func relayJSON(r *Relay) (string, error) {
	if r == nil {
		return "", nil
	}
	v := *r
	v.At = v.At.UTC()
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode relay: %w", err)
	}
	return string(b), nil
}

// relayFrom decodes the messages.relay column; nil for "".
func relayFrom(s string) (*Relay, error) {
	if s == "" {
		return nil, nil
	}
	var r Relay
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, fmt.Errorf("decode relay: %w", err)
	}
	r.At = r.At.UTC()
	return &r, nil
}
