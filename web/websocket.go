package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// Websocket timing.
const (
	writeWait  = 10 * time.Second // a write that takes longer drops the client
	pongWait   = 60 * time.Second // a client silent for longer is dropped
	pingPeriod = 25 * time.Second
	wsBatch    = 256 // events read from the log at once
)

func (s *Server) upgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 16 << 10,
		CheckOrigin:     checkWSOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, "websocket: "+reason.Error())
		},
	}
}

// handleEvents streams events over a websocket: a hello, then every
// buffered event after ?since= (or a reset when they are gone), then the
// live ones.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	since := int64(-1)
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "since wants the seq of the last event received")
			return
		}
		since = n
	}
	if !checkWSOrigin(r) {
		writeError(w, http.StatusForbidden, "websocket: cross-origin connection refused")
		return
	}
	conn, err := s.upgrader().Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	defer conn.Close()
	ctx := r.Context()

	// The reader only answers pings, takes pongs and notices the close.
	gone := make(chan struct{})
	conn.SetReadLimit(512)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()

	write := func(b []byte) bool {
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	control := func(ev event) bool {
		b, _ := json.Marshal(ev)
		return write(b)
	}
	latest := s.events.latest()
	cursor := latest
	if since >= 0 {
		cursor = uint64(since)
	}
	if !control(event{Seq: cursor, Type: evHello, Latest: &latest}) {
		return
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		msgs, last, wait, lost := s.events.after(cursor, wsBatch)
		if lost {
			// Too old (or from before a restart): the client reloads
			// through the API and goes on from here.
			cursor = last
			if !control(event{Seq: last, Type: evReset}) {
				return
			}
			continue
		}
		for _, m := range msgs {
			if !write(m) {
				return
			}
		}
		cursor = last
		if len(msgs) == wsBatch {
			continue
		}
		select {
		case <-wait:
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		case <-gone:
			return
		case <-ctx.Done():
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server stopping"), time.Now().Add(time.Second))
			return
		}
	}
}
