package tokenizer

import (
	"math/rand"
	"testing"

	loader "github.com/pkoukk/tiktoken-go-loader"
)

// bpeRanks' tables give every token's rank and reject what is no token.
func TestBPERanks(t *testing.T) {
	ranks, err := loader.NewOfflineLoader().LoadTiktokenBpe("cl100k_base.tiktoken")
	if err != nil {
		t.Fatal(err)
	}
	r, err := newBPERanks(ranks)
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range ranks {
		if got, ok := r.rank(tok); !ok || got != want {
			t.Fatalf("%q: rank %d %v, want %d", tok, got, ok, want)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		b := make([]byte, 2+rng.Intn(20))
		for j := range b {
			b[j] = "ab \x00\xff"[rng.Intn(5)]
		}
		_, want := ranks[string(b)]
		if _, ok := r.rank(string(b)); ok != want {
			t.Fatalf("%q: token %v, want %v", b, ok, want)
		}
	}
	if _, err := newBPERanks(map[string]int{"a": 0}); err == nil {
		t.Error("ranks without every byte accepted")
	}
}
