package insights

import (
	"context"
	"database/sql"
	"fmt"
	"time"
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
	Extra   string // "risk_level=high", "category=io_error" or ""
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
)

// timeLayout is the layout of the event_time column (sqlitespool's).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// factsSQL is the one SQL over raw events. ?1 and ?2 bound event_time to
// the window [from, to). sess gives every session_id its dimensions.
const factsSQL = `
WITH sess AS (
	SELECT session_id AS sid,
		coalesce(max(json_extract(payload, '$.backend_config.primary')), 'unknown') AS backend,
		coalesce(max(json_extract(payload, '$.platform.os')), 'unknown') AS os,
		coalesce(max(json_extract(payload, '$.platform.arch')), 'unknown') AS arch,
		coalesce(max(json_extract(payload, '$.platform.shell')), 'unknown') AS shell,
		CASE WHEN max(coalesce(json_extract(payload, '$.is_first_run'), 0)) THEN 'first' ELSE 'returning' END AS run
	FROM events WHERE event_type = 'session.start' AND event_time >= ?1 AND event_time < ?2
	GROUP BY session_id
),
ev AS (
	SELECT substr(e.event_time, 1, 10) AS day, e.event_type AS type, e.payload AS p, e.session_id AS sid,
		coalesce(s.backend, 'unknown') AS backend, coalesce(s.os, 'unknown') AS os,
		coalesce(s.arch, 'unknown') AS arch, coalesce(s.shell, 'unknown') AS shell,
		coalesce(s.run, 'unknown') AS run
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_time >= ?1 AND e.event_time < ?2 AND e.event_type != 'deletion.request'
),
gen AS (
	SELECT day, sid, json_extract(p, '$.generation_id') AS gid, json_extract(p, '$.backend_used') AS used,
		json_extract(p, '$.inference_time_ms') AS ms, os, arch, shell, run
	FROM ev WHERE type = 'command.generated'
),
unmodified AS (
	SELECT DISTINCT json_extract(payload, '$.generation_id') AS gid FROM events
	WHERE event_type = 'command.executed' AND event_time >= ?1
		AND json_extract(payload, '$.modified_before_execution') = 0
),
blocks AS (
	SELECT ev.day, coalesce(g.used, ev.backend) AS backend, ev.os, ev.arch, ev.shell, ev.run,
		'risk_level=' || json_extract(ev.p, '$.risk_level') AS extra,
		coalesce(json_extract(ev.p, '$.user_override'), 0) AS override
	FROM ev LEFT JOIN gen g ON g.gid = json_extract(ev.p, '$.generation_id')
	WHERE ev.type = 'safety.triggered' AND json_extract(ev.p, '$.action_taken') = 'blocked'
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
	WHERE type = 'session.end' AND coalesce(json_extract(p, '$.retries'), 0) > 0 GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'sessions_exec', backend, os, arch, shell, run, '', 0, count(*) FROM ev
	WHERE type = 'session.end' AND json_extract(p, '$.commands_executed') > 0 GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'errors', backend, os, arch, shell, run, 'category=' || json_extract(p, '$.error_category'), 0, count(*)
	FROM ev WHERE type = 'error.occurred' GROUP BY 1, 3, 4, 5, 6, 7, 8
UNION ALL
SELECT day, 'inference_errors', coalesce(json_extract(p, '$.backend'), backend), os, arch, shell, run, '', 0, count(*)
	FROM ev WHERE type = 'error.occurred' AND json_extract(p, '$.component') = 'inference' GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'active_ids', backend, os, arch, shell, run, '', 0, count(DISTINCT sid) FROM ev
	WHERE sid IS NOT NULL GROUP BY 1, 3, 4, 5, 6, 7
UNION ALL
SELECT day, 'ttfc_ms', backend, os, arch, shell, run, '', json_extract(p, '$.time_to_first_command_ms') AS v, count(*)
	FROM ev WHERE type = 'session.end' AND v IS NOT NULL GROUP BY 1, 3, 4, 5, 6, 7, 9
UNION ALL
SELECT day, 'inference_ms', used, os, arch, shell, run, '', ms, count(*) FROM gen GROUP BY 1, 3, 4, 5, 6, 7, 9
`

// isDist tells the distributions apart from the counts.
func isDist(name string) bool { return name == distTTFC || name == distInference }

// rawFacts reads the facts of the days [from, to) from raw events.
func rawFacts(ctx context.Context, db *sql.DB, from, to time.Time) ([]fact, error) {
	rows, err := db.QueryContext(ctx, factsSQL, from.UTC().Format(timeLayout), to.UTC().Format(timeLayout))
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
