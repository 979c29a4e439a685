package eval

import "fmt"

// Protocol names, as --protocol takes them.
const (
	// ProtocolWindows scores the first K non-overlapping windows of Ctx
	// tokens, targets 1..Ctx−1 of each; with Stride > 0 it is HF's strided
	// sliding window instead.
	ProtocolWindows = "windows"
	// ProtocolPaper is the HyperAttention script's: documents of at least
	// Ctx tokens, truncated to Ctx, one forward each, scored whole.
	ProtocolPaper = "paper"
	// ProtocolLlamaCpp is llama-perplexity's: chunks of Ctx tokens, each
	// from an empty cache, only the second half of each chunk scored.
	ProtocolLlamaCpp = "llamacpp"
)

// Protocol says which tokens of the documents are run and scored.
type Protocol struct {
	Name   string // ProtocolWindows, ProtocolPaper or ProtocolLlamaCpp
	Ctx    int    // tokens per forward pass
	Stride int    // windows only: HF sliding-window stride (0: non-overlapping)
	Max    int    // at most this many spans over all documents (0: all)
}

// Span is one forward pass from an empty cache over tokens [Start, End) of
// document Doc; targets From..End−Start−1 of the window are scored (target
// t is predicted from the logits of window position t−1).
type Span struct {
	Doc   int `json:"doc"`
	Start int `json:"start"`
	End   int `json:"end"`
	From  int `json:"from"`
}

// Len is the number of tokens run.
func (s Span) Len() int { return s.End - s.Start }

// Scored is the number of targets scored.
func (s Span) Scored() int { return s.Len() - s.From }

// Layout is the outcome of Protocol.Spans.
type Layout struct {
	Spans   []Span
	Skipped int // documents too short to give a single span (all of them, whatever the cap)
}

// Validate checks the protocol's settings.
func (p Protocol) Validate() error {
	if p.Ctx < 2 {
		return fmt.Errorf("context %d is too short (need at least 2 tokens)", p.Ctx)
	}
	if p.Max < 0 {
		return fmt.Errorf("the window cap must be ≥ 0, got %d", p.Max)
	}
	switch p.Name {
	case ProtocolWindows:
		if p.Stride < 0 || p.Stride > p.Ctx {
			return fmt.Errorf("stride %d must be between 1 and the context %d", p.Stride, p.Ctx)
		}
	case ProtocolPaper, ProtocolLlamaCpp:
		if p.Stride != 0 {
			return fmt.Errorf("--stride goes with the windows protocol, not %s", p.Name)
		}
		if p.Name == ProtocolLlamaCpp && p.Ctx < 4 {
			return fmt.Errorf("llamacpp protocol: context %d is too short (need at least 4 tokens)", p.Ctx)
		}
	default:
		return fmt.Errorf("unknown protocol %q (want %s, %s or %s)", p.Name, ProtocolWindows, ProtocolPaper, ProtocolLlamaCpp)
	}
	return nil
}

// Spans lays the protocol over documents of the given token counts.
func (p Protocol) Spans(lengths []int) (Layout, error) {
	if err := p.Validate(); err != nil {
		return Layout{}, err
	}
	var out Layout
	for d, n := range lengths {
		var spans []Span
		switch {
		case p.Name == ProtocolPaper:
			if n >= p.Ctx {
				spans = []Span{{Doc: d, End: p.Ctx, From: 1}}
			}
		case p.Name == ProtocolLlamaCpp:
			spans = chunks(d, n, p.Ctx, p.Ctx/2+1)
		case p.Stride > 0:
			spans = strided(d, n, p.Ctx, p.Stride)
		default:
			spans = chunks(d, n, p.Ctx, 1)
		}
		if len(spans) == 0 {
			out.Skipped++ // counted over all documents, even past the cap
		}
		if room := p.Max - len(out.Spans); p.Max > 0 && len(spans) > room {
			spans = spans[:room]
		}
		out.Spans = append(out.Spans, spans...)
	}
	return out, nil
}

// chunks cuts a document of n tokens into whole non-overlapping windows of
// ctx, each scored from target from.
func chunks(doc, n, ctx, from int) []Span {
	var s []Span
	for start := 0; start+ctx <= n; start += ctx {
		s = append(s, Span{Doc: doc, Start: start, End: start + ctx, From: from})
	}
	return s
}

// strided is HF's sliding window: windows of up to ctx tokens starting every
// stride tokens; each scores only the targets not scored by the one before.
func strided(doc, n, ctx, stride int) []Span {
	if n < 2 {
		return nil
	}
	var s []Span
	prevEnd := 0
	for begin := 0; begin < n; begin += stride {
		end := min(begin+ctx, n)
		from := max(1, prevEnd-begin) // targets up to prevEnd were scored already
		s = append(s, Span{Doc: doc, Start: begin, End: end, From: from})
		prevEnd = end
		if end == n {
			break
		}
	}
	return s
}
