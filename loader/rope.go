package loader

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// supportedRopeTypes lists the RoPE scaling types ParseConfig accepts.
var supportedRopeTypes = []string{"default", "linear", "dynamic", "llama3", "yarn"}

// readRope reads rope_theta, the scaling parameters and
// partial_rotary_factor. transformers 5 keeps them all in rope_parameters;
// transformers 4 has rope_theta and partial_rotary_factor at the top level
// and the scaling in rope_scaling. rope_parameters wins when both exist.
func readRope(c *Config, f *fields, defaultPartial float64) {
	c.RopeTheta = f.Float(10000, "rope_theta")
	c.PartialRotary = f.Float(defaultPartial, "partial_rotary_factor")
	src := f.object("rope_parameters")
	if src != nil {
		c.RopeTheta = src.Float(c.RopeTheta, "rope_theta")
		c.PartialRotary = src.Float(c.PartialRotary, "partial_rotary_factor")
	} else {
		src = f.object("rope_scaling")
	}
	c.Rope = RopeScaling{Type: "default", Factor: 1, OriginalMaxPositions: c.MaxPositions}
	if src == nil {
		return
	}
	r := &c.Rope
	r.Type = src.String("default", "rope_type", "type")
	if !slices.Contains(supportedRopeTypes, r.Type) {
		return // reported by validateRope
	}
	if r.Type != "default" && !src.has("factor") {
		src.Fail(fmt.Errorf("field %q: required for rope_type %q", src.prefix+"factor", r.Type))
	}
	r.Factor = src.Float(1, "factor")
	r.OriginalMaxPositions = src.Int(c.MaxPositions, "original_max_position_embeddings")
	switch r.Type {
	case "llama3":
		for _, k := range []string{"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"} {
			if !src.has(k) {
				src.Fail(fmt.Errorf("field %q: required for rope_type \"llama3\"", src.prefix+k))
			}
		}
		r.LowFreqFactor = src.Float(0, "low_freq_factor")
		r.HighFreqFactor = src.Float(0, "high_freq_factor")
	case "yarn":
		r.BetaFast = src.Float(32, "beta_fast")
		r.BetaSlow = src.Float(1, "beta_slow")
		r.AttentionFactor = src.Float(yarnAttentionFactor(r.Factor, src.Float(0, "mscale"), src.Float(0, "mscale_all_dim")), "attention_factor")
	}
}

// yarnMscale is YaRN's attention temperature correction for a context
// extension factor, scaled by m.
func yarnMscale(factor, m float64) float64 {
	if factor <= 1 {
		return 1
	}
	return 0.1*m*math.Log(factor) + 1
}

// yarnAttentionFactor is the default yarn attention_factor: the ratio of
// the mscale and mscale_all_dim corrections when both are given, else the
// plain correction.
func yarnAttentionFactor(factor, mscale, mscaleAllDim float64) float64 {
	if mscale != 0 && mscaleAllDim != 0 {
		return yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim)
	}
	return yarnMscale(factor, 1)
}

// validateRope checks the rotary parameters of a RoPE model.
func validateRope(c *Config) error {
	r := c.Rope
	if r.Type == "none" {
		return nil
	}
	if r.Type == "factors" && len(r.FreqFactors) != c.RotaryDim()/2 {
		return fmt.Errorf("rope_type \"factors\": %d frequency factors for rotary dimension %d", len(r.FreqFactors), c.RotaryDim())
	}
	if !slices.Contains(supportedRopeTypes, r.Type) && r.Type != "factors" {
		return fmt.Errorf("rope_type %q is not supported (supported: %s)", r.Type, strings.Join(supportedRopeTypes, ", "))
	}
	if !(c.RopeTheta > 1) || math.IsInf(c.RopeTheta, 0) {
		return fmt.Errorf("rope_theta %g is out of range (want > 1)", c.RopeTheta)
	}
	if !(c.PartialRotary > 0 && c.PartialRotary <= 1) {
		return fmt.Errorf("partial_rotary_factor %g is out of range (want 0 < f <= 1)", c.PartialRotary)
	}
	if d := c.RotaryDim(); d < 2 || d%2 != 0 {
		return fmt.Errorf("rotary dimension %d (head_dim %d × partial_rotary_factor %g) must be even and at least 2", d, c.HeadDim, c.PartialRotary)
	}
	if r.Type != "default" && !(r.Factor >= 1 && r.Factor <= 1<<16) {
		return fmt.Errorf("rope scaling factor %g is out of range (want 1..65536)", r.Factor)
	}
	if r.OriginalMaxPositions <= 0 || r.OriginalMaxPositions > maxPositions {
		return fmt.Errorf("original_max_position_embeddings %d is out of range (want 1..%d)", r.OriginalMaxPositions, maxPositions)
	}
	switch r.Type {
	case "llama3":
		if !(r.LowFreqFactor > 0 && r.HighFreqFactor > r.LowFreqFactor) || math.IsInf(r.HighFreqFactor, 0) {
			return fmt.Errorf("llama3 rope: want 0 < low_freq_factor < high_freq_factor, got %g and %g", r.LowFreqFactor, r.HighFreqFactor)
		}
	case "yarn":
		if !(r.BetaFast > 0 && r.BetaSlow > 0 && r.AttentionFactor > 0) {
			return fmt.Errorf("yarn rope: beta_fast %g, beta_slow %g and attention_factor %g must be positive", r.BetaFast, r.BetaSlow, r.AttentionFactor)
		}
	}
	return nil
}
