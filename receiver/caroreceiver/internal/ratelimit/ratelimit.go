// Package ratelimit is the caro receiver's per-client rate limit: one token
// bucket per client key, with a bounded number of buckets so that a flood
// of distinct clients cannot grow memory without limit (Limiter), and the
// key itself, the client's address: the connection's, or behind trusted
// proxies the one they forward (Keyer).
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limiter hands out tokens per key. The zero value is not usable; call New.
// A Limiter is safe for concurrent use.
type Limiter struct {
	rate       float64 // tokens per second
	burst      float64
	maxClients int
	now        func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter allowing perMinute requests a minute per key on
// average, bursts of burst, tracking at most maxClients keys. now is the
// clock (nil: time.Now).
func New(perMinute float64, burst, maxClients int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: perMinute / 60, burst: float64(max(burst, 1)), maxClients: max(maxClients, 1),
		now: now, buckets: make(map[string]*bucket)}
}

// Allow takes a token for key. When none is left it returns false and how
// long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxClients {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if l.rate <= 0 {
		return false, time.Hour
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// evict makes room: first the buckets that have refilled (their clients
// lose nothing), and if none has, the least recently used one. O(n) but
// only when the table is full.
func (l *Limiter) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
			continue
		}
		if oldestKey == "" || b.last.Before(oldest) {
			oldestKey, oldest = k, b.last
		}
	}
	if len(l.buckets) >= l.maxClients {
		delete(l.buckets, oldestKey)
	}
}

// Clients returns how many keys are tracked.
func (l *Limiter) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
