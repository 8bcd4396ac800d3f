package insights

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// fact is a count of events of one kind on one UTC day, with the
// dimensions of its segment (Arch and Shell for sessions only: no other
// fact is split by them). For a distribution, V is the observed value and
// N how many times it was observed.
type fact struct {
	Day     string
	Name    string
	Backend string
	OS      string
	Arch    string
	Shell   string
	Run     string // "first" or "returning" or "unknown"
	Extra   string // "risk_level=high", "category=io_error", "model_name=qwen2.5-coder:7b", the features, or ""
	V       int64
	N       int64
}

// Fact names.
const (
	factSessions      = "sessions"
	factGenerated     = "generated"
	factUnmodified    = "generated_unmodified"
	factBlocked       = "blocked"
	factOverridden    = "blocked_override"
	factRetried       = "sessions_retry"
	factExecuted      = "sessions_exec"
	factErrors        = "errors"
	factInferenceErrs = "inference_errors"
	factActiveIDs     = "active_ids"
	distTTFC          = "ttfc_ms"
	distInference     = "inference_ms"
	// factFeatures are caro runs by the features they used, all in one
	// text ("backend:ollama safety_level:strict ..."); dayRows splits them
	// into factFeature, one per feature.
	factFeatures = "features"
	factFeature  = "feature"
)

