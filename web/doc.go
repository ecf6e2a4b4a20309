// Package web is hooksim's web view: a loopback HTTP server with a JSON
// API under /api/v1/ (docs/api.md), a websocket event stream that tails
// the history database (so runs recorded by other processes show up
// live), actions that replay and play sessions against hooks, and the
// embedded browser UI.
//
// Because the server makes HTTP requests on its user's behalf, every
// state-changing request must come from the same origin, the websocket
// checks its Origin, a non-loopback address needs an access token, and
// no answer ever carries a secret (the store never holds one).
package web
