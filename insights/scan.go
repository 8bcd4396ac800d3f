package insights

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"caro.sh/telemetry/store"
	"golang.org/x/sync/errgroup"
)

// scanFacts computes the facts of factsTemplate, the same rows, from one
// read of each event of the window instead of its joins and sorts: on
// stores of millions of events those cost minutes in SQLite, where reading
// the events costs seconds. It is scanWindows of one window.
func scanFacts(ctx context.Context, s *store.Store, from, to time.Time) ([]fact, error) {
	out, err := scanWindows(ctx, s, []window{{from, to}})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// window is a span of time [from, to) whose facts scanWindows computes.
type window struct{ from, to time.Time }

// scanWindows computes the facts of each window, each as scanFacts. The
// events are read by one of two plans (see walkShare), and the queries run
// concurrently on up to scanReaders connections, each aggregating its
// rows in Go; the partial sums are then added up.
//
//   - By the index: each query reads one event type over one UTC day of
//     one window (a range of the index on (event_type, event_time)).
//   - By a walk of the table (SQLite, when the windows hold much of the
//     store): each query reads a range of rowids, every event of the
//     phase's types in any of the windows, in the table's own order, and
//     hands each to the windows it is in. Finding each row of an index
//     range in the table costs SQLite a descent of the table's B-tree,
//     more than the rest of the row's read; a walk reads the windows of a
//     weekly review (this week and the last) in one pass.
//
// A session's dimensions (sess) come from its session.start anywhere in
// the window, and a generation's execution (unmodified) from any time
// after the window's start: so the scan runs in two phases. The first
// reads session.start, command.executed and safety.triggered (the
// sessions, the generations executed unmodified, the blocks); the second
// reads the events that need those (command.generated, session.end,
// error.occurred) and, once all is read, the facts that needed both
// (sessions, active ids, blocks) are resolved.
//
// factsTemplate stays the definition that the Grafana panels run, and
// TestScanFactsEqualTheFactsSQL holds both plans to the same facts.
func scanWindows(ctx context.Context, s *store.Store, ws []window) ([][]fact, error) {
	rd := newReaders(s)
	defer rd.close()
	var mu sync.Mutex
	// One numbering of ids for all the windows: a scan looks the
	// generations of the next window's up in its table (scan.next).
	var keys ids
	scans := make([]*scan, len(ws))
	span := window{}
	for i, w := range ws {
		scans[i] = newScan(s, rd, &mu, &keys, w.from, w.to)
		if i == 0 || w.from.Before(span.from) {
			span.from = w.from
		}
		if i == 0 || w.to.After(span.to) {
			span.to = w.to
		}
	}
	if len(ws) == 0 {
		return nil, nil
	}
	for i, w := range ws {
		for j, v := range ws {
			if j != i && v.from.Equal(w.to) && scans[j].next != scans[i] {
				scans[i].next = scans[j]
				break
			}
		}
	}
	walk, err := walkRange(ctx, rd, s, span)
	if err != nil {
		return nil, fmt.Errorf("scan events: %w", err)
	}
	for p := range scanPhases {
		var tasks []scanTask
		if walk != nil {
			tasks = walkTasks(scans, p, span, walk)
		} else {
			for _, sc := range scans {
				tasks = append(tasks, sc.indexTasks(sc.phases()[p])...)
			}
		}
		if err := runTasks(ctx, rd, tasks, &mu); err != nil {
			return nil, err
		}
		if p == 0 {
			for _, sc := range scans {
				sc.resolveSessions()
			}
		}
	}
	out := make([][]fact, len(scans))
	for i, sc := range scans {
		out[i] = sc.finish()
	}
	return out, nil
}

func newScan(s *store.Store, rd *readers, mu *sync.Mutex, keys *ids, from, to time.Time) *scan {
	d := s.Dialect()
	sc := &scan{s: s, rd: rd, mu: mu, ids: keys, blockedGen: map[string]string{}, counts: map[fact]int64{},
		dayOf: map[string]int{}, from: d.TimeArg(from), to: d.TimeArg(to)}
	for a := from; a.Before(to); {
		b := Day(a).AddDate(0, 0, 1)
		if b.After(to) {
			b = to
		}
		name := a.UTC().Format(time.DateOnly)
		sc.dayOf[name] = len(sc.days)
		sc.days = append(sc.days, scanDay{name: name, from: d.TimeArg(a), to: d.TimeArg(b)})
		a = b
	}
	return sc
}

// scanPhases is the number of phases of a scan.
const scanPhases = 2

// scanPhase is what one phase of a scan reads: event types, and (after)
// the executions after the window.
type scanPhase struct {
	types []scanType
	after *scanType
}

// phases are the scan's two phases: the first gives each session its
// dimensions, and finds the unmodified generations and the blocks; the
// second reads the events that need them.
func (sc *scan) phases() [scanPhases]scanPhase {
	return [scanPhases]scanPhase{
		{types: []scanType{
			{"session.start", []string{"e.session_id", "@primary", "@os", "@arch", "@shell", "@first_run",
				"@safety_level", "@output_format", "@fallback"}, sc.readStarts},
			{"command.executed", []string{"e.session_id", "@generation", "@modified", "@execution_mode"}, sc.readExec},
			{"safety.triggered", []string{"e.session_id", "@generation", "@action", "@risk_level", "@override"},
				sc.readSafety},
		},
			// A generation of the window executed unmodified after it is
			// unmodified too.
			after: &scanType{"command.executed", []string{"@generation", "@modified"}, sc.readExecAfter}},
		{types: []scanType{
			{"command.generated", []string{"e.session_id", "@generation", "@backend_used", "@inference_ms",
				"@model_name"}, sc.readGen},
			{"session.end", []string{"e.session_id", "@ttfc_ms", "@retries", "@executed"}, sc.readEnds},
			{"error.occurred", []string{"e.session_id", "@error_backend", "@error_category", "@component"},
				sc.readErrs},
		}},
	}
}

// scanReaders is how many queries of scanFacts run at once: the CPUs, up
// to 4 (the connections a PostgreSQL store's pool has at least).
var scanReaders = min(runtime.GOMAXPROCS(0), 4)

// scanType is what scanFacts reads of one event type: its columns (field
// aliases of factFields, or e.session_id), and read, which returns the
// function that takes each row of the type over one day (its columns in
// cols' order) and the merge that adds them up to the scan, under its
// lock.
type scanType struct {
	event string
	cols  []string
	read  func(day int) (row func(cursor), merge func())
}

// scanDay is one UTC day of the window (or the part of it in the window).
type scanDay struct {
	name     string // YYYY-MM-DD
	from, to any    // the query arguments that bound it
}

// scanTask is one query of scanFacts: consume reads its rows, locally,
// and returns a merge that runTasks applies under the scans' lock.
type scanTask struct {
	query   string
	args    []any
	consume func(c cursor) (merge func())
}

// indexTasks read each type of the phase over each day by the index, and
// the executions after the window.
func (sc *scan) indexTasks(ph scanPhase) []scanTask {
	var tasks []scanTask
	if a := ph.after; a != nil && sc.next == nil {
		q := "SELECT " + strings.Join(a.cols, ", ") + " FROM events e WHERE e.event_type = '" + a.event +
			"' AND e.event_time >= {1} AND @modified = false AND @generation IS NOT NULL"
		tasks = append(tasks, scanTask{query: q, args: []any{sc.to}, consume: each(a.read(-1))})
	}
	for day := range sc.days {
		for _, t := range ph.types {
			q := "SELECT " + strings.Join(t.cols, ", ") + " FROM events e WHERE e.event_type = '" + t.event +
				"' AND e.event_time >= {1} AND e.event_time < {2}"
			tasks = append(tasks, scanTask{query: q, args: []any{sc.days[day].from, sc.days[day].to},
				consume: each(t.read(day))})
		}
	}
	return tasks
}

// each consumes every row with row.
func each(row func(cursor), merge func()) func(cursor) func() {
	return func(c cursor) func() {
		for c.Next() {
			row(c)
		}
		return merge
	}
}

// walkShare is the share of the store's rows (by rowid) that the windows
// must span for scanWindows to walk the table rather than read by the
// index: a walk steps over every row of the store twice (a phase each),
// and reading a row by the index costs about four steps more than
// reading it in a walk (5.6 s by the index, 3.1 s by a walk that stepped
// over 10 million rows for the 3.85 million it read, on 2 cores). A
// weekly review of a store of its two weeks, 10 million events
// (BenchmarkWeekly, one after the other): 20.2 s by the index, 12.6 s by
// the walk.
const walkShare = 0.25

// walkChunk is how many rowids one query of a walk covers: enough to
// share the work among the readers, few enough that the partial sums of
// a query stay small. A variable for tests.
var walkChunk int64 = 250_000

// scanPlan forces a plan for tests: "walk", "index", or "" (walkShare
// decides).
var scanPlan = ""

// walkRange returns the rowids [first, last] of the table when the scan of
// span walks it, nil when it reads by the index. The span's share of the
// rows is estimated from the rowids of its first session.start and of the
// first one after it: rowids follow arrival, which follows the events'
// time except for the events of clients that were offline. Either plan
// reads the same rows: the estimate only picks the faster.
func walkRange(ctx context.Context, rd *readers, s *store.Store, span window) (*[2]int64, error) {
	if s.Dialect().Name() != "sqlite" || scanPlan == "index" {
		return nil, nil
	}
	var first, last, lo, hi sql.NullInt64
	d := s.Dialect()
	// Each a subquery of its own: min and max of rowid beside anything
	// else would be a scan of the table.
	err := rd.query(ctx, "SELECT (SELECT min(rowid) FROM events), (SELECT max(rowid) FROM events), "+
		"(SELECT rowid FROM events WHERE event_type = 'session.start' AND event_time >= ?1 "+
		"ORDER BY event_type, event_time LIMIT 1), "+
		"(SELECT rowid FROM events WHERE event_type = 'session.start' AND event_time >= ?2 "+
		"ORDER BY event_type, event_time LIMIT 1)", []any{d.TimeArg(span.from), d.TimeArg(span.to)},
		func(c cursor) error {
			for c.Next() {
				for i, v := range []*sql.NullInt64{&first, &last, &lo, &hi} {
					v.Int64, v.Valid = c.Int(i)
				}
			}
			return nil
		})
	if err != nil || !first.Valid {
		return nil, err
	}
	r := &[2]int64{first.Int64, last.Int64}
	if scanPlan == "walk" {
		return r, nil
	}
	if !lo.Valid {
		return nil, nil // no session in the span or after it
	}
	if !hi.Valid {
		hi.Int64 = last.Int64 + 1
	}
	if float64(hi.Int64-lo.Int64) < walkShare*float64(last.Int64-first.Int64+1) {
		return nil, nil
	}
	return r, nil
}

// walkTasks read the rowids of r in chunks, each row of phase p's types
// in the span, and the executions after it.
func walkTasks(scans []*scan, p int, span window, r *[2]int64) []scanTask {
	ph := scans[0].phases()[p] // the same types and columns for every scan
	// One column list for every type: each type's columns, once each.
	var cols []string
	at := map[string]int{}
	index := func(list []string) []int {
		var out []int
		for _, c := range list {
			if _, ok := at[c]; !ok {
				at[c] = len(cols) + 2 // after event_type and event_time
				cols = append(cols, c)
			}
			out = append(out, at[c])
		}
		return out
	}
	w := &walk{scans: scans, p: p}
	var names []string
	for _, t := range ph.types {
		w.maps = append(w.maps, index(t.cols))
		names = append(names, "e.event_type = '"+t.event+"'")
	}
	// Equalities, not IN: SQLite tests an IN list by a lookup in a
	// temporary index, for each row.
	where := "e.event_time < {2} AND (" + strings.Join(names, " OR ") + ")"
	if ph.after != nil {
		w.after, w.afterMap = ph.after.event, index(ph.after.cols)
		where = "(" + where + " OR e.event_type = '" + ph.after.event + "')"
	}
	// NOT INDEXED: by its statistics, SQLite would rather read each chunk
	// through the index of (event_type, event_time), the whole span's
	// range of it for every chunk.
	q := "SELECT e.event_type, e.event_time, " + strings.Join(cols, ", ") + " FROM events e NOT INDEXED " +
		"WHERE e.rowid >= {3} AND e.rowid < {4} AND e.event_time >= {1} AND " + where
	d := scans[0].s.Dialect()
	var tasks []scanTask
	for lo := r[0]; lo <= r[1]; lo += walkChunk {
		tasks = append(tasks, scanTask{query: q, args: []any{d.TimeArg(span.from), d.TimeArg(span.to), lo, lo + walkChunk},
			consume: w.rows})
	}
	return tasks
}

// walk is how a walk's rows reach the scans: the phase, and each of its
// type's columns in the walk's column list.
type walk struct {
	scans    []*scan
	p        int
	maps     [][]int
	after    string // the type read after the window too, or ""
	afterMap []int
}

// rows hands each row of a walk to the reader of its type, window and
// day, or of the executions after a window.
func (w *walk) rows(c cursor) func() {
	type sink struct {
		row   func(cursor)
		merge func()
	}
	phases := make([]scanPhase, len(w.scans))
	bounds := make([][2]string, len(w.scans))
	for i, sc := range w.scans {
		phases[i] = sc.phases()[w.p]
		// A walk is SQLite's: times are text in one format, which
		// compares as the times do.
		bounds[i] = [2]string{sc.from.(string), sc.to.(string)}
	}
	sinks := map[[3]int]*sink{}
	afters := make([]*sink, len(w.scans))
	views := make([]remap, len(w.maps))
	for i := range w.maps {
		views[i] = remap{c, w.maps[i]}
	}
	afterView := remap{c, w.afterMap}
	// The rows of a chunk arrived together: most are of the day of the
	// row before, in each window.
	lastDay := make([]struct {
		name string
		day  int
	}, len(w.scans))
	for i := range lastDay {
		lastDay[i].day = -1
	}
	types := phases[0].types
	for c.Next() {
		name, _ := c.Text(0)
		at, _ := c.Text(1)
		t := -1
		for j := range types {
			if string(name) == types[j].event {
				t = j
				break
			}
		}
		isAfter := w.after != "" && string(name) == w.after
		for i, sc := range w.scans {
			if isAfter && string(at) >= bounds[i][1] {
				if sc.next != nil {
					continue // sc.next reads it
				}
				s := afters[i]
				if s == nil {
					s = &sink{}
					s.row, s.merge = phases[i].after.read(-1)
					afters[i] = s
				}
				s.row(&afterView)
				continue
			}
			if t < 0 || string(at) < bounds[i][0] || string(at) >= bounds[i][1] || len(at) < len(time.DateOnly) {
				continue
			}
			last := &lastDay[i]
			day := last.day
			if day < 0 || string(at[:len(time.DateOnly)]) != last.name {
				var ok bool
				if day, ok = sc.dayOf[string(at[:len(time.DateOnly)])]; !ok {
					continue
				}
				last.name, last.day = sc.days[day].name, day
			}
			k := [3]int{i, t, day}
			s := sinks[k]
			if s == nil {
				s = &sink{}
				s.row, s.merge = phases[i].types[t].read(day)
				sinks[k] = s
			}
			s.row(&views[t])
		}
	}
	return func() {
		for _, s := range afters {
			if s != nil {
				s.merge()
			}
		}
		for _, s := range sinks {
			s.merge()
		}
	}
}

// remap is a cursor whose column i is column cols[i] of c.
type remap struct {
	c    cursor
	cols []int
}

func (r remap) Next() bool                { return r.c.Next() }
func (r remap) Err() error                { return r.c.Err() }
func (r remap) Text(i int) ([]byte, bool) { return r.c.Text(r.cols[i]) }
func (r remap) Int(i int) (int64, bool)   { return r.c.Int(r.cols[i]) }
func (r remap) Bool(i int) (bool, bool)   { return r.c.Bool(r.cols[i]) }

// sessDims are a session's dimensions as factsTemplate's sess gives them:
// the max of each over the session's session.start, NULLs aside.
type sessDims struct {
	primary, os, arch, shell sql.NullString
	first                    bool
}

func maxNull(a *sql.NullString, b sql.NullString) {
	if b.Valid && (!a.Valid || b.String > a.String) {
		*a = b
	}
}

// dims are the dimensions of a fact, as rawFacts reads them.
type dims struct{ backend, os, arch, shell, run string }

// noSession are the dimensions of an event whose session has no
// session.start in the window.
var noSession = &dims{"unknown", "unknown", "unknown", "unknown", "unknown"}

// scan is the state of one scanFacts.
type scan struct {
	s    *store.Store
	rd   *readers
	mu   *sync.Mutex // shared by the scans of one scanWindows
	days []scanDay
	// dayOf maps a day's name to its index in days; from and to are the
	// window's bounds as query arguments.
	dayOf    map[string]int
	from, to any

	ids *ids // shared by the scans of one scanWindows
	// Phase 1: sess maps each session id to its index in sessions;
	// starts are the session ids of each day's session.start, in order.
	sess       idTable
	sessions   []int32 // the number of each session's dimensions in combos
	combos     []sessDims
	comboOf    map[sessDims]int32
	starts     [][]int32
	unmodified idTable
	// next is the scan of the window that starts where this one ends,
	// or nil. Its unmodified generations are, with its own, those
	// executed after it: this scan's executions after its window,
	// which it reads once for both (unmodifiedAfter).
	next   *scan
	blocks []block
	// active are the session ids with an event, by day: ids with a
	// session.start in the window as bits of their index (activeBits),
	// others as keys (activeIDs); those of phase 1 are listed (activeList)
	// until the sessions are known.
	activeIDs  []map[idKey]bool
	activeList [][]idKey
	activeBits [][]uint64
	// blocked are the generations blocked (resolved after phase 1), and
	// blockedGen the backend of each that was generated (the max).
	blocked    map[string]bool
	blockedGen map[string]string
	counts     map[fact]int64
	// Resolved after phase 1: each session's dimensions, interned.
	dims []*dims
}

// block is one safety.triggered that blocked.
type block struct {
	day      int
	gid, sid sql.NullString
	extra    string
	override bool
}

// runTasks runs tasks on up to scanReaders connections; their merges run
// under mu.
func runTasks(ctx context.Context, rd *readers, tasks []scanTask, mu *sync.Mutex) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scanReaders)
	for _, t := range tasks {
		if gctx.Err() != nil {
			break // a task failed: the rest would only fail too
		}
		g.Go(func() error {
			var merge func()
			err := rd.query(gctx, render(t.query, factFields, rd.s.Dialect()), t.args, func(c cursor) error {
				merge = t.consume(c)
				return c.Err()
			})
			if err != nil {
				return fmt.Errorf("scan events: %w", err)
			}
			mu.Lock()
			merge()
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// addFact adds n to a fact; dimensions are d's, Arch and Shell for sessions
// only.
func addFact(counts map[fact]int64, day, name string, d dims, extra string, v, n int64) {
	f := fact{Day: day, Name: name, Backend: d.backend, OS: d.os, Arch: "unknown", Shell: "unknown", Run: d.run,
		Extra: extra, V: v}
	if name == factSessions {
		f.Arch, f.Shell = d.arch, d.shell
	}
	counts[f] += n
}

// tally is a fact of one query's day, keyed cheaply: its dimensions
// interned, backend set only where the event names its own, and its
// strings by their bytes' address and length (interned by the query's
// interners, or constants), which hash and compare as a block of words
// where the strings' bytes would be read. Two tallies of one string at
// two addresses are still one fact: mergeTallies adds them up by the
// strings.
type tally struct {
	name, backend, extra strKey
	d                    *dims
	v                    int64
}

// strKey is a string by its bytes' address and length.
type strKey struct {
	p *byte
	n int
}

func keyOf(s string) strKey { return strKey{unsafe.StringData(s), len(s)} }

func (k strKey) String() string { return unsafe.String(k.p, k.n) }

// tallies count the facts of one query.
type tallies map[tally]int64

func (t tallies) add(name string, d *dims, backend, extra string, v int64) {
	t[tally{keyOf(name), keyOf(backend), keyOf(extra), d, v}]++
}

// mergeTallies adds the tallies of a day to the scan's facts (under its
// lock).
func (sc *scan) mergeTallies(day int, t tallies) {
	for k, n := range t {
		d := *k.d
		if k.backend.n > 0 {
			d.backend = k.backend.String()
		}
		addFact(sc.counts, sc.days[day].name, k.name.String(), d, k.extra.String(), k.v, n)
	}
}

// markActive records, under the lock, that the session ids were active
// on the day.
func (sc *scan) markActive(day int, ids map[idKey]bool) {
	if sc.activeIDs == nil {
		sc.activeIDs = make([]map[idKey]bool, len(sc.days))
	}
	if sc.activeIDs[day] == nil {
		sc.activeIDs[day] = map[idKey]bool{}
	}
	for id := range ids {
		sc.activeIDs[day][id] = true
	}
}

func (sc *scan) readStarts(day int) (row func(cursor), merge func()) {
	// A start's dimensions are one of few combinations: a start keeps
	// its number in combos (millions of starts, a few dozen of them).
	type start struct {
		sid   idKey
		combo int32
	}
	var combos []sessDims
	comboOf := map[sessDims]int32{}
	type feature struct {
		primary, safety, format string
		fallback                bool
	}
	var starts []start
	features := map[feature]int64{}
	var noSid int64
	// The few values of the dimensions, once each: not a string per
	// session for the garbage collector to mark.
	values := interner{}
	row = func(c cursor) {
		sd := sessDims{primary: values.null(c.Text(1)), os: values.null(c.Text(2)), arch: values.null(c.Text(3)),
			shell: values.null(c.Text(4))}
		sd.first, _ = c.Bool(5)
		fallback, _ := c.Bool(8)
		features[feature{sd.primary.String, values.of(c.Text(6)), values.of(c.Text(7)), fallback}]++
		sid, ok := c.Text(0)
		if !ok {
			noSid++ // no session: it joins none
			return
		}
		n, ok := comboOf[sd]
		if !ok {
			n = int32(len(combos))
			comboOf[sd] = n
			combos = append(combos, sd)
		}
		starts = append(starts, start{sc.ids.key(sid), n})
	}
	return row, func() {
		for f, n := range features {
			fb := "off"
			if f.fallback {
				fb = "on"
			}
			addFact(sc.counts, sc.days[day].name, factFeatures, *noSession, "backend:"+f.primary+" safety_level:"+f.safety+
				" output_format:"+f.format+" fallback:"+fb, 0, n)
		}
		if noSid > 0 {
			addFact(sc.counts, sc.days[day].name, factSessions, *noSession, "", 0, noSid)
		}
		if sc.starts == nil {
			sc.starts = make([][]int32, len(sc.days))
		}
		global := make([]int32, len(combos))
		for i, sd := range combos {
			global[i] = sc.combo(sd)
		}
		ids := make([]int32, 0, len(starts))
		for _, st := range starts {
			c := global[st.combo]
			i, ok := sc.sess.get(st.sid)
			if !ok {
				i = int32(len(sc.sessions))
				sc.sess.set(st.sid, i)
				sc.sessions = append(sc.sessions, c)
			} else if old := sc.sessions[i]; old != c {
				// Another start of the session: the max of each.
				sd := sc.combos[old]
				other := sc.combos[c]
				maxNull(&sd.primary, other.primary)
				maxNull(&sd.os, other.os)
				maxNull(&sd.arch, other.arch)
				maxNull(&sd.shell, other.shell)
				sd.first = sd.first || other.first
				sc.sessions[i] = sc.combo(sd)
			}
			ids = append(ids, i)
		}
		sc.starts[day] = append(sc.starts[day], ids...)
	}
}

// combo is the number of a combination of dimensions in sc.combos (under
// the lock).
func (sc *scan) combo(sd sessDims) int32 {
	if sc.comboOf == nil {
		sc.comboOf = map[sessDims]int32{}
	}
	n, ok := sc.comboOf[sd]
	if !ok {
		n = int32(len(sc.combos))
		sc.comboOf[sd] = n
		sc.combos = append(sc.combos, sd)
	}
	return n
}

// interner gives the one string of each value of a field with few
// values (a platform, a backend, a category), read from bytes without a
// copy per row.
type interner map[string]string

func (in interner) of(b []byte, _ bool) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

func (in interner) null(b []byte, ok bool) sql.NullString {
	if !ok {
		return sql.NullString{}
	}
	return sql.NullString{String: in.of(b, ok), Valid: true}
}

// prefixer gives prefix+value ("model_name=...") for each value once.
type prefixer struct {
	prefix string
	in     interner
}

func newPrefixer(prefix string) prefixer { return prefixer{prefix, interner{}} }

// of is prefix+value; "" for NULL.
func (p prefixer) of(b []byte, ok bool) string {
	if !ok {
		return ""
	}
	if s, ok := p.in[string(b)]; ok {
		return s
	}
	s := p.prefix + string(b)
	p.in[string(b)] = s
	return s
}

func (sc *scan) readExec(day int) (row func(cursor), merge func()) {
	type feature struct {
		mode string
		edit bool
	}
	features := map[feature]int64{}
	values := interner{}
	var active, unmodified []idKey
	row = func(c cursor) {
		modified, modOK := c.Bool(2)
		features[feature{values.of(c.Text(3)), modified}]++
		if gid, ok := c.Text(1); ok && modOK && !modified {
			unmodified = append(unmodified, sc.ids.key(gid))
		}
		if sid, ok := c.Text(0); ok {
			active = append(active, sc.ids.key(sid))
		}
	}
	return row, func() {
		for f, n := range features {
			edit := ""
			if f.edit {
				edit = " edit"
			}
			addFact(sc.counts, sc.days[day].name, factFeatures, *noSession, "execution_mode:"+f.mode+edit, 0, n)
		}
		sc.listActive(day, active)
		for _, g := range unmodified {
			sc.unmodified.set(g, 1)
		}
	}
}

// listActive lists, under the lock, session ids active on the day, for
// finish.
func (sc *scan) listActive(day int, ids []idKey) {
	if sc.activeList == nil {
		sc.activeList = make([][]idKey, len(sc.days))
	}
	sc.activeList[day] = append(sc.activeList[day], ids...)
}

// unmodifiedAfter says whether generation k was executed unmodified in
// the window or after it: in this scan's unmodified, or in those of the
// scans of the windows that follow it.
func (sc *scan) unmodifiedAfter(k idKey) bool {
	for s := sc; s != nil; s = s.next {
		if s.unmodified.has(k) {
			return true
		}
	}
	return false
}

func (sc *scan) readExecAfter(_ int) (row func(cursor), merge func()) {
	var unmodified []idKey
	row = func(c cursor) {
		// A walk reads every execution after the window: the modified
		// ones count for nothing.
		if modified, ok := c.Bool(1); !ok || modified {
			return
		}
		if gid, ok := c.Text(0); ok {
			unmodified = append(unmodified, sc.ids.key(gid))
		}
	}
	return row, func() {
		for _, g := range unmodified {
			sc.unmodified.set(g, 1)
		}
	}
}

func (sc *scan) readSafety(day int) (row func(cursor), merge func()) {
	var active []idKey
	var blocks []block
	row = func(c cursor) {
		sid, sidOK := c.Text(0)
		if sidOK {
			active = append(active, sc.ids.key(sid))
		}
		if action, ok := c.Text(2); !ok || string(action) != "blocked" {
			return
		}
		override, _ := c.Bool(4)
		b := block{day: day, gid: nullString(c.Text(1)), sid: nullString(sid, sidOK), override: override}
		if risk, ok := c.Text(3); ok {
			b.extra = "risk_level=" + string(risk)
		}
		blocks = append(blocks, b)
	}
	return row, func() {
		sc.listActive(day, active)
		sc.blocks = append(sc.blocks, blocks...)
	}
}

// resolveSessions turns each session's dimensions into a fact's, as
// factsTemplate packs them (os|run, arch|shell) and rawFacts unpacks
// them, and marks the blocked generations.
func (sc *scan) resolveSessions() {
	interned := map[dims]*dims{}
	or := func(s sql.NullString) string {
		if s.Valid {
			return s.String
		}
		return "unknown"
	}
	comboDims := make([]*dims, len(sc.combos))
	for i, sd := range sc.combos {
		run := "returning"
		if sd.first {
			run = "first"
		}
		os, run, _ := strings.Cut(or(sd.os)+"|"+run, "|")
		arch, shell, _ := strings.Cut(or(sd.arch)+"|"+or(sd.shell), "|")
		d := dims{orUnknown(or(sd.primary)), orUnknown(os), orUnknown(arch), orUnknown(shell), orUnknown(run)}
		if interned[d] == nil {
			interned[d] = &d
		}
		comboDims[i] = interned[d]
	}
	sc.dims = make([]*dims, len(sc.sessions))
	for i, c := range sc.sessions {
		sc.dims[i] = comboDims[c]
	}
	sc.blocked = map[string]bool{}
	for _, b := range sc.blocks {
		if b.gid.Valid {
			sc.blocked[b.gid.String] = true
		}
	}
	sc.activeBits = make([][]uint64, len(sc.days))
}

// sessionOf is the dimensions of a session id, and its index (-1 for
// none).
func (sc *scan) sessionOf(sid sql.NullString) (*dims, int32) {
	d, i, _ := sc.session([]byte(sid.String), sid.Valid)
	return d, i
}

// session is sessionOf, and the id's key.
func (sc *scan) session(sid []byte, ok bool) (*dims, int32, idKey) {
	if !ok {
		return noSession, -1, idKey{}
	}
	k := sc.ids.key(sid)
	i, ok := sc.sess.get(k)
	if !ok {
		return noSession, -1, k
	}
	return sc.dims[i], i, k
}

// idKey is a session or generation id as a map key: packed into hi and
// lo when it is in the canonical form ids have (16 lowercase hex digits,
// or a UUID's 32 with their dashes), else numbered by ids; the kind is
// hi's top byte (a UUID's packed hi takes 48 bits), never 0, so that no
// id's key is the zero idKey (idTable's empty slot). Every id has one key
// and no two ids the same. Without pointers, the tables of millions of
// ids (idTable, and the maps of the ids without a session.start) hash
// and compare fast, and the garbage collector skips them.
type idKey struct{ hi, lo uint64 }

// Kinds of idKey, in hi's top byte.
const (
	idHex16    = 1 << 56
	idUUID     = 2 << 56
	idNumbered = 3 << 56
)

// ids numbers the ids not in canonical form, for idKey.
type ids struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (x *ids) key(s []byte) idKey {
	if k, ok := packedKey(s); ok {
		return k
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.n == nil {
		x.n = map[string]uint64{}
	}
	n, ok := x.n[string(s)]
	if !ok {
		n = uint64(len(x.n))
		x.n[string(s)] = n
	}
	return idKey{hi: idNumbered, lo: n}
}

// packedKey is the key of an id in canonical form.
func packedKey(s []byte) (idKey, bool) {
	switch len(s) {
	case 16:
		if v, ok := hexDigits(s, 0, 16); ok {
			return idKey{hi: idHex16, lo: v}, true
		}
	case 36:
		if s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
			a, ok1 := hexDigits(s, 0, 8)
			b, ok2 := hexDigits(s, 9, 13)
			c, ok3 := hexDigits(s, 14, 18)
			d, ok4 := hexDigits(s, 19, 23)
			e, ok5 := hexDigits(s, 24, 36)
			if ok1 && ok2 && ok3 && ok4 && ok5 {
				return idKey{hi: idUUID | a<<32 | b<<16 | c, lo: d<<48 | e}, true
			}
		}
	}
	return idKey{}, false
}

// hexDigits reads s[from:to] as lowercase hex digits (at most 16).
func hexDigits(s []byte, from, to int) (uint64, bool) {
	var v uint64
	for i := from; i < to; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// activity collects the active session ids of one phase-2 query.
type activity struct {
	bits []uint64
	ids  map[idKey]bool
}

func (sc *scan) newActivity() *activity {
	return &activity{bits: make([]uint64, (len(sc.sessions)+63)/64), ids: map[idKey]bool{}}
}

// mark marks an event's session active: i is its index, k its key.
func (a *activity) mark(hasSid bool, i int32, k idKey) {
	switch {
	case i >= 0:
		a.bits[i/64] |= 1 << (i % 64)
	case hasSid:
		a.ids[k] = true
	}
}

func (sc *scan) mergeActivity(day int, a *activity) {
	if sc.activeBits[day] == nil {
		sc.activeBits[day] = a.bits
	} else {
		for i, w := range a.bits {
			sc.activeBits[day][i] |= w
		}
	}
	sc.markActive(day, a.ids)
}

func (sc *scan) readGen(day int) (row func(cursor), merge func()) {
	counts := tallies{}
	act := sc.newActivity()
	blockedGen := map[string]string{}
	backends, models := interner{}, newPrefixer("model_name=")
	row = func(c cursor) {
		sid, sidOK := c.Text(0)
		d, i, k := sc.session(sid, sidOK)
		act.mark(sidOK, i, k)
		used, usedOK := c.Text(2)
		backend := orUnknown(backends.of(used, usedOK))
		counts.add(factGenerated, d, backend, "", 0)
		gid, gidOK := c.Text(1)
		if gidOK && sc.unmodifiedAfter(sc.ids.key(gid)) {
			counts.add(factUnmodified, d, backend, "", 0)
		}
		if ms, ok := c.Int(3); ok {
			counts.add(distInference, d, backend, models.of(c.Text(4)), ms)
		}
		if gidOK && usedOK && sc.blocked[string(gid)] {
			if cur, ok := blockedGen[string(gid)]; !ok || backends.of(used, true) > cur {
				blockedGen[string(gid)] = backends.of(used, true)
			}
		}
	}
	return row, func() {
		sc.mergeTallies(day, counts)
		sc.mergeActivity(day, act)
		for g, u := range blockedGen {
			if cur, ok := sc.blockedGen[g]; !ok || u > cur {
				sc.blockedGen[g] = u
			}
		}
	}
}

func (sc *scan) readEnds(day int) (row func(cursor), merge func()) {
	counts := tallies{}
	act := sc.newActivity()
	row = func(c cursor) {
		sid, sidOK := c.Text(0)
		d, i, k := sc.session(sid, sidOK)
		act.mark(sidOK, i, k)
		if retries, _ := c.Int(2); retries > 0 {
			counts.add(factRetried, d, "", "", 0)
		}
		if executed, _ := c.Int(3); executed > 0 {
			counts.add(factExecuted, d, "", "", 0)
		}
		if ttfc, ok := c.Int(1); ok {
			counts.add(distTTFC, d, "", "", ttfc)
		}
	}
	return row, func() {
		sc.mergeTallies(day, counts)
		sc.mergeActivity(day, act)
	}
}

func (sc *scan) readErrs(day int) (row func(cursor), merge func()) {
	counts := tallies{}
	act := sc.newActivity()
	backends, categories := interner{}, newPrefixer("category=")
	row = func(c cursor) {
		sid, sidOK := c.Text(0)
		d, i, k := sc.session(sid, sidOK)
		act.mark(sidOK, i, k)
		counts.add(factErrors, d, "", categories.of(c.Text(2)), 0)
		if component, ok := c.Text(3); ok && string(component) == "inference" {
			b := ""
			if backend, ok := c.Text(1); ok {
				b = orUnknown(backends.of(backend, ok))
			}
			counts.add(factInferenceErrs, d, b, "", 0)
		}
	}
	return row, func() {
		sc.mergeTallies(day, counts)
		sc.mergeActivity(day, act)
	}
}

// finish resolves the facts that needed both phases: the sessions, the
// blocks and the active ids.
func (sc *scan) finish() []fact {
	counts := sc.counts
	bitsOf := func(day int) []uint64 {
		if sc.activeBits[day] == nil {
			sc.activeBits[day] = make([]uint64, (len(sc.sessions)+63)/64)
		}
		return sc.activeBits[day]
	}
	for day, ids := range sc.starts {
		sessions := map[*dims]int64{}
		active := bitsOf(day)
		for _, i := range ids {
			sessions[sc.dims[i]]++
			active[i/64] |= 1 << (i % 64)
		}
		for d, n := range sessions {
			addFact(counts, sc.days[day].name, factSessions, *d, "", 0, n)
		}
	}
	for _, b := range sc.blocks {
		dp, _ := sc.sessionOf(b.sid)
		d := *dp
		if used, ok := sc.blockedGen[b.gid.String]; ok && b.gid.Valid {
			d.backend = orUnknown(used)
		}
		addFact(counts, sc.days[b.day].name, factBlocked, d, b.extra, 0, 1)
		if b.override {
			addFact(counts, sc.days[b.day].name, factOverridden, d, b.extra, 0, 1)
		}
	}
	for day := range sc.days {
		active := bitsOf(day)
		var others map[idKey]bool
		if sc.activeIDs != nil {
			others = sc.activeIDs[day]
		}
		if sc.activeList != nil {
			for _, k := range sc.activeList[day] {
				if i, ok := sc.sess.get(k); ok {
					active[i/64] |= 1 << (i % 64)
				} else {
					if others == nil {
						others = map[idKey]bool{}
					}
					others[k] = true
				}
			}
		}
		if n := int64(len(others)); n > 0 {
			addFact(counts, sc.days[day].name, factActiveIDs, *noSession, "", 0, n)
		}
		perDims := map[*dims]int64{}
		for w, word := range active {
			for ; word != 0; word &= word - 1 {
				perDims[sc.dims[w*64+bits.TrailingZeros64(word)]]++
			}
		}
		for d, n := range perDims {
			addFact(counts, sc.days[day].name, factActiveIDs, *d, "", 0, n)
		}
	}
	out := make([]fact, 0, len(counts))
	for f, n := range counts {
		f.N = n
		out = append(out, f)
	}
	return out
}
