package tokenizer

import (
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/dlclark/regexp2"
)

// The class table against Go's unicode package, for every rune.
func TestClassTable(t *testing.T) {
	in := func(r rune, tabs ...*unicode.RangeTable) bool { return unicode.In(r, tabs...) }
	tab := classTable()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := map[uint8]bool{
			clLetter:  unicode.IsLetter(r),
			clNumber:  unicode.IsNumber(r),
			clSpace:   unicode.IsSpace(r),
			clNewline: r == '\r' || r == '\n',
			clOther:   !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsSpace(r),
			clUpper:   in(r, unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo, unicode.M),
			clLower:   in(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.M),
		}
		for bit, w := range want {
			if (tab[r]&bit != 0) != w {
				t.Fatalf("rune %U: class bit %#x is %v, want %v", r, bit, !w, w)
			}
		}
	}
}

// The class table against regexp2 itself, on a sample of runes.
func TestClassTableRegexp2(t *testing.T) {
	classes := map[uint8]string{
		clLetter: `\p{L}`, clNumber: `\p{N}`, clSpace: `\s`, clOther: `[^\s\p{L}\p{N}]`,
		clUpper: `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`, clLower: `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`,
	}
	tab := classTable()
	for bit, class := range classes {
		re := regexp2.MustCompile(`^`+class+`$`, regexp2.None)
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if r >= 0x3000 && r%97 != 0 || r >= 0xd800 && r < 0xe000 {
				continue
			}
			if ok, _ := re.MatchString(string(r)); ok != (tab[r]&bit != 0) {
				t.Fatalf("rune %U: %s matches %v, class table says %v", r, class, ok, !ok)
			}
		}
	}
}

// splitAll returns the pieces a splitter cuts s into.
func splitAll(split splitter, s string) []string {
	var pieces []string
	split(s, func(p string) { pieces = append(pieces, p) })
	return pieces
}

// checkSplitters compares each hand-written splitter with regexp2 running
// its pattern on each text.
func checkSplitters(t testing.TB, texts []string) {
	t.Helper()
	for pattern := range knownPieces {
		known, err := newSplitter(pattern)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := regexpSplitter(pattern, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			got, want := splitAll(known, s), splitAll(ref, s)
			if !slices.Equal(got, want) {
				n := 0
				for n < len(got) && n < len(want) && got[n] == want[n] {
					n++
				}
				t.Fatalf("pattern %.40q on %.80q: piece %d is %q, regexp2 gives %q", pattern, s, n, got[min(n, len(got)-1)], want[min(n, len(want)-1)])
			}
		}
	}
}

// trickyRunes holds runes of every class the patterns tell apart: the
// contraction letters and what lower-cases to them, every letter and mark
// category, numbers, the spaces Unicode knows, line breaks, "/", "'".
var trickyRunes = []string{
	"a", "z", "s", "S", "t", "T", "r", "R", "e", "E", "v", "V", "m", "M", "l", "L", "d", "D", "'", "'",
	"\u017f", "\u212a", "\u0130", "ß", "é", "É", "ǅ", "ʰ", "中", "\u0301", "\u0903", "\u20dd", "\u05d0",
	"0", "7", "½", "Ⅷ", "٣", "𝟘", " ", " ", " ", "\n", "\n", "\r", "\t", "\v", "\f", "\u0085", "\u00a0",
	"\u2028", "\u3000", "\u200b", "!", ".", ",", "/", "-", "_", "🦙", "\ufffd", "\x00",
}

// randomTexts makes n strings of up to maxLen runes drawn from trickyRunes.
func randomTexts(n, maxLen int, seed int64) []string {
	r := rand.New(rand.NewSource(seed))
	texts := make([]string, n)
	for i := range texts {
		var sb strings.Builder
		for k := r.Intn(maxLen + 1); k > 0; k-- {
			sb.WriteString(trickyRunes[r.Intn(len(trickyRunes))])
		}
		texts[i] = sb.String()
	}
	return texts
}

// The hand-written splitters cut exactly where regexp2 does.
func TestKnownSplittersMatchRegexp2(t *testing.T) {
	texts := append(randomTexts(3000, 24, 1), mixedText, syntheticText(20000), "", "'", " ", "\n", "'S", "'Ll")
	checkSplitters(t, texts)
	dir, ok := findShared()
	if !ok {
		t.Log("../shared absent: llama.cpp vector inputs not checked")
		return
	}
	inputs, _ := filepath.Glob(filepath.Join(dir, "data/tokenizer_vectors/*.inp"))
	if len(inputs) == 0 {
		t.Fatal("no tokenizer vector inputs in ../shared/data/tokenizer_vectors")
	}
	for _, p := range inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkSplitters(t, strings.Split(string(data), "\n__ggml_vocab_test__\n"))
	}
}

// FuzzSplitters: on any valid UTF-8 the hand-written splitters cut where
// regexp2 does.
func FuzzSplitters(f *testing.F) {
	for _, s := range append(randomTexts(20, 12, 2), mixedText) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSplitters(t, []string{strings.ToValidUTF8(s, "\ufffd")})
	})
}

// Other patterns run on regexp2: pieces are its matches (byte offsets from
// its rune offsets), text no match covers is dropped.
func TestRegexpSplitter(t *testing.T) {
	split, err := newSplitter(`\p{L}+|\S`)
	if err != nil {
		t.Fatal(err)
	}
	got := splitAll(split, "héllo, 🦙wörld 12")
	want := []string{"héllo", ",", "🦙", "wörld", "1", "2"}
	if !slices.Equal(got, want) {
		t.Errorf("pieces %q, want %q", got, want)
	}
	if _, err := newSplitter(`(unclosed`); err == nil || !strings.Contains(err.Error(), "(unclosed") {
		t.Errorf("bad pattern: %v", err)
	}
}
