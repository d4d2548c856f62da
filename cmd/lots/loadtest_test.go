package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name, status string
		rss, peak    int64
		wantErr      bool
	}{
		{"linux", "Name:\tlots\nVmPeak:\t 1300000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t9\n", 100 << 20, 200 << 20, false},
		{"no rss", "Name:\tlots\n", 0, 0, true},
		{"garbled", "VmRSS:\t lots kB\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, peak, err := parseStatus(strings.NewReader(tt.status))
			if (err != nil) != tt.wantErr || rss != tt.rss || peak != tt.peak {
				t.Errorf("parseStatus = %d, %d, %v; want %d, %d, error %v", rss, peak, err, tt.rss, tt.peak, tt.wantErr)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	var results []askResult
	for i := 1; i <= 100; i++ { // answers whose first delta took i ms and that finished 1 ms later
		results = append(results, askResult{firstDelta: time.Duration(i) * ms, done: time.Duration(i+1) * ms, answered: i%10 != 0})
	}
	results = append(results,
		askResult{code: "rate_limited", late: true},
		askResult{code: "timeout"},
		askResult{code: "timeout"},
	)
	s := summarize(results, loadtestOptions{rate: 10})
	if s.asked != 103 || s.done != 100 || s.answered != 90 || s.late != 1 {
		t.Errorf("asked %d, done %d, answered %d, late %d; want 103, 100, 90, 1", s.asked, s.done, s.answered, s.late)
	}
	if s.errors["rate_limited"] != 1 || s.errors["timeout"] != 2 || len(s.errors) != 2 {
		t.Errorf("errors %v; want rate_limited 1, timeout 2", s.errors)
	}
	if want := [3]time.Duration{50 * ms, 95 * ms, 99 * ms}; s.firstDelta != want {
		t.Errorf("first delta percentiles %v, want %v", s.firstDelta, want)
	}
	if want := [3]time.Duration{51 * ms, 96 * ms, 100 * ms}; s.finish != want {
		t.Errorf("done percentiles %v, want %v", s.finish, want)
	}
	// 103 questions due at 10/s: the last was due 10.2 s after the first, and took 101 ms at most.
	if want := 100 / 10.301; s.rate < want-0.001 || s.rate > want+0.001 {
		t.Errorf("rate %.3f/s, want %.3f/s", s.rate, want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -20000: "-20,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
