package examplehook

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	valid := `{"context":{"stage":"connect","client":{"ip":"192.0.2.25","port":49152,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantBody    string // substring of the answer
		wantAllow   string
	}{
		{name: "get-hook-path", method: http.MethodGet, path: "/mta-hook", wantStatus: http.StatusMethodNotAllowed, wantAllow: "POST"},
		{name: "put-root", method: http.MethodPut, path: "/", body: valid, contentType: "application/json",
			wantStatus: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD, POST"},
		{name: "delete", method: http.MethodDelete, path: "/mta-hook", wantStatus: http.StatusMethodNotAllowed},
		{name: "about", method: http.MethodGet, path: "/", wantStatus: http.StatusOK, wantBody: "example MTA Hook"},
		{name: "post-root-works", method: http.MethodPost, path: "/", contentType: "application/json", body: valid,
			wantStatus: http.StatusOK, wantBody: `{"action":"accept"}`},
		{name: "charset-param-ok", method: http.MethodPost, path: "/h", contentType: "application/json; charset=utf-8", body: valid,
			wantStatus: http.StatusOK, wantBody: `{"action":"accept"}`},
		{name: "not-json-content-type", method: http.MethodPost, path: "/h", contentType: "text/plain", body: valid,
			wantStatus: http.StatusUnsupportedMediaType, wantBody: "application/json"},
		{name: "no-content-type", method: http.MethodPost, path: "/h", body: valid,
			wantStatus: http.StatusUnsupportedMediaType},
		{name: "empty-body", method: http.MethodPost, path: "/h", contentType: "application/json",
			wantStatus: http.StatusBadRequest, wantBody: "invalid JSON"},
		{name: "bad-json", method: http.MethodPost, path: "/h", contentType: "application/json", body: `{"context":`,
			wantStatus: http.StatusBadRequest, wantBody: "invalid JSON"},
		{name: "trailing-data", method: http.MethodPost, path: "/h", contentType: "application/json", body: valid + `{}`,
			wantStatus: http.StatusBadRequest, wantBody: "after the JSON object"},
		{name: "wrong-type", method: http.MethodPost, path: "/h", contentType: "application/json", body: `{"context":{"stage":5}}`,
			wantStatus: http.StatusBadRequest, wantBody: "invalid JSON"},
		{name: "array", method: http.MethodPost, path: "/h", contentType: "application/json", body: `[]`,
			wantStatus: http.StatusBadRequest, wantBody: "invalid JSON"},
		{name: "missing-stage", method: http.MethodPost, path: "/h", contentType: "application/json", body: `{}`,
			wantStatus: http.StatusBadRequest, wantBody: "missing context.stage"},
		{name: "mail-without-envelope", method: http.MethodPost, path: "/h", contentType: "application/json",
			body: `{"context":{"stage":"mail"}}`, wantStatus: http.StatusBadRequest, wantBody: "without envelope"},
		{name: "rcpt-without-recipient", method: http.MethodPost, path: "/h", contentType: "application/json",
			body:       `{"context":{"stage":"rcpt"},"envelope":{"from":{"address":"a@b.example"},"to":[]}}`,
			wantStatus: http.StatusBadRequest, wantBody: "without a recipient"},
		{name: "data-without-message", method: http.MethodPost, path: "/h", contentType: "application/json",
			body:       `{"context":{"stage":"data"},"envelope":{"from":{"address":"a@b.example"},"to":[{"address":"c@d.example"}]}}`,
			wantStatus: http.StatusBadRequest, wantBody: "without message"},
		{name: "too-big", method: http.MethodPost, path: "/h", contentType: "application/json",
			body: `{"pad":"` + strings.Repeat("x", 2048) + `"}`, wantStatus: http.StatusRequestEntityTooLarge, wantBody: "over 1024 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			h := newHandler(Options{Log: &log}, 1024)
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", rec.Code, tc.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("body %q does not contain %q", rec.Body, tc.wantBody)
			}
			if tc.wantAllow != "" && rec.Header().Get("Allow") != tc.wantAllow {
				t.Errorf("Allow %q, want %q", rec.Header().Get("Allow"), tc.wantAllow)
			}
			if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("error Content-Type %q", ct)
				}
				if len(rec.Body.String()) > 200 {
					t.Errorf("error text not short: %q", rec.Body)
				}
				if !strings.HasPrefix(log.String(), "examplehook: status="+strconv.Itoa(rec.Code)+" error=") {
					t.Errorf("error not logged: %q", log.String())
				}
			}
		})
	}
}

func TestAboutText(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != About {
		t.Errorf("GET / = %q", body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if strings.Count(About, "\n") != 1 {
		t.Errorf("About should be one paragraph")
	}
}
