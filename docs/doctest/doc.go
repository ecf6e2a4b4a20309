// Package doctest holds the tests that keep docs/hook-input.md and
// docs/recipes.md true: their excerpts are checked against the golden
// requests and against real plays, the files they show against the files
// that are tested, and their CI recipes are run. It has no other code.
package doctest
