package recorder

import (
	"context"
	"reflect"
)

// Meta says what kind of run a Play records. Pass it with WithMeta in the
// context given to simulator.Play.
type Meta struct {
	// Source is store.SourceScript (the default), store.SourceSMTP or
	// store.SourceReplay.
	Source string
	// ReplayOf is the run a replay replays; ReplayMode "exact" or
	// "resimulate".
	ReplayOf   int64
	ReplayMode string
	// OnRun, when set, is called with the run's ID as soon as the run is
	// committed, before any event of the run reaches subscribers. It runs
	// on the recorder's writer goroutine: it must return quickly.
	OnRun func(runID int64)
}

type metaKey struct{}

// metaValue is a pointer so that every WithMeta call is a distinct key.
type metaValue struct{ meta Meta }

// WithMeta returns ctx carrying m for the recorder. Each call also marks
// a distinct play: give every Play that runs concurrently with others of
// the same session name its own WithMeta context, so that the recorder
// never mixes up their exchanges.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, &metaValue{meta: m})
}

// metaFrom returns the Meta in ctx, or the default one.
func metaFrom(ctx context.Context) (Meta, *metaValue) {
	if v, ok := ctx.Value(metaKey{}).(*metaValue); ok && v != nil {
		return v.meta, v
	}
	return Meta{}, nil
}

// playKey tells plays apart. Observer calls of one Play share its context
// and its session name; a WithMeta value makes the context unique.
type playKey struct {
	tag  any
	name string
}

func keyOf(ctx context.Context, name string) playKey {
	if _, v := metaFrom(ctx); v != nil {
		return playKey{tag: v, name: name}
	}
	// Contexts are compared only when they are pointers, which are always
	// comparable; others (context.Background()) all share the nil tag.
	if ctx != nil && reflect.ValueOf(ctx).Kind() == reflect.Pointer {
		return playKey{tag: ctx, name: name}
	}
	return playKey{name: name}
}
