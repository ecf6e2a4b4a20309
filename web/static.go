package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// static holds the browser UI: one index.html with hash routing, and
// plain JavaScript modules and CSS beside it. No build step.
//
//go:embed static
var static embed.FS

// staticHandler serves the embedded UI.
func staticHandler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil { // the embedded tree always has the folder
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "web: no embedded UI: "+err.Error(), http.StatusInternalServerError)
		})
	}
	return http.FileServerFS(sub)
}
