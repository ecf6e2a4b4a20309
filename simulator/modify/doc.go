// Package modify reproduces what Stalwart v0.16.18 does with a received
// message at the data stage: how its parser (mail-parser, wrapped by
// mail-auth) splits the message into the raw headers and body a hook sees,
// whether the message is accepted as parsable at all, and how the
// modifications of accepting hooks are applied to the message and the
// envelope (Stalwart's apply_milter_modifications), byte for byte.
//
// Apply also returns notes: observations for hook authors about
// modifications that did something other than what they probably meant.
package modify