// factsTemplate is the one SQL over raw events, for both databases. {1}
// and {2} bound event_time to the window [from, to); every event field it
// reads is an @alias of factFields, read from the events table aliased e
// (render). The Grafana panels run it (sqlgen.go); the review computes
// its facts by scanFacts, and TestScanFactsEqualTheFactsSQL holds the two
// equal. It is shaped for stores of millions of events, where its cost is
// a join and a sort per event: it reads each event type as a range of
// the index on (event_type, event_time), joins each event to its session
// once, and groups the events of each type on every column that its facts
// read (the "atoms"), so that each fact sums a few atoms instead of
// reading events again. A session's dimensions travel packed, os|run and
// arch|shell, which makes each join and sort cheaper than three or five
// columns would (rawFacts unpacks them).
//
//   - sess gives every session_id its configured backend and dimensions;
//   - unmodified holds the generations executed unmodified (from the
//     window's start on: an execution follows its generation);
//   - starts, gen, execs, ends and errs are the atoms of one event type;
//     arch and shell are read for sessions only, since no other fact is
//     split by them;
//   - a run's features (the decision framework's "feature unused") are its
//     configured choices (session.start) and how it ran its command
//     (command.executed), one text per event, which splitFeatures splits;
//   - blocks are the blocks, each with the backend that generated the
//     blocked command (blocked_gen), else its session's;
//   - active is every (day, session_id) that has an event.
const factsTemplate = `
WITH sess AS MATERIALIZED (
	SELECT e.session_id AS sid,
		coalesce(max(@primary), 'unknown') AS backend,
		coalesce(max(@os), 'unknown') || '|' ||
			CASE WHEN max(CASE WHEN @first_run THEN 1 ELSE 0 END) = 1 THEN 'first' ELSE 'returning' END AS osrun,
		coalesce(max(@arch), 'unknown') || '|' || coalesce(max(@shell), 'unknown') AS archshell
	FROM events e WHERE e.event_type = 'session.start' AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY e.session_id
),
unmodified AS MATERIALIZED (
	SELECT DISTINCT @generation AS gid FROM events e
	WHERE e.event_type = 'command.executed' AND e.event_time >= {1} AND @modified = false
),
starts AS MATERIALIZED (
	SELECT {day} AS day, s.backend, s.osrun, s.archshell,
		'backend:' || coalesce(@primary, '') || ' safety_level:' || coalesce(@safety_level, '')
			|| ' output_format:' || coalesce(@output_format, '')
			|| ' fallback:' || CASE WHEN @fallback THEN 'on' ELSE 'off' END AS features,
		count(*) AS n
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type = 'session.start' AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY 1, 2, 3, 4, 5
),
gen AS MATERIALIZED (
	SELECT {day} AS day, @backend_used AS used, s.osrun, @inference_ms AS ms, 'model_name=' || @model_name AS model,
		CASE WHEN @generation IN (SELECT gid FROM unmodified) THEN 1 ELSE 0 END AS unmodified, count(*) AS n
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type = 'command.generated' AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY 1, 2, 3, 4, 5, 6
),
execs AS MATERIALIZED (
	SELECT {day} AS day,
		'execution_mode:' || coalesce(@execution_mode, '') || CASE WHEN @modified THEN ' edit' ELSE '' END AS features,
		count(*) AS n
	FROM events e
	WHERE e.event_type = 'command.executed' AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY 1, 2
),
ends AS MATERIALIZED (
	SELECT {day} AS day, s.backend, s.osrun, @ttfc_ms AS ttfc,
		CASE WHEN coalesce(@retries, 0) > 0 THEN 1 ELSE 0 END AS retried,
		CASE WHEN @executed > 0 THEN 1 ELSE 0 END AS executed, count(*) AS n
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type = 'session.end' AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY 1, 2, 3, 4, 5, 6
),
errs AS MATERIALIZED (
	SELECT {day} AS day, s.backend, @error_backend AS b2, s.osrun, 'category=' || @error_category AS cat,
		CASE WHEN @component = 'inference' THEN 1 ELSE 0 END AS inference, count(*) AS n
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type = 'error.occurred' AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY 1, 2, 3, 4, 5, 6
),
blocks AS MATERIALIZED (
	SELECT {day} AS day, @generation AS gid, s.backend, s.osrun, 'risk_level=' || @risk_level AS extra,
		CASE WHEN coalesce(@override, false) THEN 1 ELSE 0 END AS override
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type = 'safety.triggered' AND e.event_time >= {1} AND e.event_time < {2}
		AND @action = 'blocked'
),
blocked_gen AS MATERIALIZED (
	SELECT @generation AS gid, max(@backend_used) AS used FROM events e
	WHERE e.event_type = 'command.generated' AND e.event_time >= {1} AND e.event_time < {2}
		AND @generation IN (SELECT gid FROM blocks)
	GROUP BY 1
),
blocked AS MATERIALIZED (
	SELECT b.day, coalesce(g.used, b.backend) AS backend, b.osrun, b.extra, b.override, count(*) AS n
	FROM blocks b LEFT JOIN blocked_gen g ON g.gid = b.gid
	GROUP BY 1, 2, 3, 4, 5
),
active AS MATERIALIZED (
	SELECT DISTINCT {day} AS day, e.session_id AS sid FROM events e
	WHERE e.event_type IN ('session.start', 'command.generated', 'command.executed', 'safety.triggered',
			'error.occurred', 'session.end')
		AND e.event_time >= {1} AND e.event_time < {2} AND e.session_id IS NOT NULL
)
SELECT day, 'sessions', backend, osrun, archshell, '', 0, sum(n) FROM starts GROUP BY 1, 3, 4, 5
UNION ALL
SELECT day, 'features', '', '', '', features, 0, sum(n) FROM starts GROUP BY 1, 6
UNION ALL
SELECT day, 'features', '', '', '', features, 0, n FROM execs
UNION ALL
SELECT day, 'generated', used, osrun, '', '', 0, sum(n) FROM gen GROUP BY 1, 3, 4
UNION ALL
SELECT day, 'generated_unmodified', used, osrun, '', '', 0, sum(n) FROM gen WHERE unmodified = 1 GROUP BY 1, 3, 4
UNION ALL
SELECT day, 'inference_ms', used, osrun, '', model, ms, sum(n) FROM gen WHERE ms IS NOT NULL GROUP BY 1, 3, 4, 6, 7
UNION ALL
SELECT day, 'blocked', backend, osrun, '', extra, 0, sum(n) FROM blocked GROUP BY 1, 3, 4, 6
UNION ALL
SELECT day, 'blocked_override', backend, osrun, '', extra, 0, sum(n) FROM blocked
	WHERE override = 1 GROUP BY 1, 3, 4, 6
UNION ALL
SELECT day, 'sessions_retry', backend, osrun, '', '', 0, sum(n) FROM ends WHERE retried = 1 GROUP BY 1, 3, 4
UNION ALL
SELECT day, 'sessions_exec', backend, osrun, '', '', 0, sum(n) FROM ends WHERE executed = 1 GROUP BY 1, 3, 4
UNION ALL
SELECT day, 'ttfc_ms', backend, osrun, '', '', ttfc, sum(n) FROM ends WHERE ttfc IS NOT NULL GROUP BY 1, 3, 4, 7
UNION ALL
SELECT day, 'errors', backend, osrun, '', cat, 0, sum(n) FROM errs GROUP BY 1, 3, 4, 6
UNION ALL
SELECT day, 'inference_errors', coalesce(b2, backend), osrun, '', '', 0, sum(n) FROM errs
	WHERE inference = 1 GROUP BY 1, 3, 4
UNION ALL
SELECT a.day, 'active_ids', s.backend, s.osrun, '', '', 0, count(*)
	FROM active a LEFT JOIN sess s ON s.sid = a.sid GROUP BY 1, 3, 4
`

