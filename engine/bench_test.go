package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// BenchmarkDecode times greedy decoding of 64 tokens in each of 1 or 8
// concurrent streams on the default model (no HTTP): b.N rounds, reported
// as aggregate tokens/s.
func BenchmarkDecode(b *testing.B) {
	t := &testing.T{}
	m, ids := defaultModel(t)
	for _, streams := range []int{1, 8} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			e, err := New(m, Options{Slots: streams, Context: 256, EOS: map[int]bool{}})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for b.Loop() {
				var wg sync.WaitGroup
				for i := range streams {
					wg.Go(func() {
						if _, err := e.Generate(context.Background(), Request{Prompt: ids[i*10 : i*10+8], MaxTokens: 64}, func(Token) error { return nil }); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(64*streams*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
