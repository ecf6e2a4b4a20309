// Package report is hooksim's one JSON vocabulary for what was played:
// runs, steps, hook exchanges (request and response bytes), transactions
// and lints. The same types, built once, are what `hooksim run --json`,
// `hooksim runs --json`, `hooksim export --as json`, the web API and its
// websocket events answer, so a recorded run is one document wherever it
// is read. docs/report.md is its schema; Version numbers it.
//
// Two builders fill the types: Live from the simulator's results (the
// play that just happened, before or without recording), and Stored from
// the store's rows (a recorded run), which never goes back through the
// simulator's types. Bytes are text when they are valid UTF-8, else
// base64, so a document is always valid JSON and never loses a byte.
//
// Like miniflux's internal/model, the types carry their JSON tags and no
// behaviour beyond building and trimming them.
package report

// Version is the document's "version" field. It changes on any
// incompatible change (a field renamed, moved or removed); fields may be
// added within a version. Version 2 made the CLI's and the web API's
// shapes one.
const Version = 2

// Generator is the document's "generator" field.
const Generator = "hooksim"
