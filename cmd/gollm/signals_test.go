package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// stopSignalCases are the signals that stop a command and the exit status
// and word each must give.
var stopSignalCases = []struct {
	sig  os.Signal
	code int
	word string
}{{os.Interrupt, 130, "interrupted"}, {syscall.SIGTERM, 143, "terminated"}}

// signalAfter runs gollm with args, sends sig once started(stdout so far)
// holds, and returns stdout, stderr and the exit code.
func signalAfter(t *testing.T, sig os.Signal, started func(out []byte) bool, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gollmBin, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for !started(out.Bytes()) {
		n, err := stdout.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			cmd.Wait()
			t.Fatalf("the command ended before the signal: %v\nstdout %q\nstderr %s", err, out.String(), errb.String())
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if _, err := out.ReadFrom(stdout); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestStopRun stops a long generation with SIGINT and with SIGTERM once it
// has streamed some text: the exit status is 130 or 143, the summary says
// it was interrupted, and the --output file holds exactly the text
// streamed so far.
func TestStopRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on windows")
	}
	for _, c := range stopSignalCases {
		t.Run(c.word, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "out.txt")
			out, errs, code := signalAfter(t, c.sig, func(b []byte) bool { return len(b) > 0 },
				"run", "--max-tokens", "8000", "--output", file, "Once upon a time")
			if code != c.code || !strings.Contains(errs, "stopped: interrupted") || !strings.HasSuffix(errs, "gollm: "+c.word+"\n") {
				t.Fatalf("exit %d, stderr %q; want %d, a summary stopped: interrupted and gollm: %s", code, errs, c.code, c.word)
			}
			saved, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no output file after the signal: %v", err)
			}
			if len(saved) == 0 || strings.TrimSuffix(out, "\n") != string(saved) {
				t.Errorf("output file holds %q, stdout streamed %q", saved, out)
			}
		})
	}
}

// TestStopPerplexity stops perplexity on the embedded model after its
// first window: the exit status is 130 or 143 and the table printed is
// marked as a partial result.
func TestStopPerplexity(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on windows")
	}
	held, err := os.ReadFile("../../testdata/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "long.txt")
	write(t, text, bytes.Repeat(held, 200)) // hundreds of windows: minutes of work
	for _, c := range stopSignalCases {
		t.Run(c.word, func(t *testing.T) {
			out, errs, code := signalAfter(t, c.sig, func(b []byte) bool { return bytes.Contains(b, []byte("[1]")) },
				"perplexity", "--file", text, "--ctx", "128", "--protocol", "llamacpp")
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, errs)
			}
			if want := "perplexity: " + c.word + ": partial result over the "; !strings.Contains(errs, want) || !strings.HasSuffix(errs, "gollm: "+c.word+"\n") {
				t.Errorf("stderr %q, want %q and gollm: %s", errs, want, c.word)
			}
			if !strings.Contains(out, "ppl") && !strings.Contains(out, "PPL") {
				t.Errorf("no perplexity table after the signal: %q", out)
			}
		})
	}
}

// TestStopBench stops a benchmark of many rows after its first: the rows
// printed are kept, marked as partial, and the exit status is 143.
func TestStopBench(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on windows")
	}
	out, errs, code := signalAfter(t, syscall.SIGTERM, func(b []byte) bool { return bytes.Count(b, []byte("\n")) >= 2 },
		"bench", "matmul", "--size", strings.TrimSuffix(strings.Repeat("64,", 400), ","), "--seconds", "0.05", "--json")
	if code != 143 || !strings.Contains(errs, "bench: terminated: partial result: the ") {
		t.Fatalf("exit %d, stderr %q; want 143 and a partial-result line", code, errs)
	}
	if n := strings.Count(out, "\n"); n < 2 || n >= 800 {
		t.Errorf("%d rows printed, want some but not all", n)
	}
}
