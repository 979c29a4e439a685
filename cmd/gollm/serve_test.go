package main

import (
	"bufio"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestServeSignal runs gollm serve as a process on a free port, answers a
// request, then gets SIGTERM while a long stream runs: it stops accepting
// connections at once, lets the stream go on for --shutdown-timeout, then
// cancels it (the stream ends with a shutting_down error event) and exits 0.
func TestServeSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on windows")
	}
	const grace = 2 * time.Second
	cmd := exec.Command(gollmBin, "serve", "--port", "0", "--shutdown-timeout", grace.String(), "--parallel", "2", "--cache-mib", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var log strings.Builder
	var logMu sync.Mutex
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			log.WriteString(line + "\n")
			logMu.Unlock()
			if _, rest, ok := strings.Cut(line, " on http://"); ok {
				a, _, _ := strings.Cut(rest, " ")
				select {
				case addr <- a:
				default:
				}
			}
		}
		exited <- cmd.Wait() // after stderr is drained, as Wait wants
	}()
	stderrText := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return log.String()
	}
	defer cmd.Process.Kill() // on a failure; after the exit it does nothing
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-exited:
		t.Fatalf("gollm serve exited before listening: %v\n%s", err, stderrText())
	case <-time.After(60 * time.Second):
		t.Fatalf("no \"on http://ADDR\" line from gollm serve:\n%s", stderrText())
	}

	resp, err := http.Post(base+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"Hello","max_tokens":3,"temperature":0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a completion: status %d", resp.StatusCode)
	}

	stream, err := http.Post(base+"/v1/completions", "application/json",
		strings.NewReader(`{"prompt":"Once upon a time","max_tokens":8000,"ignore_eos":true,"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := bufio.NewScanner(stream.Body)
	if !events.Scan() || !strings.HasPrefix(events.Text(), "data: ") {
		t.Fatalf("the stream's first line %q, %v", events.Text(), events.Err())
	}
	var signalled atomic.Bool
	var afterSignal atomic.Int64
	var lastEvent string
	streamEnded := make(chan struct{})
	go func() {
		defer close(streamEnded)
		for events.Scan() {
			if signalled.Load() && strings.HasPrefix(events.Text(), "data: ") {
				afterSignal.Add(1)
				lastEvent = events.Text()
			}
		}
	}()

	signalled.Store(true)
	begin := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // well inside the grace period
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		c.Close()
		t.Errorf("a new connection was accepted %s after SIGTERM", time.Since(begin))
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0\n%s", err, stderrText())
		}
	case <-time.After(grace + 8*time.Second):
		t.Fatalf("gollm serve still running %s after SIGTERM with --shutdown-timeout %s\n%s", time.Since(begin), grace, stderrText())
	}
	took := time.Since(begin)
	select {
	case <-streamEnded:
	case <-time.After(5 * time.Second):
		t.Fatalf("the stream did not end when the server exited")
	}
	if afterSignal.Load() == 0 {
		t.Errorf("the running stream got nothing after SIGTERM: it was not given its %s (exit after %s)", grace, took)
	}
	if lastEvent != "data: [DONE]" && !strings.Contains(lastEvent, `"code":"shutting_down"`) { // finished in time, or cancelled
		t.Errorf("the stream running at shutdown ended with %q, want [DONE] or the shutting_down error event", lastEvent)
	}
	if log := stderrText(); !strings.Contains(log, "shutting down") || !strings.Contains(log, "stopped") {
		t.Errorf("stderr:\n%s", log)
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		c.Close()
		t.Errorf("a connection was accepted after exit")
	}
}

// TestServeBadFlags checks absurd serve flags fail with an error naming
// the flag before the model loads.
func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--parallel", "0"},
		{"--parallel", "1000"},
		{"--port", "70000"},
		{"--port", "-1"},
		{"--max-body", "10"},
		{"--queue", "-1"},
		{"--shutdown-timeout", "-1s"},
	} {
		_, errs, code := runCLI(t, "", append([]string{"serve"}, args...)...)
		if code != 1 || !strings.Contains(errs, "serve: "+args[0]) || !strings.Contains(errs, args[1]) {
			t.Errorf("serve %s: exit %d, stderr %q: want 1 and an error naming the flag and its value", strings.Join(args, " "), code, errs)
		}
		if strings.Contains(errs, "embedded default model") {
			t.Errorf("serve %s: the model was opened before the check: %q", strings.Join(args, " "), errs)
		}
	}
}
