package insights

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// fact is a count of events of one kind on one UTC day, with the
// dimensions of its segment. For a distribution (sample true), V is the
// observed value and N how many times it was observed.
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

// factsTemplate is the one SQL over raw events. ?1 and ?2 bound event_time
// to the window [from, to). sess gives every session_id its dimensions.
// Every event field it reads is an @alias of factFields, read from the
// events table aliased e; factsSQL is the template with the aliases
// expanded.
const factsTemplate = `
WITH sess AS MATERIALIZED (
	SELECT session_id AS sid,
		coalesce(max(@primary), 'unknown') AS backend,
		coalesce(max(@os), 'unknown') AS os,
		coalesce(max(@arch), 'unknown') AS arch,
		coalesce(max(@shell), 'unknown') AS shell,
		CASE WHEN max(CASE WHEN @first_run THEN 1 ELSE 0 END) = 1 THEN 'first' ELSE 'returning' END AS run
	FROM events e WHERE event_type = 'session.start' AND event_time >= {1} AND event_time < {2}
	GROUP BY session_id
),
-- Every field a metric reads, extracted once per event: gid the
-- generation, b2 the backend_used of a generation or the backend of an
-- error, v a generation's inference time or a session's TTFC, cat a
-- block's risk level, an error's category or a generation's model, f1
-- blocked / retried / inference error, f2 overridden / executed.
ev AS MATERIALIZED (
	SELECT {day} AS day, e.event_type AS type, e.session_id AS sid,
		coalesce(s.backend, 'unknown') AS backend, coalesce(s.os, 'unknown') AS os,
		coalesce(s.arch, 'unknown') AS arch, coalesce(s.shell, 'unknown') AS shell,
		coalesce(s.run, 'unknown') AS run,
		CASE WHEN e.event_type IN ('command.generated', 'safety.triggered')
			THEN @generation END AS gid,
		CASE e.event_type WHEN 'command.generated' THEN @backend_used
			WHEN 'error.occurred' THEN @error_backend END AS b2,
		CASE e.event_type WHEN 'command.generated' THEN @inference_ms
			WHEN 'session.end' THEN @ttfc_ms END AS v,
		CASE e.event_type WHEN 'safety.triggered' THEN 'risk_level=' || @risk_level
			WHEN 'error.occurred' THEN 'category=' || @error_category
			WHEN 'command.generated' THEN 'model_name=' || @model_name END AS cat,
		CASE e.event_type WHEN 'safety.triggered' THEN @action = 'blocked'
			WHEN 'session.end' THEN coalesce(@retries, 0) > 0
			WHEN 'error.occurred' THEN @component = 'inference' END AS f1,
		CASE e.event_type WHEN 'safety.triggered' THEN coalesce(@override, false)
			WHEN 'session.end' THEN @executed > 0 END AS f2
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type IN ('session.start', 'command.generated', 'command.executed', 'safety.triggered',
			'error.occurred', 'session.end')
		AND e.event_time >= {1} AND e.event_time < {2}
),
gen AS MATERIALIZED (
	SELECT day, gid, b2 AS used, v AS ms, cat AS model, os, arch, shell, run FROM ev WHERE type = 'command.generated'
),
unmodified AS MATERIALIZED (
	SELECT DISTINCT @generation AS gid FROM events e
	WHERE event_type = 'command.executed' AND event_time >= {1}
		AND @modified = false
),
blocks AS MATERIALIZED (
	SELECT ev.day, coalesce(g.used, ev.backend) AS backend, ev.os, ev.arch, ev.shell, ev.run, ev.cat AS extra,
		ev.f2 AS override
	FROM ev LEFT JOIN gen g ON g.gid = ev.gid
	WHERE ev.type = 'safety.triggered' AND ev.f1
)
SELECT day, 'sessions', backend, os, arch, shell, run, '', 0, count(*) FROM ev
	WHERE type = 'session.start' GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'generated', used, os, arch, shell, run, '', 0, count(*) FROM gen GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'generated_unmodified', used, os, arch, shell, run, '', 0, count(*) FROM gen
	WHERE gid IN (SELECT gid FROM unmodified) GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'blocked', backend, os, arch, shell, run, extra, 0, count(*) FROM blocks GROUP BY 1, 3, 4, 5, 6, 7, 8
UNION ALL
SELECT day, 'blocked_override', backend, os, arch, shell, run, extra, 0, count(*) FROM blocks
	WHERE override GROUP BY 1, 3, 4, 5, 6, 7, 8
UNION ALL
SELECT day, 'sessions_retry', backend, os, arch, shell, run, '', 0, count(*) FROM ev
	WHERE type = 'session.end' AND f1 GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'sessions_exec', backend, os, arch, shell, run, '', 0, count(*) FROM ev
	WHERE type = 'session.end' AND f2 GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'errors', backend, os, arch, shell, run, cat, 0, count(*)
	FROM ev WHERE type = 'error.occurred' GROUP BY 1, 3, 4, 5, 6, 7, 8
UNION ALL
SELECT day, 'inference_errors', coalesce(b2, backend), os, arch, shell, run, '', 0, count(*)
	FROM ev WHERE type = 'error.occurred' AND f1 GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'active_ids', backend, os, arch, shell, run, '', 0, count(DISTINCT sid) FROM ev
	WHERE sid IS NOT NULL GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'ttfc_ms', backend, os, arch, shell, run, '', v, count(*)
	FROM ev WHERE type = 'session.end' AND v IS NOT NULL GROUP BY 1, 3, 4, 5, 6, 7, 9
UNION ALL
SELECT day, 'inference_ms', used, os, arch, shell, run, model, ms, count(*) FROM gen GROUP BY 1, 3, 4, 5, 6, 7, 8, 9
UNION ALL
-- Features (the decision framework's "feature unused"), apart from the rest:
-- each caro run's configured choices (session.start) and how it ran its
-- command (command.executed), one text per event, which splitFeatures splits.
SELECT {day}, 'features', '', '', '', '', '', CASE e.event_type
		WHEN 'session.start' THEN 'backend:' || coalesce(@primary, '') || ' safety_level:' || coalesce(@safety_level, '')
			|| ' output_format:' || coalesce(@output_format, '')
			|| ' fallback:' || CASE WHEN @fallback THEN 'on' ELSE 'off' END
		ELSE 'execution_mode:' || coalesce(@execution_mode, '') || CASE WHEN @modified THEN ' edit' ELSE '' END END,
	0, count(*)
	FROM events e WHERE e.event_type IN ('session.start', 'command.executed')
		AND e.event_time >= {1} AND e.event_time < {2}
	GROUP BY 1, 8
`

// isDist tells the distributions apart from the counts.
func isDist(name string) bool { return name == distTTFC || name == distInference }

// rawFacts reads the facts of the days [from, to) from raw events.
func rawFacts(ctx context.Context, s *store.Store, from, to time.Time) ([]fact, error) {
	d := s.Dialect()
	rows, err := s.DB().QueryContext(ctx, factsSQL(d), d.TimeArg(from), d.TimeArg(to))
	if err != nil {
		return nil, fmt.Errorf("query facts: %w", err)
	}
	defer rows.Close()
	var out []fact
	for rows.Next() {
		var f fact
		var backend, os, arch, shell, run, extra sql.NullString
		if err := rows.Scan(&f.Day, &f.Name, &backend, &os, &arch, &shell, &run, &extra, &f.V, &f.N); err != nil {
			return nil, fmt.Errorf("scan facts: %w", err)
		}
		f.Backend, f.OS, f.Arch, f.Shell, f.Run, f.Extra = orUnknown(backend), orUnknown(os),
			orUnknown(arch), orUnknown(shell), orUnknown(run), extra.String
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	return out, nil
}

func orUnknown(s sql.NullString) string {
	if !s.Valid || s.String == "" {
		return "unknown"
	}
	return s.String
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
