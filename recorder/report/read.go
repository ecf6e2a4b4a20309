package report

import (
	"encoding/base64"
	"slices"

	"github.com/hooksim/hooksim/simulator"
)

// This file holds what readers of the vocabulary share: the conversions
// of one live step or transaction (the transcript prints a play step by
// step, as it happens), the bytes a Body or Bytes carries, and what a
// stored run does not keep but its steps tell (NotSent).

// LiveStep is st in the vocabulary, as LiveSession has it. With bodies
// false the request and response bodies are left out (as WithoutBodies
// leaves them) and never copied: a reader that prints no body pays
// nothing for them.
func LiveStep(st *simulator.StepResult, bodies bool) Step {
	if bodies {
		return liveStep(st, NewBytes)
	}
	return liveStep(st, noBytes)
}

// LiveExchangeWithoutBodies is LiveExchange(ex, reply).WithoutBodies(),
// without copying the bodies first.
func LiveExchangeWithoutBodies(ex *simulator.Exchange, reply string) Exchange {
	return liveExchange(ex, reply, noBytes)
}

// noBytes is the Bytes of a body left out.
func noBytes([]byte) Bytes { return Bytes{} }

// LiveTransaction is tx in the vocabulary, as LiveSession has it.
func LiveTransaction(tx *simulator.TransactionResult) Transaction {
	return liveTransaction(tx, NewBytes)
}

func liveTransaction(tx *simulator.TransactionResult, bytesOf bytesFunc) Transaction {
	return Transaction{
		Number: tx.Number, QueueID: tx.QueueID, Delivered: tx.Delivered, Reply: tx.Reply,
		EnvelopeBefore: envelope(tx.EnvelopeIn), EnvelopeAfter: envelope(tx.EnvelopeOut),
		Original: bytesOf.orNil(nonNil(tx.Original)), Final: bytesOf.orNil(tx.Final), Queued: bytesOf.orNil(tx.Queued),
		QueuedNotes: append([]string{}, tx.QueuedNotes...),
	}
}

// RawBody is the bytes of b's body: Text's, or Base64's decoded; nil when
// the body was left out. A Base64 that does not decode (this package never
// writes one) gives the bytes before the fault.
func RawBody(b Body) []byte { return raw(b.Text, b.Base64) }

// RawBytes is the bytes b carries, as RawBody; nil for nil. A present
// empty value is an empty, non-nil slice.
func RawBytes(b *Bytes) []byte {
	if b == nil {
		return nil
	}
	return raw(b.Text, b.Base64)
}

func raw(text, b64 *string) []byte {
	switch {
	case text != nil:
		return []byte(*text)
	case b64 != nil:
		out, _ := base64.StdEncoding.AppendDecode([]byte{}, []byte(*b64))
		return out
	}
	return nil
}

// NotSent tells, for each of steps (in play order), whether the client
// could not send it: a step after one that closed the connection, up to
// the next connect, with no reply. The store keeps no flag for it; the
// simulator marks such steps so (simulator.StepResult.NotSent).
func NotSent(steps []Step) []bool {
	out := make([]bool, len(steps))
	closed := false
	for i := range steps {
		if steps[i].Kind == "connect" {
			closed = false
		}
		out[i] = closed && len(steps[i].Replies) == 0
		closed = closed || steps[i].Closed
	}
	return out
}

// SortedExchanges are every exchange of s, those of its steps and the
// unstepped ones, in sequence order, as pointers into s.
func SortedExchanges(s *Session) []*Exchange {
	var out []*Exchange
	for i := range s.Steps {
		for j := range s.Steps[i].Exchanges {
			out = append(out, &s.Steps[i].Exchanges[j])
		}
	}
	for i := range s.Unstepped {
		out = append(out, &s.Unstepped[i])
	}
	slices.SortStableFunc(out, func(a, b *Exchange) int { return a.Seq - b.Seq })
	return out
}
