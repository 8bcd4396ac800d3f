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

	"caro.sh/telemetry/store"
	"golang.org/x/sync/errgroup"
)

// scanFacts computes the facts of factsTemplate, the same rows, from one
// read of each event of the window instead of its joins and sorts: on
// stores of millions of events those cost minutes in SQLite, where reading
// the events costs seconds. Each query reads one event type over one UTC
// day (a range of the index on (event_type, event_time)), and the queries
// run concurrently on up to scanReaders connections, each aggregating its
// rows in Go; the partial sums are then added up.
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
// TestScanFactsEqualTheFactsSQL holds the two to the same facts.
func scanFacts(ctx context.Context, s *store.Store, from, to time.Time) ([]fact, error) {
	d := s.Dialect()
	var days []scanDay
	for a := from; a.Before(to); {
		b := Day(a).AddDate(0, 0, 1)
		if b.After(to) {
			b = to
		}
		days = append(days, scanDay{name: a.UTC().Format(time.DateOnly), from: d.TimeArg(a), to: d.TimeArg(b)})
		a = b
	}
	sc := &scan{s: s, days: days, sess: map[idKey]int32{}, unmodified: map[idKey]bool{},
		blockedGen: map[string]string{}, counts: map[fact]int64{}}
	// Phase 1 gives each session its dimensions, and finds the unmodified
	// generations and the blocks; phase 2 reads the events that need them.
	phases := []struct {
		once, daily []scanTask
		then        func()
	}{
		{once: []scanTask{{query: scanExecAfterSQL, args: []any{d.TimeArg(to)}, read: sc.readExecAfter}},
			daily: []scanTask{{query: scanStartsSQL, read: sc.readStarts}, {query: scanExecSQL, read: sc.readExec},
				{query: scanSafetySQL, read: sc.readSafety}},
			then: sc.resolveSessions},
		{daily: []scanTask{{query: scanGenSQL, read: sc.readGen}, {query: scanEndsSQL, read: sc.readEnds},
			{query: scanErrsSQL, read: sc.readErrs}}},
	}
	for _, ph := range phases {
		tasks := ph.once
		for i := range days {
			for _, t := range ph.daily {
				t.day = i
				tasks = append(tasks, t)
			}
		}
		if err := sc.run(ctx, tasks); err != nil {
			return nil, err
		}
		if ph.then != nil {
			ph.then()
		}
	}
	return sc.finish(), nil
}

// scanReaders is how many queries of scanFacts run at once: the CPUs, up
// to 4 (the connections a PostgreSQL store's pool has at least). A SQLite
// store opened with one connection runs them one after another.
var scanReaders = min(runtime.GOMAXPROCS(0), 4)

// The queries of scanFacts: {1} and {2} bound the event's time to one day
// of the window. Each reads one event type, the columns its facts read.
var (
	scanStartsSQL = scanQuery("session.start", "e.session_id, @primary, @os, @arch, @shell, @first_run, "+
		"@safety_level, @output_format, @fallback")
	scanExecSQL   = scanQuery("command.executed", "e.session_id, @generation, @modified, @execution_mode")
	scanSafetySQL = scanQuery("safety.triggered", "e.session_id, @generation, @action, @risk_level, @override")
	scanGenSQL    = scanQuery("command.generated", "e.session_id, @generation, @backend_used, @inference_ms, @model_name")
	scanEndsSQL   = scanQuery("session.end", "e.session_id, @ttfc_ms, @retries, @executed")
	scanErrsSQL   = scanQuery("error.occurred", "e.session_id, @error_backend, @error_category, @component")
	// A generation of the window executed unmodified after it ({1} is
	// the window's end) is unmodified too.
	scanExecAfterSQL = "SELECT @generation FROM events e WHERE e.event_type = 'command.executed' " +
		"AND e.event_time >= {1} AND @modified = false AND @generation IS NOT NULL"
)

func scanQuery(eventType, cols string) string {
	return "SELECT " + cols + " FROM events e WHERE e.event_type = '" + eventType +
		"' AND e.event_time >= {1} AND e.event_time < {2}"
}

// scanDay is one UTC day of the window (or the part of it in the window).
type scanDay struct {
	name     string // YYYY-MM-DD
	from, to any    // the query arguments that bound it
}

