package main

import (
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/weights"
)

// openDefault opens the model embedded in the binary (weights/default).
func openDefault() (*loader.Checkpoint, error) {
	return loader.OpenFS(weights.Default, weights.DefaultDir)
}
