package main

import (
	"fmt"

	"github.com/gollm/gollm/loader"
)

// openDefault opens the model embedded in the binary.
func openDefault() (*loader.Checkpoint, error) {
	return nil, fmt.Errorf("no --model given and this build has no embedded default model")
}
