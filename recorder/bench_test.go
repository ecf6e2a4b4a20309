package recorder

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// BenchmarkRecorder is exchanges recorded per second through the
// recorder (observer calls to committed rows), without any HTTP.
func BenchmarkRecorder(b *testing.B) {
	st, _ := openStore(b)
	rec := New(st, Options{})
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		n := min(100, b.N-done)
		synthetic(ctx, rec, "bench", 0, n)
		done += n
	}
	if err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "exchanges/s")
	b.StopTimer()
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPlay is simulator sessions per second against a trivial
// loopback hook, without and with recording, in the same run so that the
// ratio of the two is the cost of recording. The record variant counts
// the final Flush: everything played is committed.
func BenchmarkPlay(b *testing.B) {
	srv := hookServer(b)
	sess := hello(b)
	hook := flagHook(b, hookconf.FlagSpec{URL: srv.URL})
	ctx := context.Background()
	play := func(b *testing.B, obs simulator.Observer, flush func() error) {
		sim := newSim(b, obs, hook)
		sim.Play(ctx, sess) // warm the connection pool
		b.ResetTimer()
		start, cpu := time.Now(), processCPU()
		for i := 0; i < b.N; i++ {
			if res := sim.Play(ctx, sess); !res.Passed() {
				b.Fatalf("session failed: %v", res.Err)
			}
		}
		if flush != nil {
			if err := flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sessions/s")
		// CPU time (user and system, every thread: the hook's, the
		// player's, the writer's, the GC's) per session: the difference
		// between the two variants is what recording costs the machine,
		// which decides the sessions/s when other work shares its cores.
		b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/session")
	}
	b.Run("norecord", func(b *testing.B) { play(b, nil, nil) })
	b.Run("record", func(b *testing.B) {
		st, _ := openStore(b)
		rec := New(st, Options{})
		play(b, rec, func() error { return rec.Flush(ctx) })
		b.StopTimer()
		if err := rec.Close(); err != nil {
			b.Fatal(err)
		}
	})
}

// processCPU is the CPU time this process used so far, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
