package hookconf

import (
	"net/url"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// SessionHook is s as a session script's `hooks` entry: no secret, and
// the custom headers by name only.
func SessionHook(s Settings) sessions.Hook {
	tf := s.TempFailOnError
	u, _ := withoutPassword(s.URL)
	h := sessions.Hook{ID: s.ID, URL: u, Enable: s.Enable, Stages: []string{}, Timeout: s.Timeout,
		TempFailOnError: &tf, MaxResponseSize: s.MaxResponseSize, AllowInvalidCerts: s.AllowInvalidCerts}
	if sessions.HasControl(h.ID) {
		h.ID = "" // a script cannot carry it; the URL's host names the hook
	}
	for _, st := range wire.AllStages {
		if s.Stages[st] {
			h.Stages = append(h.Stages, string(st))
		}
	}
	for _, f := range s.Headers {
		h.HTTPHeaders = append(h.HTTPHeaders, f.Name)
	}
	if s.Auth != "" && s.Auth != AuthNone {
		h.HTTPAuth = string(s.Auth)
	}
	return h
}

// SettingsOf reads a session script's `hooks` entry; what the script
// leaves out takes Stalwart's defaults (stages: data).
func SettingsOf(h sessions.Hook) Settings {
	s := Settings{ID: h.ID, URL: h.URL, URLPassword: hasUser(h.URL), Enable: h.Enable, Stages: StageSet{wire.StageData: true}, Timeout: h.Timeout,
		TempFailOnError: h.TempFailOnError == nil || *h.TempFailOnError, MaxResponseSize: h.MaxResponseSize,
		AllowInvalidCerts: h.AllowInvalidCerts, Auth: AuthKind(h.HTTPAuth)}
	if h.Stages != nil {
		s.Stages = StageSet{}
		for _, st := range h.Stages {
			s.Stages[wire.Stage(st)] = true
		}
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.MaxResponseSize == 0 {
		s.MaxResponseSize = DefaultMaxResponseSize
	}
	if s.Auth == "" {
		s.Auth = AuthNone
	}
	for _, name := range h.HTTPHeaders {
		s.Headers = append(s.Headers, HeaderField{Name: name})
	}
	return s
}

// hasUser reports a URL with a user name: in a script it means the
// password comes from --basic or HOOKSIM_BASIC.
func hasUser(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.User != nil && u.User.Username() != ""
}
