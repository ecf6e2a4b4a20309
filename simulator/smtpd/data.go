package smtpd

// DataReceiver reads a DATA message as smtp-proto 0.2.1's DataReceiver
// does (request/receiver.rs:98-130), byte by byte, so that what hooksim
// takes as the message is what Stalwart would:
//
//   - A period right after CR LF is dropped (dot-unstuffing: ".." gives
//     ".", and ".x" gives "x"); a period after CR LF followed by CR LF ends
//     the message, and the CR LF before that period is not part of it.
//   - The receiver starts as if nothing came before: a period at the very
//     start of the data is kept, and ".\r\n" as the first line does not end
//     the message (a client cannot send an empty one that way).
//   - A CR never clears the pending period: ".\r\r\n" after CR LF ends the
//     message too, leaving a CR at its end. Bare LF lines are kept as they
//     are; "\n.\n" ends nothing.
//
// The zero value is ready for a new message.
type DataReceiver struct {
	crlfDot          bool
	last, beforeLast byte
}

// Ingest appends the message bytes in b to msg, unstuffed, and reports
// whether b held the end of the message; n is how many bytes of b it
// used (the rest, after the terminator, is the client's next command).
// Fed the data in any number of pieces, it gives the same message.
func (r *DataReceiver) Ingest(b []byte, msg []byte) (out []byte, n int, done bool) {
	for i, ch := range b {
		switch {
		case ch == '.' && r.last == '\n' && r.beforeLast == '\r':
			r.crlfDot = true
		case ch == '\n' && r.crlfDot && r.last == '\r':
			// The buffer ends "\r\n" (before the period) and "\r" (after
			// it): the three go.
			msg = msg[:max(0, len(msg)-3)]
			r.beforeLast, r.last = r.last, ch
			return msg, i + 1, true
		case ch == '\r':
			msg = append(msg, ch)
		default:
			msg = append(msg, ch)
			r.crlfDot = false
		}
		r.beforeLast, r.last = r.last, ch
	}
	return msg, len(b), false
}
