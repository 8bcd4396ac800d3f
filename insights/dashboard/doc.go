// Package dashboard is the live web dashboard of caro-insights serve: one
// page for the team that shows the north star (CSR) with its target and
// status, the ten supporting metrics as trends over the last weeks, and
// the decision-framework signals of a week, over the collector's store.
//
// # Data flow
//
// The page (static/index.html, app.js, app.css) asks the server for one
// JSON view, /api/dashboard?week=YYYY-Www&segment=DIM&value=V, and draws
// it; choosing another week or segment, or the refresh timer (every
// Options.Refresh while the page is open), asks again and redraws every
// chart. The view is built from insights alone: insights.ComputeBy for
// each week of the trend (the figures of insights.Compute, every segment
// dimension from one read of the store), insights.StatusOf against each
// metric's target, and insights.WeeklyAt for the week's signals. Reports
// are kept for Options.CacheFor, so that a room of open pages costs the
// store one read per week and period.
//
// /api/metrics?week=YYYY-Www&segment=DIM answers what `caro-insights
// metrics --from MONDAY --to SUNDAY --by DIM --format json` prints, byte
// for byte: the same insights.Compute and Report.WriteJSON. A week still
// in progress ends today (UTC), as in insights.WeeklyAt, so --to is then
// today.
//
// A week is one from the first week with data to the current week (or
// the last week with data, when later); the segment of /api/metrics is one
// of the dimensions that `metrics --by` takes (backend, platform, run);
// the page's filters are the spec's segments of CSR and of the inference
// latency (those and the model size, which only the inference latency is
// broken down by). Anything else gets 400 with what is allowed. A filter
// shows one segment value at a time (backend=ollama): the metrics are
// defined per dimension, not for crossings of dimensions.
//
// # Reading a store that is being written
//
// The server only reads. On SQLite (WAL), each query is a reader that
// never blocks the collector's writer nor sees half a commit; on
// PostgreSQL each query sees one committed snapshot. A day rolled up
// between the two reads of a window is read from raw events, never twice.
//
// # The page
//
// Everything the page loads is embedded (go:embed) and served from the
// same origin, under a Content-Security-Policy that allows nothing else:
// no request leaves the page. Fonts are the system's (no web font). The
// charts are Chart.js 4.6.1 (static/chart.umd.min.js, MIT,
// static/chart.js-LICENSE.md), vendored as npm's minified UMD build,
// unmodified. Chart.js over uPlot (~50 KB against ~210 KB): it has what the
// charts must have built in, where uPlot would need them drawn by hand:
// point styles (circle, triangle, square...) so that series differ in
// grey print, canvas patterns for bars, tick auto-skip and rotation so
// that labels never overlap, axis titles, tooltips with the value.
// Colours are the Okabe-Ito palette, readable by colour-blind readers;
// every series also differs by its marker and dash, and each target is a
// dashed black line named in the legend. Status marks carry a symbol and
// a word, not only a colour.
package dashboard
