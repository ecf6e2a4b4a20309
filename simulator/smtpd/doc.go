// Package smtpd is the SMTP server behind `hooksim smtp`: it reads what a
// real SMTP client sends, byte for byte as Stalwart's smtp-proto does, and
// drives the simulator's stage machine (simulator.Live) with it, so that a
// live client and the equivalent session script give the same hook
// requests and the same replies.
//
// Command lines (lines.go) and the DATA receiver (data.go) read as
// smtp-proto reads; the Server (server.go) plays a connection's commands
// as raw steps, DATA with the message read, BDAT with its chunks, AUTH's
// SASL exchange, STARTTLS with a real handshake, implicit TLS; serves many
// connections at once up to a limit, with Stalwart's connection throttle
// when the simulator has one; says Stalwart's idle, duration, transfer and
// shutdown replies and records them; and lets a command in progress
// finish when it stops. cert.go makes the self-signed certificate.
package smtpd
