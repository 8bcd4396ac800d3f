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
WITH sess AS MATERIALIZED (
	SELECT session_id AS sid,
		coalesce(max(json_extract(payload, '$.backend_config.primary')), 'unknown') AS backend,
		coalesce(max(json_extract(payload, '$.platform.os')), 'unknown') AS os,
		coalesce(max(json_extract(payload, '$.platform.arch')), 'unknown') AS arch,
		coalesce(max(json_extract(payload, '$.platform.shell')), 'unknown') AS shell,
		CASE WHEN max(coalesce(json_extract(payload, '$.is_first_run'), 0)) THEN 'first' ELSE 'returning' END AS run
	FROM events WHERE event_type = 'session.start' AND event_time >= ?1 AND event_time < ?2
	GROUP BY session_id
),
-- Every field a metric reads, extracted once per event: gid the
-- generation, b2 the backend_used of a generation or the backend of an
-- error, v a generation's inference time or a session's TTFC, cat a
-- block's risk level or an error's category, f1 blocked / retried /
-- inference error, f2 overridden / executed.
ev AS MATERIALIZED (
	SELECT substr(e.event_time, 1, 10) AS day, e.event_type AS type, e.session_id AS sid,
		coalesce(s.backend, 'unknown') AS backend, coalesce(s.os, 'unknown') AS os,
		coalesce(s.arch, 'unknown') AS arch, coalesce(s.shell, 'unknown') AS shell,
		coalesce(s.run, 'unknown') AS run,
		CASE WHEN e.event_type IN ('command.generated', 'safety.triggered')
			THEN json_extract(e.payload, '$.generation_id') END AS gid,
		CASE e.event_type WHEN 'command.generated' THEN json_extract(e.payload, '$.backend_used')
			WHEN 'error.occurred' THEN json_extract(e.payload, '$.backend') END AS b2,
		CASE e.event_type WHEN 'command.generated' THEN json_extract(e.payload, '$.inference_time_ms')
			WHEN 'session.end' THEN json_extract(e.payload, '$.time_to_first_command_ms') END AS v,
		CASE e.event_type WHEN 'safety.triggered' THEN 'risk_level=' || json_extract(e.payload, '$.risk_level')
			WHEN 'error.occurred' THEN 'category=' || json_extract(e.payload, '$.error_category') END AS cat,
		CASE e.event_type WHEN 'safety.triggered' THEN json_extract(e.payload, '$.action_taken') = 'blocked'
			WHEN 'session.end' THEN coalesce(json_extract(e.payload, '$.retries'), 0) > 0
			WHEN 'error.occurred' THEN json_extract(e.payload, '$.component') = 'inference' END AS f1,
		CASE e.event_type WHEN 'safety.triggered' THEN coalesce(json_extract(e.payload, '$.user_override'), 0)
			WHEN 'session.end' THEN json_extract(e.payload, '$.commands_executed') > 0 END AS f2
	FROM events e LEFT JOIN sess s ON s.sid = e.session_id
	WHERE e.event_type IN ('session.start', 'command.generated', 'command.executed', 'safety.triggered',
			'error.occurred', 'session.end')
		AND e.event_time >= ?1 AND e.event_time < ?2
),
gen AS MATERIALIZED (
	SELECT day, gid, b2 AS used, v AS ms, os, arch, shell, run FROM ev WHERE type = 'command.generated'
),
unmodified AS MATERIALIZED (
	SELECT DISTINCT json_extract(payload, '$.generation_id') AS gid FROM events
	WHERE event_type = 'command.executed' AND event_time >= ?1
		AND json_extract(payload, '$.modified_before_execution') = 0
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
