// Package rebuild turns the MTA Hook requests a real Stalwart sent for
// one SMTP connection (as `hooksim proxy` records them, in arrival order,
// for whatever stages the hook is configured for) back into a session
// script which, played by the simulator against the same hook, sends the
// same requests again: `hooksim export --as session` writes it, and
// `hooksim proxy --compare` plays it and diffs each simulated request with
// the real one.
//
// It is the inverse of the simulator's request building
// (simulator/chain.go request(), commands.go, PROTOCOL.md §1): each field
// of a request names a piece of the session (client, TLS, HELO name,
// login, envelope, message), and the order of the requests gives the
// order of the steps. What the requests cannot say is guessed, and every
// guess is written in Result.Notes:
//
//   - HELO and EHLO look the same to a hook: the script says EHLO.
//   - The password of a login is never sent: a placeholder is used.
//   - ESMTP parameters, the server's host name, commands without a hook
//     call (NOOP, VRFY, a duplicate RCPT, a refused AUTH) are not in the
//     requests and are not in the script.
//   - Steps of stages the hook was not configured for are rebuilt from
//     the later requests (a data-only capture still gets EHLO, MAIL and
//     RCPT steps from the data request's context and envelope).
//   - Whether a recipient was refused by the hook or by Stalwart's relay
//     check is told from the hook's answer when it is known
//     (Request.Response), else guessed so that either way it is refused
//     again.
//   - A message body that Stalwart turned into U+FFFD (invalid UTF-8) is
//     rebuilt with invalid bytes of the right count, so that the replayed
//     request matches, but the message is not the original.
//
// The queue id of a data request is random per play and is never
// reproduced.
package rebuild
