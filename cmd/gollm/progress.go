package main

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress draws a progress bar with ETA on stderr when stderr is a
// terminal, and stays silent otherwise (scripts read stdout).
type progress struct {
	on    bool
	label string
	bar   *progressbar.ProgressBar
}

func newProgress(on bool, label string) *progress { return &progress{on: on, label: label} }

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// update reports done of total units.
func (p *progress) update(done, total int) {
	if !p.on {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(p.label),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
	}
	_ = p.bar.Set(done)
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
