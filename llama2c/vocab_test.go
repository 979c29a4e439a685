package llama2c

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// tinyVocab is a llama2.c-style tokenizer of n ≥ 3 tokens: the three
// specials, then single letters.
func tinyVocab(n int) *Vocab {
	v := &Vocab{MaxLen: 6, Pieces: []string{"<unk>", "\n<s>\n", "\n</s>\n"}, Scores: make([]float32, n)}
	for i := 3; i < n; i++ {
		v.Pieces = append(v.Pieces, string(rune('a'+i-3)))
		v.Scores[i] = -float32(i)
	}
	return v
}

func TestParseVocab(t *testing.T) {
	pieces := []string{"<unk>", "\n<s>\n", "\n</s>\n", " t", "he", ""}
	scores := []float32{0, 0, 0, -0.5, -1, -2}
	v, err := ParseVocab(encodeVocab(6, pieces, scores))
	if err != nil {
		t.Fatal(err)
	}
	if v.MaxLen != 6 || !slices.Equal(v.Pieces, pieces) || !slices.Equal(v.Scores, scores) {
		t.Fatalf("got %+v", v)
	}
}

func TestParseVocabErrors(t *testing.T) {
	good := encodeVocab(6, tinyVocab(5).Pieces, tinyVocab(5).Scores)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"no tokens", good[:4], "no tokens"},
		{"bad max length", encodeVocab(-3, nil, nil), "max_token_length -3"},
		{"cut in a record", good[:len(good)-7], "too few for its score and length"},
		{"cut in a piece", good[:len(good)-1], "runs past the end"},
		{"piece too long", encodeVocab(2, []string{"abc"}, []float32{0}), "length 3 is out of range"},
		{"nan score", encodeVocab(2, []string{"a"}, []float32{float32NaN()}), "not finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseVocab(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func float32NaN() float32 {
	var zero float32
	return zero / zero
}

// TestBPEMerges checks merge derivation: every split into two pieces, the
// best-scored product first, specials and byte tokens left out.
func TestBPEMerges(t *testing.T) {
	pieces := []string{"<unk>", "<s>", "</s>", "<0x41>", "▁t", "he", "▁the", "▁", "t", "h", "e", "▁th"}
	scores := []float32{0, 0, 0, 0, -1, -2, -3, -4, -5, -6, -7, -8}
	var got []string
	for _, m := range bpeMerges(pieces, scores) {
		got = append(got, m[0]+" "+m[1])
	}
	want := []string{"▁ t", "h e", "▁t he", "▁th e", "▁t h"}
	if !slices.Equal(got, want) {
		t.Fatalf("merges %q, want %q", got, want)
	}
}

func TestHFPiecesErrors(t *testing.T) {
	for _, tc := range []struct {
		pieces []string
		want   string
	}{
		{[]string{"<unk>", "<s>"}, "has 2 tokens"},
		{[]string{"<unk>", "<s>", "</s>", "a", "a"}, "repeats token 3"},
		{[]string{"<unk>", "<s>", "</s>", " a", "▁a"}, "repeats token 3"},
		{[]string{"<unk>", "<s>", "</s>", ""}, "empty piece"},
		{[]string{"<unk>", "<s>", "</s>", "\xff"}, "not valid UTF-8"},
	} {
		t.Run(fmt.Sprint(tc.pieces), func(t *testing.T) {
			_, err := hfPieces(&Vocab{Pieces: tc.pieces, Scores: make([]float32, len(tc.pieces))})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// FuzzParseVocab checks that no input makes ParseVocab panic.
func FuzzParseVocab(f *testing.F) {
	v := tinyVocab(8)
	f.Add(encodeVocab(v.MaxLen, v.Pieces, v.Scores))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVocab(data)
		if err == nil && len(v.Pieces) != len(v.Scores) {
			t.Fatalf("%d pieces, %d scores", len(v.Pieces), len(v.Scores))
		}
	})
}
