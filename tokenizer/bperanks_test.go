package tokenizer

import (
	"math/rand"
	"slices"
	"strings"
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

// The heap merge of long pieces gives what the scan gives, and a piece of
// 200 KB merges in well under the scan's quadratic time.
func TestBPEMergeLong(t *testing.T) {
	ranks, err := loader.NewOfflineLoader().LoadTiktokenBpe("r50k_base.tiktoken")
	if err != nil {
		t.Fatal(err)
	}
	r, err := newBPERanks(ranks)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		b := make([]byte, 2+rng.Intn(700))
		for j := range b {
			b[j] = "aabbe=-! \xc3\xa9"[rng.Intn(11)]
		}
		scan, long := bpeMergeScan(r, nil, string(b)), bpeMergeLong(r, nil, string(b))
		if !slices.Equal(scan, long) {
			t.Fatalf("%q: heap merge %v, scan %v", b, long, scan)
		}
	}
	tok := mustEncoding(t, "r50k_base")
	text := strings.Repeat("=", 200000)
	if got := tok.Decode(tok.Encode(text)); got != text {
		t.Error("long piece does not round-trip")
	}
}
