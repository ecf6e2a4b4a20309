//go:build race

package web_test

// raceEnabled: this test binary was built with -race, so building the
// hooksim binary with -race too reuses the cached packages.
const raceEnabled = true
