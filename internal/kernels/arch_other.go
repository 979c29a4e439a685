//go:build !amd64 || purego

package kernels

// bestImpl returns the portable fallback where no assembly exists.
func bestImpl() *impl { return goImpl }

// supportedImpls lists every implementation this CPU can run.
func supportedImpls() []*impl { return []*impl{goImpl} }
