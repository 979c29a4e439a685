package eval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
)

// PasskeySpec is the landmark-attention passkey test (Mohtashami & Jaggi,
// 2023): filler text of Length tokens with "The pass key is N. Remember
// it." hidden at Depth (0: the start, 1: the end), then the question; a
// trial passes when the model's greedy answer's first number is N.
type PasskeySpec struct {
	Lengths []int     // prompt tokens (about: the filler is cut to whole sentences)
	Depths  []float64 // where the key sits in the filler, 0–1
	Trials  int       // keys per (length, depth)
	Seed    uint64    // of the keys
}

// PasskeyCell is the outcome at one length and depth.
type PasskeyCell struct {
	Length   int     `json:"length"` // the prompts' mean token count
	Depth    float64 `json:"depth"`
	Trials   int     `json:"trials"`
	Accuracy float64 `json:"accuracy"` // share of trials answered right, 0–1
}

// The prompt's parts, as the landmark-attention paper wrote them.
const (
	passkeyIntro    = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.\n"
	passkeyFiller   = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. "
	passkeyQuestion = "\nWhat is the pass key? The pass key is"
	passkeyAnswer   = 8 // tokens generated for the answer
)

// Validate checks the spec before any work.
func (s PasskeySpec) Validate(maxPositions int) error {
	switch {
	case len(s.Lengths) == 0 || len(s.Depths) == 0:
		return fmt.Errorf("--lengths and --depths need at least one value each")
	case s.Trials < 1 || s.Trials > 1000:
		return fmt.Errorf("--trials must be in [1, 1000], got %d", s.Trials)
	}
	for _, n := range s.Lengths {
		if n < 64 || (maxPositions > 0 && n+passkeyAnswer > maxPositions) {
			return fmt.Errorf("--lengths %d: must be at least 64 and leave %d tokens for the answer in the model's context of %d", n, passkeyAnswer, maxPositions)
		}
	}
	for _, d := range s.Depths {
		if !(d >= 0 && d <= 1) {
			return fmt.Errorf("--depths %g: must be in [0, 1]", d)
		}
	}
	return nil
}

// firstNumber finds the answer's first run of digits.
var firstNumber = regexp.MustCompile(`[0-9]+`)

// Passkey runs the test with plan (nil: the Reference kernel). render turns
// a prompt's text into ids (the tokenizer's Encode, or a chat template's
// rendering for instruction models). When a generation fails (ctx
// cancelled), it returns the cells finished so far with the error.
func Passkey(ctx context.Context, m *model.Model, tok tokenizer.Tokenizer, render func(string) []int, spec PasskeySpec, plan *attention.Plan) ([]PasskeyCell, error) {
	rng := rand.New(rand.NewPCG(spec.Seed, 0x70a55))
	sentences := strings.SplitAfter(passkeyFiller, ". ")
	sentences = sentences[:len(sentences)-1] // the empty piece after the last ". "
	perSentence := float64(len(tok.EncodeText(passkeyFiller))) / float64(len(sentences))
	var out []PasskeyCell
	for _, length := range spec.Lengths {
		fixed := len(render(passkeyIntro + "The pass key is 00000. Remember it. 00000 is the pass key.\n" + passkeyQuestion))
		n := max(0, int(float64(length-fixed)/perSentence)) // filler sentences
		for _, depth := range spec.Depths {
			cell := PasskeyCell{Depth: depth, Trials: spec.Trials}
			right, tokens := 0, 0
			for range spec.Trials {
				key := 10000 + rng.IntN(90000)
				ids := render(passkeyPrompt(sentences, n, depth, key))
				tokens += len(ids)
				st := m.NewState(len(ids) + passkeyAnswer)
				st.Ctx = ctx
				gen, err := m.Generate(st, ids, model.GenerateOptions{MaxTokens: passkeyAnswer, Plan: plan, Sampler: model.NewSampler(model.SamplerConfig{})}, nil)
				if err != nil {
					return out, err // the cells finished so far
				}
				if got := firstNumber.FindString(tok.Decode(gen)); got == strconv.Itoa(key) {
					right++
				}
			}
			cell.Length = tokens / spec.Trials
			cell.Accuracy = float64(right) / float64(spec.Trials)
			out = append(out, cell)
		}
	}
	return out, nil
}

// passkeyPrompt is the test's text: the introduction, n filler sentences
// with the key's sentence before sentence ⌊depth·n⌋, and the question.
func passkeyPrompt(sentences []string, n int, depth float64, key int) string {
	at := int(depth * float64(n))
	var b strings.Builder
	b.WriteString(passkeyIntro)
	for i := 0; i <= n; i++ {
		if i == at {
			fmt.Fprintf(&b, "The pass key is %d. Remember it. %d is the pass key. ", key, key)
		}
		if i < n {
			b.WriteString(sentences[i%len(sentences)])
		}
	}
	b.WriteString(passkeyQuestion)
	return b.String()
}