// isDist tells the distributions apart from the counts.
func isDist(name string) bool { return name == distTTFC || name == distInference }

// rawFacts reads the facts of the days [from, to) from raw events, by
// scanFacts: the facts of factsTemplate, at a fraction of its cost on
// large stores.
func rawFacts(ctx context.Context, s *store.Store, from, to time.Time) ([]fact, error) {
	return scanFacts(ctx, s, from, to)
}

// sqlFacts reads the facts of the days [from, to) by factsTemplate itself,
// as the Grafana panels do: what scanFacts must give too.
func sqlFacts(ctx context.Context, s *store.Store, from, to time.Time) ([]fact, error) {
	d := s.Dialect()
	rows, done, err := queryFacts(ctx, s, factsSQL(d), d.TimeArg(from), d.TimeArg(to))
	if err != nil {
		return nil, fmt.Errorf("query facts: %w", err)
	}
	defer done()
	var out []fact
	for rows.Next() {
		var f fact
		var backend, osRun, archShell, extra sql.NullString
		if err := rows.Scan(&f.Day, &f.Name, &backend, &osRun, &archShell, &extra, &f.V, &f.N); err != nil {
			return nil, fmt.Errorf("scan facts: %w", err)
		}
		os, run, _ := strings.Cut(osRun.String, "|")
		arch, shell, _ := strings.Cut(archShell.String, "|")
		f.Backend, f.OS, f.Arch, f.Shell, f.Run, f.Extra = orUnknown(backend.String), orUnknown(os),
			orUnknown(arch), orUnknown(shell), orUnknown(run), extra.String
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	return out, nil
}

// orUnknown is a dimension's value, "unknown" for none (an event whose
// session has no session.start in the window).
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// factFields maps the aliases of factsTemplate to the schema fields they
// read: the SQL names no field itself, so a field renamed in the schema is
// renamed here by the compiler, and one removed fails to compile.
var factFields = map[string]string{
	"@primary":        schema.KeyBackendPrimary,
	"@os":             schema.KeyPlatformOS,
	"@arch":           schema.KeyPlatformArch,
	"@shell":          schema.KeyPlatformShell,
	"@first_run":      schema.KeyIsFirstRun,
	"@generation":     schema.KeyGenerationID,
	"@backend_used":   schema.KeyBackendUsed,
	"@error_backend":  schema.KeyBackend,
	"@inference_ms":   schema.KeyInferenceTimeMs,
	"@ttfc_ms":        schema.KeyTimeToFirstCommandMs,
	"@risk_level":     schema.KeyRiskLevel,
	"@error_category": schema.KeyErrorCategory,
	"@action":         schema.KeyActionTaken,
	"@retries":        schema.KeyRetries,
	"@component":      schema.KeyComponent,
	"@override":       schema.KeyUserOverride,
	"@executed":       schema.KeyCommandsExecuted,
	"@modified":       schema.KeyModifiedBeforeExecution,
	// Inference P95 by model size, and feature use.
	"@model_name":     schema.KeyModelName,
	"@safety_level":   schema.KeySafetyLevel,
	"@output_format":  schema.KeyOutputFormat,
	"@fallback":       schema.KeyFallbackEnabled,
	"@execution_mode": schema.KeyExecutionMode,
}

// factsSQL is factsTemplate in dialect d, every alias replaced by the
// column of its field.
func factsSQL(d store.Dialect) string { return render(factsTemplate, factFields, d) }
