// Package compare diffs two plays of the same hook traffic, for replay and
// regression tests: Sessions compares two plays of one session
// ("resimulate"), Exchange and Exchanges compare the answers to the same
// request bytes sent twice ("exact").
//
// Both sides are in the one vocabulary (recorder/report): a recorded run
// as report.FromRows reads it from the store, a play just made as
// report.LiveSession converts it. Answers are compared as stored
// (report.Exchange.Parsed), never parsed again.
//
// Exchanges are matched by (step index, stage, hook id, n-th call of that
// triple), never by raw sequence number, so a call that no longer happens
// (a hook that now rejects at mail, so rcpt is never called) shows as one
// missing exchange instead of a cascade of false changes.
//
// What counts as a difference is the meaning of an answer as Stalwart
// v0.16.18 acts on it, not its bytes: the outcome (accept, reject,
// discard, quarantine, error), the error class, the SMTP reply, the
// modifications in canonical form, the lints (code and path), and per
// transaction whether it was queued, its reply (the queue id in "Message
// queued with id X." is ignored), the envelope after the hooks and the
// final message byte for byte. Response bodies that differ byte-wise with
// equal meaning (key order, whitespace), HTTP status codes within 2xx,
// error message wording and latency are reported as notes only.
//
// # Canonical modifications
//
// Stalwart applies a response's modifications in list order (PROTOCOL.md
// §4), but the list falls into four independent groups, because each group
// edits state no other group reads:
//
//   - header edits (addHeader, insertHeader, changeHeader, deleteHeader):
//     order kept. Indexes count among the headers of a name as they are at
//     that point, several addHeaders come out in order (or reversed in
//     rewrite mode), so swapping two header edits changes the message.
//   - replaceContents: order kept, because several are concatenated.
//   - changeFrom: order kept, because the last one wins.
//   - addRecipient and deleteRecipient: order kept only between edits of
//     the same address. Stalwart compares added recipients lower-cased and
//     deleteRecipient's value unchanged with lower-cased addresses, so an
//     edit can only interact with edits that have the same key (lower-cased
//     address for addRecipient, the value as sent for deleteRecipient).
//     Edits of different addresses are compared as a set; the order of the
//     recipients they leave in the envelope is not a difference either
//     (envelope recipients are compared as a set, an order change is a
//     note).
//
// The canonical list is the header group, then replaceContents, then
// changeFrom, then the recipient edits stably sorted by their key.
// changeFrom and addRecipient parameters are compared as a map sorted by
// key: Stalwart reads them into a hash map and flattens them in its
// iteration order, not the order the hook sent. Values are otherwise
// compared as sent (brackets and case are not normalised).
package compare
