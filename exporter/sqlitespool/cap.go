package sqlitespool

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Sizes derived from the cap, which bounds the database file plus its WAL
// (what a crash leaves on disk). The WAL is checkpointed, and truncated on
// reset, past walShare of the cap; between checkpoints it also holds the
// pages of the transaction in progress: the batch, plus for an eviction
// about evictFrames pages written per page evicted (table, index, freelist
// and pointer-map pages, and pages moved by the vacuum). The reserve is
// twice the WAL budget plus that; what is left is the high-water mark of
// the pages in use. Eviction frees down to a low-water mark one step
// (cap / evictShare) below it, so a full spool evicts once per step rather
// than on every append.
const (
	walShare     = 32 // WAL budget = cap / walShare (at least minWAL)
	minWAL       = 64 << 10
	evictShare   = 40 // eviction step = cap / evictShare
	evictFrames  = 3
	slackPages   = 4
	rowOverhead  = 160 // bytes per row beyond its payload (ids, dates, index entries)
	scanBatch    = 512 // rows read per step when choosing what to delete
	maxEvictLoop = 64
	idChunk      = 500 // ids bound per statement
)

// pageCounts returns the pages of the database and how many of them are
// free.
func (s *Spool) pageCounts(ctx context.Context, tx *sql.Tx) (pages, free int64, err error) {
	err = tx.StmtContext(ctx, s.stmts[pageCountsSQL]).QueryRowContext(ctx).Scan(&pages, &free)
	return pages, free, err
}

// usedBytes is the size of the pages in use, as the file will be once the
// free pages are vacuumed and the WAL checkpointed.
func (s *Spool) usedBytes(ctx context.Context, tx *sql.Tx) (int64, error) {
	pages, free, err := s.pageCounts(ctx, tx)
	return (pages - free) * s.pageSize, err
}

// vacuum gives free pages back to the file system after deletions: all of
// them but one eviction step's worth, which the next appends reuse without
// moving pages around, and in any case those above the high-water mark.
// Moving pages costs WAL frames, so a full spool that evicts a little at a
// time does not rewrite its tail on every append.
func (s *Spool) vacuum(ctx context.Context, tx *sql.Tx) error {
	pages, free, err := s.pageCounts(ctx, tx)
	if err != nil {
		return err
	}
	keep := (s.high - s.low) / s.pageSize
	n := max(free-keep, pages-s.high/s.pageSize)
	if n <= 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum("+strconv.FormatInt(min(n, free), 10)+")")
	return err
}

// enforceCap deletes the oldest events until the pages in use fit under the
// high-water mark, aiming at the low-water mark: transmitted events first
// (their data is already delivered), then pending ones. It measures after
// each step, so the per-row estimate only sets the step size.
func (s *Spool) enforceCap(ctx context.Context, tx *sql.Tx) (evicted, dropped int, err error) {
	for range maxEvictLoop {
		used, err := s.usedBytes(ctx, tx)
		if err != nil {
			return evicted, dropped, err
		}
		if used <= s.high {
			return evicted, dropped, nil
		}
		need := used - s.low
		n, freed, err := s.deleteOldest(ctx, tx, true, need)
		if err != nil {
			return evicted, dropped, err
		}
		evicted += n
		m := 0
		if freed < need {
			if m, _, err = s.deleteOldest(ctx, tx, false, need-freed); err != nil {
				return evicted, dropped, err
			}
			dropped += m
		}
		if n+m == 0 {
			return evicted, dropped, nil // nothing left to delete
		}
	}
	return evicted, dropped, nil
}

// deleteOldest deletes the oldest events of one class whose estimated
// footprint adds up to need bytes, and returns how many rows and estimated
// bytes it deleted.
func (s *Spool) deleteOldest(ctx context.Context, tx *sql.Tx, transmitted bool, need int64) (int, int64, error) {
	sel := "SELECT id, size FROM events WHERE transmitted_at IS NULL ORDER BY id LIMIT ?"
	if transmitted {
		sel = "SELECT id, size FROM events WHERE transmitted_at IS NOT NULL ORDER BY transmitted_at, id LIMIT ?"
	}
	var ids []int64
	var freed int64
	rows, err := tx.QueryContext(ctx, sel, need/rowOverhead+1) // enough rows even if all were empty
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() && freed < need {
		var id, size int64
		if err := rows.Scan(&id, &size); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
		freed += size + rowOverhead
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	n, err := deleteIDs(ctx, tx, ids)
	return n, freed, err
}

func deleteIDs(ctx context.Context, tx *sql.Tx, ids []int64) (int, error) {
	total := 0
	err := inChunks(ids, func(in string, args []any) error {
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE id IN ("+in+")", args...)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		total += int(n)
		return nil
	})
	return total, err
}

// inChunks calls f with at most idChunk ids at a time, as a list of
// placeholders and its arguments.
func inChunks(ids []int64, f func(in string, args []any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), idChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if err := f(strings.Repeat("?,", n-1)+"?", args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
