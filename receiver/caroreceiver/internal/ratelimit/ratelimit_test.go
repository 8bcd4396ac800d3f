package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestABurstIsAllowedThenTheRate(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := New(60, 3, 10, c.now) // one a second, bursts of 3
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != time.Second {
		t.Fatalf("4th request: %v, wait %v; want refused, 1s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another client was refused")
	}
	c.t = c.t.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("refused after a second")
	}
}

func TestTheTableOfClientsIsBounded(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := New(60, 2, 100, c.now)
	for i := range 1000 {
		l.Allow(fmt.Sprint("client", i))
		l.Allow(fmt.Sprint("client", i))
		c.t = c.t.Add(time.Millisecond)
	}
	if n := l.Clients(); n > 100 {
		t.Fatalf("%d clients tracked, want at most 100", n)
	}
}

func TestAZeroRateRefusesAfterTheBurst(t *testing.T) {
	l := New(0, 1, 1, nil)
	l.Allow("a")
	if ok, wait := l.Allow("a"); ok || wait <= 0 {
		t.Fatalf("%v %v", ok, wait)
	}
}