// scanTask is one query of scanFacts: read consumes its rows, locally,
// and returns a merge that scan.run applies under its lock.
type scanTask struct {
	day   int
	query string
	args  []any // default: the day's bounds
	read  func(rows *sql.Rows, day int) (merge func(), err error)
}

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
	days []scanDay

	mu  sync.Mutex
	ids ids
	// Phase 1: sess maps each session id to its index in sessions;
	// starts are the session ids of each day's session.start, in order.
	sess       map[idKey]int32
	sessions   []sessDims
	starts     [][]int32
	unmodified map[idKey]bool
	blocks     []block
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

// run runs tasks on up to scanReaders connections.
func (sc *scan) run(ctx context.Context, tasks []scanTask) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scanReaders)
	for _, t := range tasks {
		if gctx.Err() != nil {
			break // a task failed: the rest would only fail too
		}
		g.Go(func() error { return sc.runTask(gctx, t) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (sc *scan) runTask(ctx context.Context, t scanTask) error {
	d := sc.s.Dialect()
	args := t.args
	if args == nil {
		args = []any{sc.days[t.day].from, sc.days[t.day].to}
	}
	rows, done, err := queryFacts(ctx, sc.s, render(t.query, factFields, d), args...)
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	defer done()
	merge, err := t.read(rows, t.day)
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	sc.mu.Lock()
	merge()
	sc.mu.Unlock()
	return nil
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
// interned, backend set only where the event names its own.
type tally struct {
	name, backend, extra string
	d                    *dims
	v                    int64
}

// tallies count the facts of one query.
type tallies map[tally]int64

func (t tallies) add(name string, d *dims, backend, extra string, v int64) {
	t[tally{name, backend, extra, d, v}]++
}

// mergeTallies adds the tallies of a day to the scan's facts (under its
// lock).
func (sc *scan) mergeTallies(day int, t tallies) {
	for k, n := range t {
		d := *k.d
		if k.backend != "" {
			d.backend = k.backend
		}
		addFact(sc.counts, sc.days[day].name, k.name, d, k.extra, k.v, n)
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

func (sc *scan) readStarts(rows *sql.Rows, day int) (func(), error) {
	type start struct {
		sid  idKey
		dims sessDims
	}
	type feature struct {
		primary, safety, format string
		fallback                bool
	}
	var starts []start
	features := map[feature]int64{}
	var noSid int64
	// The few values of the dimensions, once each: not a string per
	// session for the garbage collector to mark.
	values := map[string]string{}
	intern := func(v *sql.NullString) {
		if w, ok := values[v.String]; ok {
			v.String = w
		} else {
			values[v.String] = v.String
		}
	}
	for rows.Next() {
		var sid, safety, format sql.NullString
		var first, fallback sql.NullBool
		var sd sessDims
		if err := rows.Scan(&sid, &sd.primary, &sd.os, &sd.arch, &sd.shell, &first, &safety, &format, &fallback); err != nil {
			return nil, err
		}
		sd.first = first.Valid && first.Bool
		intern(&sd.primary)
		intern(&sd.os)
		intern(&sd.arch)
		intern(&sd.shell)
		features[feature{sd.primary.String, safety.String, format.String, fallback.Valid && fallback.Bool}]++
		if !sid.Valid {
			noSid++ // no session: it joins none
			continue
		}
		starts = append(starts, start{sc.ids.key(sid.String), sd})
	}
	return func() {
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
		ids := make([]int32, 0, len(starts))
		for _, st := range starts {
			i, ok := sc.sess[st.sid]
			if !ok {
				i = int32(len(sc.sessions))
				sc.sess[st.sid] = i
				sc.sessions = append(sc.sessions, sessDims{})
			}
			ids = append(ids, i)
			sd := &sc.sessions[i]
			maxNull(&sd.primary, st.dims.primary)
			maxNull(&sd.os, st.dims.os)
			maxNull(&sd.arch, st.dims.arch)
			maxNull(&sd.shell, st.dims.shell)
			sd.first = sd.first || st.dims.first
		}
		sc.starts[day] = append(sc.starts[day], ids...)
	}, nil
}

func (sc *scan) readExec(rows *sql.Rows, day int) (func(), error) {
	type feature struct {
		mode string
		edit bool
	}
	features := map[feature]int64{}
	var active, unmodified []idKey
	for rows.Next() {
		var sid, gid, mode sql.NullString
		var modified sql.NullBool
		if err := rows.Scan(&sid, &gid, &modified, &mode); err != nil {
			return nil, err
		}
		features[feature{mode.String, modified.Valid && modified.Bool}]++
		if gid.Valid && modified.Valid && !modified.Bool {
			unmodified = append(unmodified, sc.ids.key(gid.String))
		}
		if sid.Valid {
			active = append(active, sc.ids.key(sid.String))
		}
	}
	return func() {
		for f, n := range features {
			edit := ""
			if f.edit {
				edit = " edit"
			}
			addFact(sc.counts, sc.days[day].name, factFeatures, *noSession, "execution_mode:"+f.mode+edit, 0, n)
		}
		sc.listActive(day, active)
		for _, g := range unmodified {
			sc.unmodified[g] = true
		}
	}, nil
}

// listActive lists, under the lock, session ids active on the day, for
// finish.
func (sc *scan) listActive(day int, ids []idKey) {
	if sc.activeList == nil {
		sc.activeList = make([][]idKey, len(sc.days))
	}
	sc.activeList[day] = append(sc.activeList[day], ids...)
}

func (sc *scan) readExecAfter(rows *sql.Rows, _ int) (func(), error) {
	var unmodified []idKey
	for rows.Next() {
		var gid string
		if err := rows.Scan(&gid); err != nil {
			return nil, err
		}
		unmodified = append(unmodified, sc.ids.key(gid))
	}
	return func() {
		for _, g := range unmodified {
			sc.unmodified[g] = true
		}
	}, nil
}

func (sc *scan) readSafety(rows *sql.Rows, day int) (func(), error) {
	var active []idKey
	var blocks []block
	for rows.Next() {
		var sid, gid, action, risk sql.NullString
		var override sql.NullBool
		if err := rows.Scan(&sid, &gid, &action, &risk, &override); err != nil {
			return nil, err
		}
		if sid.Valid {
			active = append(active, sc.ids.key(sid.String))
		}
		if !action.Valid || action.String != "blocked" {
			continue
		}
		b := block{day: day, gid: gid, sid: sid, override: override.Valid && override.Bool}
		if risk.Valid {
			b.extra = "risk_level=" + risk.String
		}
		blocks = append(blocks, b)
	}
	return func() {
		sc.listActive(day, active)
		sc.blocks = append(sc.blocks, blocks...)
	}, nil
}

// resolveSessions turns each session's dimensions into a fact's, as
// factsTemplate packs them (os|run, arch|shell) and rawFacts unpacks
// them, and marks the blocked generations.
func (sc *scan) resolveSessions() {
	sc.dims = make([]*dims, len(sc.sessions))
	interned := map[dims]*dims{}
	or := func(s sql.NullString) string {
		if s.Valid {
			return s.String
		}
		return "unknown"
	}
	for i, sd := range sc.sessions {
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
		sc.dims[i] = interned[d]
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
	d, i, _ := sc.session(sid)
	return d, i
}

// session is sessionOf, and the id's key.
func (sc *scan) session(sid sql.NullString) (*dims, int32, idKey) {
	if !sid.Valid {
		return noSession, -1, idKey{}
	}
	k := sc.ids.key(sid.String)
	i, ok := sc.sess[k]
	if !ok {
		return noSession, -1, k
	}
	return sc.dims[i], i, k
}

// idKey is a session or generation id as a map key: packed into hi and
// lo when it is in the canonical form ids have (16 lowercase hex digits,
// or a UUID's 32 with their dashes), else numbered by ids (kind 0). Every
// id has one key and no two ids the same. Without pointers, the maps of
// millions of ids hash and compare fast, and the garbage collector skips
// them.
type idKey struct {
	kind   uint8 // 0: numbered, 1: 16 hex digits, 2: UUID
	hi, lo uint64
}

// ids numbers the ids not in canonical form, for idKey.
type ids struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (x *ids) key(s string) idKey {
	if k, ok := packedKey(s); ok {
		return k
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.n == nil {
		x.n = map[string]uint64{}
	}
	n, ok := x.n[s]
	if !ok {
		n = uint64(len(x.n))
		x.n[s] = n
	}
	return idKey{lo: n}
}

// packedKey is the key of an id in canonical form.
func packedKey(s string) (idKey, bool) {
	switch len(s) {
	case 16:
		if v, ok := hexDigits(s, 0, 16); ok {
			return idKey{kind: 1, lo: v}, true
		}
	case 36:
		if s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
			a, ok1 := hexDigits(s, 0, 8)
			b, ok2 := hexDigits(s, 9, 13)
			c, ok3 := hexDigits(s, 14, 18)
			d, ok4 := hexDigits(s, 19, 23)
			e, ok5 := hexDigits(s, 24, 36)
			if ok1 && ok2 && ok3 && ok4 && ok5 {
				return idKey{kind: 2, hi: a<<32 | b<<16 | c, lo: d<<48 | e}, true
			}
		}
	}
	return idKey{}, false
}

// hexDigits reads s[from:to] as lowercase hex digits (at most 16).
func hexDigits(s string, from, to int) (uint64, bool) {
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
func (a *activity) mark(sid sql.NullString, i int32, k idKey) {
	switch {
	case i >= 0:
		a.bits[i/64] |= 1 << (i % 64)
	case sid.Valid:
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

func (sc *scan) readGen(rows *sql.Rows, day int) (func(), error) {
	counts := tallies{}
	act := sc.newActivity()
	blockedGen := map[string]string{}
	for rows.Next() {
		var sid, gid, used, model sql.NullString
		var ms sql.NullInt64
		if err := rows.Scan(&sid, &gid, &used, &ms, &model); err != nil {
			return nil, err
		}
		d, i, k := sc.session(sid)
		act.mark(sid, i, k)
		backend := orUnknown(used.String)
		counts.add(factGenerated, d, backend, "", 0)
		if gid.Valid && sc.unmodified[sc.ids.key(gid.String)] {
			counts.add(factUnmodified, d, backend, "", 0)
		}
		if ms.Valid {
			extra := ""
			if model.Valid {
				extra = "model_name=" + model.String
			}
			counts.add(distInference, d, backend, extra, ms.Int64)
		}
		if gid.Valid && used.Valid && sc.blocked[gid.String] {
			if cur, ok := blockedGen[gid.String]; !ok || used.String > cur {
				blockedGen[gid.String] = used.String
			}
		}
	}
	return func() {
		sc.mergeTallies(day, counts)
		sc.mergeActivity(day, act)
		for g, u := range blockedGen {
			if cur, ok := sc.blockedGen[g]; !ok || u > cur {
				sc.blockedGen[g] = u
			}
		}
	}, nil
}

func (sc *scan) readEnds(rows *sql.Rows, day int) (func(), error) {
	counts := tallies{}
	act := sc.newActivity()
	for rows.Next() {
		var sid sql.NullString
		var ttfc, retries, executed sql.NullInt64
		if err := rows.Scan(&sid, &ttfc, &retries, &executed); err != nil {
			return nil, err
		}
		d, i, k := sc.session(sid)
		act.mark(sid, i, k)
		if retries.Int64 > 0 {
			counts.add(factRetried, d, "", "", 0)
		}
		if executed.Int64 > 0 {
			counts.add(factExecuted, d, "", "", 0)
		}
		if ttfc.Valid {
			counts.add(distTTFC, d, "", "", ttfc.Int64)
		}
	}
	return func() {
		sc.mergeTallies(day, counts)
		sc.mergeActivity(day, act)
	}, nil
}

func (sc *scan) readErrs(rows *sql.Rows, day int) (func(), error) {
	counts := tallies{}
	act := sc.newActivity()
	for rows.Next() {
		var sid, backend, category, component sql.NullString
		if err := rows.Scan(&sid, &backend, &category, &component); err != nil {
			return nil, err
		}
		d, i, k := sc.session(sid)
		act.mark(sid, i, k)
		extra := ""
		if category.Valid {
			extra = "category=" + category.String
		}
		counts.add(factErrors, d, "", extra, 0)
		if component.Valid && component.String == "inference" {
			b := ""
			if backend.Valid {
				b = orUnknown(backend.String)
			}
			counts.add(factInferenceErrs, d, b, "", 0)
		}
	}
	return func() {
		sc.mergeTallies(day, counts)
		sc.mergeActivity(day, act)
	}, nil
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
				if i, ok := sc.sess[k]; ok {
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
