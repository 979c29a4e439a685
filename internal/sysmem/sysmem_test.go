package sysmem

import (
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	for b, want := range map[int64]string{512: "512 B", 2048: "2.0 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.0 GiB"} {
		if got := Format(b); got != want {
			t.Errorf("Format(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestCheckRefusesTheImpossible(t *testing.T) {
	if _, ok := Available(); !ok {
		t.Skip("no /proc/meminfo here")
	}
	err := Check(1<<62, "a test", "ask for less")
	if err == nil || !strings.Contains(err.Error(), "ask for less") {
		t.Fatalf("Check(4 EiB) = %v, want a refusal with the hint", err)
	}
	if err := Check(1, "a test", ""); err != nil {
		t.Fatalf("Check(1 byte) = %v", err)
	}
}
