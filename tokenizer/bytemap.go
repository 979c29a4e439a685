package tokenizer

import "strings"

// GPT-2's byte-level alphabet: every byte is shown as one printable rune so
// that vocab files can be JSON text. Printable Latin-1 bytes stand for
// themselves; the other 68 bytes take the runes from U+0100 on, in byte order.
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
)

func init() {
	next := rune(256)
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE
		r := rune(b)
		if !printable {
			r = next
			next++
		}
		byteToRune[b] = r
		runeToByte[r] = byte(b)
	}
}

// byteLevelDecode turns a vocab string of the byte-level alphabet into its
// bytes; ok is false when it holds a rune outside the alphabet.
func byteLevelDecode(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := runeToByte[r]
		if !ok {
			return nil, false
		}
		b = append(b, c)
	}
	return b, true
}

// byteLevelEncode writes bytes in the byte-level alphabet.
func byteLevelEncode(b string) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		sb.WriteRune(byteToRune[b[i]])
	}
	return sb.String()
}
