package cli

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestInterruptionExitCodes(t *testing.T) {
	tests := []struct {
		sig  os.Signal
		want int
	}{
		{os.Interrupt, 130},
		{syscall.SIGHUP, 129},
		{syscall.SIGTERM, 143},
	}
	for _, tt := range tests {
		t.Run(tt.sig.String()+" exits with 128 plus its number", func(t *testing.T) {
			err := (&interruption{sig: tt.sig}).exit()
			if ee, ok := err.(*exitError); !ok || ee.code != tt.want || ee.msg != "" {
				t.Errorf("exit() = %#v, want code %d and no message", err, tt.want)
			}
		})
	}
}

// What catching the signals costs a session on its own path (the
// installation runs beside it): first-ns is a process's first session,
// when os/signal starts; await-ns how long after that the signals were
// caught.
func BenchmarkCatchInterrupts(b *testing.B) {
	start := time.Now()
	in := catchInterrupts(context.Background())
	first := time.Since(start)
	in.await()
	ready := time.Since(start)
	in.stop()
	b.ReportAllocs()
	for b.Loop() {
		in := catchInterrupts(context.Background())
		in.stop()
	}
	b.ReportMetric(float64(first.Nanoseconds()), "first-ns")
	b.ReportMetric(float64(ready.Nanoseconds()), "await-ns")
}
