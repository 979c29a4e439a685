package tokenizer

import "testing"

// pieceTokenizer decodes id i to pieces[i]; enough for the stream tests.
type pieceTokenizer []string

func (p pieceTokenizer) Encode(string) []int     { return nil }
func (p pieceTokenizer) EncodeText(string) []int { return nil }
func (p pieceTokenizer) Decode(ids []int) string {
	s := ""
	for _, id := range ids {
		s += p[id]
	}
	return s
}
func (p pieceTokenizer) BOS() int       { return -1 }
func (p pieceTokenizer) AddsBOS() bool  { return false }
func (p pieceTokenizer) EOS() []int     { return nil }
func (p pieceTokenizer) VocabSize() int { return len(p) }

var _ Tokenizer = pieceTokenizer{}

func TestStopStream(t *testing.T) {
	tok := pieceTokenizer{"Hello", " wor", "ld", "\n\n", "User", ":", " more"}
	cases := []struct {
		stops []string
		ids   []int
		want  string
		stop  bool
	}{
		{nil, []int{0, 1, 2}, "Hello world", false},
		{[]string{"\n\nUser:"}, []int{0, 3, 4, 5, 6}, "Hello", true},
		{[]string{"\n\nUser:"}, []int{0, 3, 6}, "Hello\n\n more", false}, // a false start is released
		{[]string{"world"}, []int{0, 1, 2, 6}, "Hello ", true},
	}
	for _, c := range cases {
		s := NewStopStream(tok, c.stops)
		var got string
		for _, id := range c.ids {
			got += s.Add(id)
			if s.Stopped() {
				break
			}
		}
		got += s.Flush()
		if got != c.want || s.Stopped() != c.stop || s.Text() != c.want {
			t.Errorf("stops %q ids %v: got %q (stopped %v), want %q (stopped %v)", c.stops, c.ids, got, s.Stopped(), c.want, c.stop)
		}
	}
}
