// Package examplehook is a small, realistic MTA Hook for Stalwart: an
// ordinary HTTP server that reads the JSON Stalwart POSTs at each SMTP
// stage and answers with a JSON decision.
//
// It is what `hooksim demo` plays the bundled sessions against, and it is
// meant to be read as a model by hook authors. It deliberately imports
// nothing from hooksim: the request and response types it needs are
// declared here, in a few lines, as any hook would declare them.
//
// What it decides, stage by stage:
//
//   - connect, ehlo, and any stage it does not know: accept.
//   - mail: reject senders of a blocked domain with 550 5.7.1.
//   - rcpt: reject the recipient whose local part is "nobody" with 550 5.1.1.
//   - data: compute a spam score; reject at 10 or more, otherwise accept,
//     adding an X-Spam-Score header, at 5 or more an X-Spam-Flag header and
//     a "[SPAM]" subject tag, and always a Bcc-style archive recipient.
//
// Two details of the wire format trip many hooks, and this one gets them
// right: the reply code key is "enhanced_status" (snake case; Stalwart
// silently ignores "enhancedStatus"), and modification types are spelled
// exactly "addHeader", "changeHeader", "addRecipient" and so on (an unknown
// spelling such as "addRcpt" makes Stalwart reject the whole answer).
package examplehook
