package eval

import (
	"strings"
	"testing"
)

// scoredOnce checks that the spans of one document score every target in
// [lo, hi) exactly once and nothing else.
func scoredOnce(t *testing.T, spans []Span, lo, hi int) {
	t.Helper()
	count := map[int]int{}
	for _, s := range spans {
		if s.From < 1 || s.End-s.Start > 0 && s.From > s.Len() {
			t.Fatalf("span %+v: bad From", s)
		}
		for i := s.Start + s.From; i < s.End; i++ {
			count[i]++
		}
	}
	for i := lo; i < hi; i++ {
		if count[i] != 1 {
			t.Fatalf("target %d scored %d times (spans %+v)", i, count[i], spans)
		}
	}
	if len(count) != hi-lo {
		t.Fatalf("%d targets scored, want %d (spans %+v)", len(count), hi-lo, spans)
	}
}

func TestStridedScoresEveryTargetOnce(t *testing.T) {
	// With stride < ctx every target 1..n−1 is scored exactly once.
	for _, c := range [][3]int{{8, 4, 14}, {8, 7, 20}, {8, 1, 11}, {16, 5, 100}, {8, 3, 5}, {8, 4, 2}} {
		ctx, stride, n := c[0], c[1], c[2]
		lay, err := Protocol{Name: ProtocolWindows, Ctx: ctx, Stride: stride}.Spans([]int{n})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range lay.Spans {
			if s.Len() > ctx || s.Start%stride != 0 {
				t.Fatalf("ctx %d stride %d: span %+v", ctx, stride, s)
			}
		}
		scoredOnce(t, lay.Spans, 1, n)
	}
}

func TestStrideOfCtxIsWindows(t *testing.T) {
	// As in HF, a stride of the whole context never scores a window's first
	// token: the non-overlapping windows, plus the tail.
	lay, _ := Protocol{Name: ProtocolWindows, Ctx: 8, Stride: 8}.Spans([]int{20})
	want := []Span{{0, 0, 8, 1}, {0, 8, 16, 1}, {0, 16, 20, 1}}
	if len(lay.Spans) != 3 || lay.Spans[0] != want[0] || lay.Spans[1] != want[1] || lay.Spans[2] != want[2] {
		t.Fatalf("spans %+v, want %+v", lay.Spans, want)
	}
}

func TestStridedMatchesHF(t *testing.T) {
	// HF's loop for ctx 8, stride 4, 14 tokens: windows [0,8) [4,12) [8,14)
	// scoring 7, 4 and 2 new targets.
	lay, _ := Protocol{Name: ProtocolWindows, Ctx: 8, Stride: 4}.Spans([]int{14})
	want := []Span{{0, 0, 8, 1}, {0, 4, 12, 4}, {0, 8, 14, 4}}
	if len(lay.Spans) != len(want) {
		t.Fatalf("spans %+v, want %+v", lay.Spans, want)
	}
	for i := range want {
		if lay.Spans[i] != want[i] {
			t.Fatalf("span %d: %+v, want %+v", i, lay.Spans[i], want[i])
		}
	}
}

func TestWindowsAndCap(t *testing.T) {
	lay, _ := Protocol{Name: ProtocolWindows, Ctx: 10, Max: 3}.Spans([]int{25, 5, 40, 9})
	want := []Span{{0, 0, 10, 1}, {0, 10, 20, 1}, {2, 0, 10, 1}}
	if len(lay.Spans) != 3 || lay.Spans[0] != want[0] || lay.Spans[1] != want[1] || lay.Spans[2] != want[2] {
		t.Fatalf("spans %+v, want %+v", lay.Spans, want)
	}
	if lay.Skipped != 2 {
		t.Errorf("skipped %d, want 2 (the 5- and 9-token documents, the cap notwithstanding)", lay.Skipped)
	}
}

func TestPaperTruncatesAndSkips(t *testing.T) {
	lay, _ := Protocol{Name: ProtocolPaper, Ctx: 100}.Spans([]int{99, 100, 5000, 3})
	if lay.Skipped != 2 || len(lay.Spans) != 2 {
		t.Fatalf("layout %+v: want 2 spans, 2 skipped", lay)
	}
	for i, d := range []int{1, 2} {
		if s := lay.Spans[i]; s != (Span{d, 0, 100, 1}) {
			t.Errorf("span %d: %+v, want document %d truncated to 100", i, s, d)
		}
	}
}

func TestLlamaCppScoresSecondHalf(t *testing.T) {
	// llama-perplexity with n_ctx 8: first = 4, logits rows 4..6 predict
	// tokens 5..7 of each chunk: 3 scored per chunk; 20 tokens give 2 chunks.
	lay, _ := Protocol{Name: ProtocolLlamaCpp, Ctx: 8}.Spans([]int{20})
	if len(lay.Spans) != 2 {
		t.Fatalf("spans %+v, want 2 chunks", lay.Spans)
	}
	for i, s := range lay.Spans {
		if s.Start != 8*i || s.Len() != 8 || s.From != 5 || s.Scored() != 3 {
			t.Errorf("chunk %d: %+v, want [%d,%d) scoring targets 5..7", i, s, 8*i, 8*i+8)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	for _, c := range []struct {
		p    Protocol
		want string
	}{
		{Protocol{Name: "bogus", Ctx: 8}, "unknown protocol"},
		{Protocol{Name: ProtocolWindows, Ctx: 1}, "too short"},
		{Protocol{Name: ProtocolWindows, Ctx: 8, Stride: 9}, "stride"},
		{Protocol{Name: ProtocolPaper, Ctx: 8, Stride: 2}, "--stride"},
		{Protocol{Name: ProtocolWindows, Ctx: 8, Max: -1}, "≥ 0"},
	} {
		_, err := c.p.Spans([]int{100})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.p, err, c.want)
		}
	}
}

func TestEvaluationRejectsBadSpans(t *testing.T) {
	docs := [][]int{{1, 2, 3, 4}}
	for _, sp := range []Span{{1, 0, 4, 1}, {0, 0, 5, 1}, {0, 0, 4, 0}, {0, 2, 4, 2}} {
		if _, err := NewEvaluation(nil, docs, []Span{sp}, []Setting{{}}, nil); err == nil {
			t.Errorf("span %+v accepted", sp)
		}
	}
}
