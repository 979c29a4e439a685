package main

import (
	"strings"

	"github.com/gollm/gollm/tokenizer"
)

// textStream turns generated ids into text for printing: complete UTF-8
// only, and never the start of a stop string until it is known not to be
// one. Once a stop string appears, the text before it is final.
type textStream struct {
	dec     *tokenizer.StreamDecoder
	stops   []string
	pending string          // decoded but held back: may begin a stop string
	out     strings.Builder // everything released so far
	stopped bool
}

func newTextStream(tok tokenizer.Tokenizer, stops []string) *textStream {
	return &textStream{dec: tokenizer.NewStreamDecoder(tok), stops: stops}
}

// add takes the next id and returns the text that is now safe to print.
func (s *textStream) add(id int) string {
	return s.release(s.dec.Add(id), false)
}

// flush returns whatever is left at the end of generation.
func (s *textStream) flush() string {
	return s.release(s.dec.Flush(), true)
}

func (s *textStream) release(text string, final bool) string {
	if s.stopped {
		return ""
	}
	s.pending += text
	cut := len(s.pending)
	for _, stop := range s.stops {
		if i := strings.Index(s.pending, stop); i >= 0 && i < cut {
			cut, s.stopped = i, true
		}
	}
	if !s.stopped && !final {
		cut -= s.heldBack()
	}
	ready := s.pending[:cut]
	s.pending = s.pending[cut:]
	if s.stopped {
		s.pending = ""
	}
	s.out.WriteString(ready)
	return ready
}

// heldBack is the length of the longest suffix of pending that is a proper
// prefix of a stop string.
func (s *textStream) heldBack() int {
	best := 0
	for _, stop := range s.stops {
		for n := min(len(stop)-1, len(s.pending)); n > best; n-- {
			if strings.HasSuffix(s.pending, stop[:n]) {
				best = n
				break
			}
		}
	}
	return best
}
