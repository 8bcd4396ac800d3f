package clocktest

import (
	"testing"
	"time"
)

func TestTheClockReadsOnlyWhatItIsSetTo(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	c := New(t0)
	steps := []struct {
		name string
		move func()
		want time.Time
	}{
		{"a new clock reads its start", func() {}, t0},
		{"advance moves it forth", func() { c.Advance(time.Hour) }, t0.Add(time.Hour)},
		{"a negative advance moves it back", func() { c.Advance(-2 * time.Hour) }, t0.Add(-time.Hour)},
		{"set moves it anywhere", func() { c.Set(t0.AddDate(1, 0, 0)) }, t0.AddDate(1, 0, 0)},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.move()
			if got := c.Now(); !got.Equal(s.want) {
				t.Errorf("Now() = %v, want %v", got, s.want)
			}
		})
	}
}
