package model

import (
	"testing"

	"github.com/gollm/gollm/arch"
)

// TestFamilyActivations checks that the model runs every activation the
// registry lets the loader accept.
func TestFamilyActivations(t *testing.T) {
	for _, name := range arch.ModelTypes() {
		fam, _ := arch.Lookup(name)
		for _, act := range fam.Acts {
			if _, err := activation(fam, act); err != nil {
				t.Errorf("%s accepts %q but the model cannot run it: %v", name, act, err)
			}
		}
	}
}
