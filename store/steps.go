package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// A run's steps are stored as JSON arrays (migration 0009): Tx.Write
// makes each run of consecutive steps of one run in a Batch one row of
// step_lists, so that the recorder, which hands a transaction's steps of
// a play together, writes one row where it wrote ten. The row's failures
// column counts the failures of its steps.
const insertStepList = `INSERT INTO step_lists (run_id, first_idx, steps, failures) VALUES (?, ?, ?, ?)`

// stepJSON is a step as stored in a step_lists row. Fields empty, zero
// or false are left out when written; rows moved from the old steps
// table by migration 0009 have them all. A command or message that is
// not valid UTF-8 (an SMTP client may send any bytes), which JSON cannot
// hold, is stored in hex instead (command_hex, message_hex), so that it
// reads back byte for byte, as the old text columns did.
type stepJSON struct {
	Index       int             `json:"idx"`
	Kind        string          `json:"kind"`
	Line        int             `json:"line,omitempty"`
	Implied     bool            `json:"implied,omitempty"`
	Command     string          `json:"command,omitempty"`
	CommandHex  string          `json:"command_hex,omitempty"`
	Message     string          `json:"message,omitempty"`
	MessageHex  string          `json:"message_hex,omitempty"`
	Replies     []string        `json:"replies,omitempty"`
	Action      string          `json:"action,omitempty"`
	Transaction int             `json:"txn,omitempty"`
	Closed      bool            `json:"closed,omitempty"`
	Failures    []string        `json:"failures,omitempty"`
	Lints       json.RawMessage `json:"lints,omitempty"`
}

// appendStepJSON appends s as a stepJSON object, by hand (encoding/json
// would cost more than the row's insert), its strings escaped as
// json.Marshal escapes them. s.Lints must be a JSON array (writeStepList
// checks).
func appendStepJSON(b []byte, s *Step) []byte {
	b = append(b, `{"idx":`...)
	b = strconv.AppendInt(b, int64(s.Index), 10)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, s.Kind)
	if s.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(s.Line), 10)
	}
	if s.Implied {
		b = append(b, `,"implied":true`...)
	}
	b = appendTextField(b, "command", s.Command)
	b = appendTextField(b, "message", s.Message)
	if len(s.Replies) > 0 {
		b = append(b, `,"replies":`...)
		b = appendStringsJSON(b, s.Replies)
	}
	if s.Action != "" {
		b = append(b, `,"action":`...)
		b = appendJSONString(b, s.Action)
	}
	if s.Transaction != 0 {
		b = append(b, `,"txn":`...)
		b = strconv.AppendInt(b, int64(s.Transaction), 10)
	}
	if s.Closed {
		b = append(b, `,"closed":true`...)
	}
	if len(s.Failures) > 0 {
		b = append(b, `,"failures":`...)
		b = appendStringsJSON(b, s.Failures)
	}
	if lints := bytes.TrimSpace(s.Lints); len(lints) > 0 && !bytes.Equal(lints, []byte("[]")) {
		b = append(b, `,"lints":`...)
		b = append(b, lints...)
	}
	return append(b, '}')
}

// appendTextField appends ,"name":"s" when s is not empty, or
// ,"name_hex":"hex of s" when s is not valid UTF-8.
func appendTextField(b []byte, name, s string) []byte {
	switch {
	case s == "":
		return b
	case utf8.ValidString(s):
		b = append(append(append(b, ',', '"'), name...), `":`...)
		return appendJSONString(b, s)
	default:
		b = append(append(append(b, ',', '"'), name...), `_hex":"`...)
		return append(hex.AppendEncode(b, []byte(s)), '"')
	}
}

// textField is a field read back: hexed when not "", else plain.
func textField(plain, hexed string) (string, error) {
	if hexed == "" {
		return plain, nil
	}
	b, err := hex.DecodeString(hexed)
	return string(b), err
}

// writeSteps stores steps, which may belong to several runs, as one
// step_lists row per run of consecutive steps of one run, each in step
// order.
func (t *Tx) writeSteps(ctx context.Context, d *driverConn, steps []Step) error {
	for i := 0; i < len(steps); {
		j := i + 1
		for j < len(steps) && steps[j].RunID == steps[i].RunID {
			j++
		}
		if err := t.writeStepList(ctx, d, steps[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// writeStepList stores the steps of one run as one row.
func (t *Tx) writeStepList(ctx context.Context, d *driverConn, steps []Step) error {
	if !slices.IsSortedFunc(steps, func(a, b Step) int { return cmp.Compare(a.Index, b.Index) }) {
		steps = slices.Clone(steps)
		slices.SortStableFunc(steps, func(a, b Step) int { return cmp.Compare(a.Index, b.Index) })
	}
	first := &steps[0]
	d.json.reset()
	failures := 0
	list := d.json.add(func(b []byte) []byte {
		b = append(b, '[')
		for i := range steps {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStepJSON(b, &steps[i])
			failures += len(steps[i].Failures)
		}
		return append(b, ']')
	})
	for i := range steps {
		if l := steps[i].Lints; len(l) > 0 && !json.Valid(l) {
			return fmt.Errorf("store: insert step %d of run %d: lints are not JSON", steps[i].Index, first.RunID)
		}
		if i > 0 && steps[i].Index == steps[i-1].Index {
			return fmt.Errorf("store: insert step %d of run %d: the step is given twice", steps[i].Index, first.RunID)
		}
	}
	if err := d.insert(ctx, stmtStepList, first.RunID, first.Index, list, failures); err != nil {
		if len(steps) == 1 {
			return fmt.Errorf("store: insert step %d of run %d: %w", first.Index, first.RunID, err)
		}
		return fmt.Errorf("store: insert steps %d-%d of run %d: %w", first.Index, steps[len(steps)-1].Index, first.RunID, err)
	}
	return nil
}

// decodeSteps reads a step_lists row of run runID, appending its steps
// to out. Lists left out read as empty, not nil, and lints as "[]", as
// the old rows of one step each read.
func decodeSteps(out []Step, runID int64, data []byte) ([]Step, error) {
	var list []stepJSON
	if err := json.Unmarshal(data, &list); err != nil {
		return out, err
	}
	for _, s := range list {
		var err error
		if s.Command, err = textField(s.Command, s.CommandHex); err != nil {
			return out, fmt.Errorf("step %d: command_hex: %w", s.Index, err)
		}
		if s.Message, err = textField(s.Message, s.MessageHex); err != nil {
			return out, fmt.Errorf("step %d: message_hex: %w", s.Index, err)
		}
		st := Step{RunID: runID, Index: s.Index, Kind: s.Kind, Line: s.Line, Implied: s.Implied, Command: s.Command,
			Message: s.Message, Replies: s.Replies, Action: s.Action, Transaction: s.Transaction, Closed: s.Closed,
			Failures: s.Failures, Lints: []byte(s.Lints)}
		if st.Replies == nil {
			st.Replies = []string{}
		}
		if st.Failures == nil {
			st.Failures = []string{}
		}
		if len(st.Lints) == 0 {
			st.Lints = []byte("[]")
		}
		out = append(out, st)
	}
	return out, nil
}
