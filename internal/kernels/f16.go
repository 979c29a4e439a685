package kernels

// F16ToF32 widens IEEE half-precision bit patterns to float32 (exact).
func F16ToF32(dst []float32, src []uint16) { active.cvtF16(dst, src) }
