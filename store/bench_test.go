package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkWrite records exchanges in batches like the recorder does;
// the metric is exchanges per second.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) {
			s, _ := openTemp(b)
			ctx := context.Background()
			id, err := s.CreateRun(ctx, &Run{SessionName: "bench", Started: t0})
			if err != nil {
				b.Fatal(err)
			}
			pool := make([]Exchange, 256)
			for i := range pool {
				pool[i] = testExchange(id, 0, i)
			}
			b.ResetTimer()
			start := time.Now()
			seq := 0
			for seq < b.N {
				batch := Batch{Exchanges: make([]Exchange, 0, size)}
				for i := 0; i < size && seq < b.N; i++ {
					seq++
					e := pool[seq%len(pool)]
					e.Seq = seq
					batch.Exchanges = append(batch.Exchanges, e)
				}
				if err := s.Write(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "exchanges/s")
		})
	}
}

// bulkRuns inserts n runs in one transaction, spread over n minutes.
func bulkRuns(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		for i := 0; i < n; i++ {
			started := t0.Add(time.Duration(i) * time.Minute)
			if _, err := tx.CreateRun(ctx, &Run{SessionName: fmt.Sprintf("session-%d", i%50), Started: started,
				Ended: started.Add(time.Second), Outcome: OutcomePassed, Exchanges: 5, Hooks: []byte(`[{"url":"http://127.0.0.1:1/"}]`),
				Script: []byte("name: x\n")}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListRuns lists the newest 50 of 100,000 runs (target: under
// 20 ms each).
func BenchmarkListRuns(b *testing.B) {
	s, _ := openTemp(b)
	bulkRuns(b, s, 100000)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    RunFilter
	}{
		{"newest50", RunFilter{Limit: 50}},
		{"session/newest50", RunFilter{Session: "session-7", Limit: 50}},
		{"page/newest50", RunFilter{Limit: 50, BeforeID: 50000}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runs, err := s.ListRuns(ctx, tc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(runs) != 50 {
					b.Fatalf("%d runs", len(runs))
				}
			}
		})
	}
}
