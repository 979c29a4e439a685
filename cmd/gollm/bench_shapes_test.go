package main

import "testing"

// TestBenchShapes checks that every built-in shape is a valid config.
func TestBenchShapes(t *testing.T) {
	for name, s := range benchShapes {
		if _, c, err := shapeConfig(s); err != nil || c.Hidden != s.Hidden || c.ModelType != s.ModelType {
			t.Errorf("shape %s: %v", name, err)
		}
	}
}
