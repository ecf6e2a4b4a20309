// Package proxy is the front of `hooksim proxy`: an HTTP reverse proxy
// between a real Stalwart and an MTA Hook. It passes every request to the
// upstream hook byte for byte (body, end-to-end header fields in order and
// case) and the hook's answer back the same way, over HTTP/1.1 or HTTP/2 on
// either side, and tells an observer about each exchange: the recorder
// stores them as runs of source "proxy", one per SMTP connection, with the
// drift findings of simulator/wire.
package proxy
