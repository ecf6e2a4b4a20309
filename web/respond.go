package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/store"
)

// errorBody is every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

// writeError answers {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(errorBody{Error: webWords.Replace(msg)})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

// fail answers err: 404 for a missing row, 500 otherwise (logged).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	// The store's package prefixes say nothing to a reader of the API.
	msg := strings.ReplaceAll(err.Error(), "store: ", "")
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, msg) // "run 99: not found"
		return
	case errors.Is(err, store.ErrReadOnly):
		writeError(w, http.StatusConflict, msg)
		return
	}
	s.logf("%s %s: %v", r.Method, r.URL.Path, err)
	writeError(w, http.StatusInternalServerError, err.Error())
}

// readJSON decodes the request body into v, at most limit bytes. It
// answers the error itself and reports false on failure.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over the limit of %d bytes", limit))
		return false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "the request body is not the JSON expected: "+err.Error())
		return false
	}
	return true
}

// pathID reads a positive integer path value.
func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %q is not a positive number", name, r.PathValue(name)))
		return 0, false
	}
	return v, true
}

// textOrBase64 holds bytes as text when they are valid UTF-8, else as
// base64 in the sibling key.
type textOrBase64 struct {
	Text   *string `json:"body,omitempty"`
	Base64 *string `json:"body_base64,omitempty"`
}

func bodyOf(b []byte) textOrBase64 {
	if utf8.Valid(b) {
		s := string(b)
		return textOrBase64{Text: &s}
	}
	s := base64.StdEncoding.EncodeToString(b)
	return textOrBase64{Base64: &s}
}

// webWords says, in an error the CLI's packages worded for the command
// line, the API's fields (the pages' form fields) instead of its flags
// and environment variables.
var webWords = strings.NewReplacer(
	" or set HOOKSIM_BEARER", "",
	" or set HOOKSIM_BASIC=USER:PASSWORD", "",
	", HOOKSIM_BEARER", "",
	", HOOKSIM_BASIC", "",
	"--bearer TOKEN", "a Bearer token (bearer)",
	"--basic USER:PASSWORD", "Basic credentials (basic: user:password)",
	"--bearer", "a Bearer token (bearer)",
	"--basic", "Basic credentials (basic)",
	"--url or --hooks", "a hook URL (url)",
	"--hooks FILE", "a hook configuration",
	"--url", "the hook URL (url)",
	"--stages", "the stages (stages)",
	"--timeout", "the timeout (timeout_ms)",
	"--header", "a header (headers)",
)
