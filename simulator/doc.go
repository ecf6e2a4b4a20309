// Package simulator is the mock MTA: it plays a scripted SMTP session stage
// by stage, builds each MTA Hook request exactly as Stalwart v0.16.18 does,
// calls the hook over HTTP and applies the answer exactly as Stalwart would.
//
// The wire protocol lives in wire.go (requests) and response.go (responses);
// everything that depends on the protocol's shape goes through those two
// files, so a second protocol profile can be added behind the same seam.
package simulator
