package compare

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/recorder/report"
)

// messageContext is the number of unchanged lines shown around a change
// of the final message.
const messageContext = 3

// compareTransactions pairs transactions by number (the MAIL FROM that
// opened them) and compares each pair.
func compareTransactions(b, a []report.Transaction) []TransactionDiff {
	byNum := func(list []report.Transaction) map[int]*report.Transaction {
		m := make(map[int]*report.Transaction, len(list))
		for i := range list {
			m[list[i].Number] = &list[i]
		}
		return m
	}
	bm, am := byNum(b), byNum(a)
	nums := unionKeys(bm, am)
	out := make([]TransactionDiff, 0, len(nums))
	for _, n := range nums {
		out = append(out, compareTransaction(n, bm[n], am[n]))
	}
	return out
}

func compareTransaction(n int, b, a *report.Transaction) TransactionDiff {
	d := TransactionDiff{Number: n}
	var bFinal, aFinal []byte
	if b != nil {
		bFinal = report.RawBytes(b.Final)
		d.Delivered.Before, d.Reply.Before = yesNo(b.Delivered), maskQueueID(b.Reply)
		d.From.Before, d.To.Before = sender(b.EnvelopeAfter.From), recipients(b.EnvelopeAfter.To)
		d.Final.Before = describeMessage(bFinal)
	}
	if a != nil {
		aFinal = report.RawBytes(a.Final)
		d.Delivered.After, d.Reply.After = yesNo(a.Delivered), maskQueueID(a.Reply)
		d.From.After, d.To.After = sender(a.EnvelopeAfter.From), recipients(a.EnvelopeAfter.To)
		d.Final.After = describeMessage(aFinal)
	}
	switch {
	case a == nil:
		d.Status = StatusMissing
		return d
	case b == nil:
		d.Status = StatusNew
		return d
	}
	if bFinal != nil && aFinal != nil && !bytes.Equal(bFinal, aFinal) {
		d.Message = hunks(DiffLines(splitLines(bFinal), splitLines(aFinal)), messageContext)
	}
	if !d.To.Changed() && !slices.Equal(b.EnvelopeAfter.To, a.EnvelopeAfter.To) {
		d.Notes = append(d.Notes, fmt.Sprintf("recipient order %s%s%s (not a difference)",
			strings.Join(b.EnvelopeAfter.To, ", "), arrow, strings.Join(a.EnvelopeAfter.To, ", ")))
	}
	d.Status = StatusSame
	finalChanged := !bytes.Equal(bFinal, aFinal) || (bFinal == nil) != (aFinal == nil)
	if d.Delivered.Changed() || d.Reply.Changed() || d.From.Changed() || d.To.Changed() || finalChanged {
		d.Status = StatusChanged
	}
	return d
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func sender(s *string) string {
	if s == nil {
		return "(none)"
	}
	return strconv.Quote(*s)
}

// recipients renders the envelope recipients as a sorted set.
func recipients(to []string) string {
	s := slices.Clone(to)
	slices.Sort(s)
	q := make([]string, len(s))
	for i, r := range s {
		q[i] = strconv.Quote(r)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// describeMessage identifies a final message by size and hash, so that
// any byte difference shows.
func describeMessage(b []byte) string {
	if b == nil {
		return "(none)"
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, sha256 %s", len(b), hex.EncodeToString(sum[:8]))
}
