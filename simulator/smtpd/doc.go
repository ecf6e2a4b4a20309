// Package smtpd is hooksim's live SMTP front end (issue 10, in progress):
// it reads what a real SMTP client sends, byte for byte as Stalwart's
// smtp-proto does, and drives the simulator's stage machine
// (simulator.Live) with it, so that a live client and the equivalent
// session script give the same hook requests and the same replies.
//
// So far: command lines (lines.go), the DATA receiver (data.go), and a
// Server (server.go) that plays a connection's commands as raw steps,
// DATA with the message read, BDAT with its chunks, AUTH's SASL
// exchange, STARTTLS with a real handshake; serves many connections at
// once up to a limit; and says Stalwart's idle, duration, transfer and
// shutdown replies. Still to come: the hooksim smtp command.
package smtpd
