package sqlitespool

import "context"

// Prepare opens the spool in the background, so that the first Export (at
// a CLI's exit, usually) finds it open: the open overlaps with the caller's
// own work instead of adding to its exit time. It returns at once, does
// nothing when the spool is open, failed to open or is shut down, and
// reports an open failure like Export would (once, through onError).
func (e *Exporter) Prepare() {
	go func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.shutdown {
			return
		}
		e.open(context.Background())
	}()
}
