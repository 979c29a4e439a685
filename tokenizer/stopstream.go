package tokenizer

import "strings"

// StopStream turns generated ids into text to show as it comes: complete
// UTF-8 only (StreamDecoder), and never the start of a stop string until it
// is known not to be one. Once a stop string appears, the text before it is
// final and Stopped reports true.
type StopStream struct {
	dec     *StreamDecoder
	stops   []string
	pending string          // decoded but held back: may begin a stop string
	out     strings.Builder // everything released so far
	stopped bool
}

// NewStopStream returns a stream of t's text that ends at any of stops.
func NewStopStream(t Tokenizer, stops []string) *StopStream {
	return &StopStream{dec: NewStreamDecoder(t), stops: stops}
}

// Add takes the next id and returns the text that is now safe to show.
func (s *StopStream) Add(id int) string {
	return s.release(s.dec.Add(id), false)
}

// Flush returns whatever is left at the end of generation.
func (s *StopStream) Flush() string {
	return s.release(s.dec.Flush(), true)
}

// Stopped reports whether a stop string has appeared.
func (s *StopStream) Stopped() bool { return s.stopped }

// Text is all the text released so far.
func (s *StopStream) Text() string { return s.out.String() }

func (s *StopStream) release(text string, final bool) string {
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
func (s *StopStream) heldBack() int {
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
