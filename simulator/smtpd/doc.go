// Package smtpd is hooksim's live SMTP front end (issue 10, in progress):
// it reads what a real SMTP client sends, byte for byte as Stalwart's
// smtp-proto does, and drives the simulator's stage machine
// (simulator.Live) with it, so that a live client and the equivalent
// session script give the same hook requests and the same replies.
//
// So far it holds its byte-level readers: command lines (lines.go) and
// the DATA receiver (data.go).
package smtpd
