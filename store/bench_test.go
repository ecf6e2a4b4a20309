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

// BenchmarkListMessages lists queued messages out of 10,000 of 20 KiB
// each (each its own blob): the newest 50, as the Messages page loads
// them, and a search no message matches, which reads every head.
func BenchmarkListMessages(b *testing.B) {
	s, _ := openTemp(b)
	ctx := context.Background()
	const n = 10000
	err := s.Update(ctx, func(tx *Tx) error {
		id, err := tx.CreateRun(ctx, &Run{SessionName: "smtp", Source: SourceSMTP, Started: t0, Ended: t0, Outcome: OutcomePassed})
		if err != nil {
			return err
		}
		body := body(1, 1, 20<<10)
		var batch Batch
		for i := 1; i <= n; i++ {
			final := append([]byte(fmt.Sprintf("From: a@example.net\r\nSubject: message %d\r\n\r\n", i)), body...)
			batch.Messages = append(batch.Messages, Message{RunID: id, Number: i, Delivered: true, Original: final, Final: final,
				EnvelopeBefore: []byte(`{"from":"a@example.net","to":["b@example.org"]}`),
				EnvelopeAfter:  []byte(`{"from":"a@example.net","to":["b@example.org"]}`), Ended: t0, QueuedHead: []byte{}})
			if len(batch.Messages) == 500 {
				if err := tx.Write(ctx, batch); err != nil {
					return err
				}
				batch.Messages = batch.Messages[:0]
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    MessageFilter
		want int
	}{
		{"first-page", MessageFilter{Limit: 50}, 50},
		{"search-all", MessageFilter{Limit: 50, Query: "no such text"}, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				list, err := s.ListMessages(ctx, tc.f)
				if err != nil || len(list) != tc.want {
					b.Fatalf("%d messages, %v", len(list), err)
				}
			}
		})
	}
}
