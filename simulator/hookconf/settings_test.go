package hookconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

// TestRebuild: recorded settings come back as a hook; flags replace what
// they name (and say so); credentials come from flags or the environment,
// are optional when --url points elsewhere, and an error otherwise.
func TestRebuild(t *testing.T) {
	t.Parallel()
	rec := Settings{ID: "h", URL: "http://127.0.0.1:9/hook", Stages: StageSet{wire.StageMail: true, wire.StageData: true},
		TempFailOnError: true, Timeout: DefaultTimeout, Auth: AuthBearer, Headers: []HeaderField{{Name: "X-Tenant", Value: "acme"}, {Name: "X-Key"}}}
	env := MapEnv{Vars: map[string]string{EnvBearer: "tok"}}
	h, overrides, warnings, err := Rebuild(rec, FlagSpec{}, env)
	if err != nil {
		t.Fatal(err)
	}
	if h.Auth.Secret != "tok" || StageList(h.Stages) != "mail, data" || len(overrides) != 0 || h.ID != "h" {
		t.Errorf("hook %+v, overrides %v", h, overrides)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "X-Key, whose value is not in the script or recording") {
		t.Errorf("warnings %q", warnings)
	}
	_, overrides, _, err = Rebuild(rec, FlagSpec{Stages: []string{"data"}, Timeout: "5s", Bearer: "b"}, MapEnv{})
	if err != nil || len(overrides) != 2 || overrides[0].String() != "--stages data replaces the recorded stages mail, data" {
		t.Errorf("overrides %v, %v", overrides, err)
	}
	if _, _, _, err := Rebuild(rec, FlagSpec{}, MapEnv{}); !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "give --bearer TOKEN or set HOOKSIM_BEARER") {
		t.Errorf("no token: %v", err)
	}
	h, _, warnings, err = Rebuild(rec, FlagSpec{URL: "http://127.0.0.1:10/"}, MapEnv{})
	if err != nil || h.Auth.Kind != AuthNone || len(warnings) != 2 || !strings.Contains(warnings[0], "used Bearer authentication and none is given") {
		t.Errorf("--url without a token: %v, %q, %v", h.Auth.Kind, warnings, err)
	}
	empty := rec
	empty.Stages, empty.Auth = StageSet{}, AuthNone
	if h, _, _, err := Rebuild(empty, FlagSpec{}, MapEnv{}); err != nil || len(h.Stages) != 0 {
		t.Errorf("an empty stage set must stay empty (never called): %v, %v", h.Stages, err)
	}
}
