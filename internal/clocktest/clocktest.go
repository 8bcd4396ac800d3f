// Package clocktest gives tests a clock they set by hand, for the code
// that takes its time from a func() time.Time (the spool, the upload and
// its state, caro's cli.Env.Now).
package clocktest

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use: Now returns what
// the last Set or Advance left, never the real time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t, back or forth.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forth by d (back when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
