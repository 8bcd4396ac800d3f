// Package grafana generates the Grafana dashboard of the PostgreSQL store,
// as code: dashboards/caro-metrics.json is what Dashboard builds with the
// Grafana Foundation SDK, written by `go generate ./insights/grafana` and
// never edited by hand (TestGeneratedDashboardsAreCurrent fails when it is
// stale).
//
// The dashboard has one panel per metric: the north star (CSR) and the ten
// supporting metrics (inference latency draws P50 and P95), each a time
// series per bucket (ISO week or UTC day) with its target as dashed lines.
// Each panel's SQL is insights.SeriesSQL (insights.SharesSQL for the
// platform distribution): the metric's single definition, the facts SQL
// of insights itself on raw days and its daily_metrics rows on rolled-up
// days, so that a panel shows what `caro-insights metrics` prints for the
// same days and segment (TestPanelsEqualMetrics runs every panel's SQL on
// a real PostgreSQL).
//
// Variables: datasource (any PostgreSQL data source, pointed at the
// store's database), segment (all users, backend, platform or first run:
// one dimension at a time, as the metrics are defined), value (the
// segment's values in the time range), bucket (week or day).
//
// Time range: the last 8 weeks, as the weekly review's trend. Raw
// session events are kept 30 days by the store; a panel reads the days
// that `caro-insights rollup` rolled up from daily_metrics, so the range
// may reach back as far as rollups were run (daily, within the 30 days).
// Days purged before a rollup show no data.
package grafana

//go:generate go run ./gen ../../dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"caro.sh/telemetry/insights"
)

// datasourceType is the plugin id of Grafana's PostgreSQL data source.
const datasourceType = "grafana-postgresql-datasource"

// fileName is the generated dashboard's file, in dashboards/.
const fileName = "caro-metrics.json"

// query is the SQL (from insights) every panel's queries run: Grafana's
// time-range macros and the dashboard's variables, formatted as SQL
// string literals (sqlstring: quoted, quotes doubled).
var query = insights.SeriesQuery{
	From:    "$__timeFrom()",
	To:      "$__timeTo()",
	Segment: "${segment:sqlstring}",
	Value:   "${value:sqlstring}",
	Bucket:  "${bucket:sqlstring}",
}

// panelSpec is one panel: the metrics it draws, one query each.
type panelSpec struct {
	title   string
	metrics []string
	unit    string // Grafana's unit id
	axis    string
	shares  bool
}

// panels are the north star and the ten supporting metrics, as on
// caro-insights serve's page.
var panels = []panelSpec{
	{metrics: []string{"csr"}, unit: "percentunit", axis: "commands run unmodified"},
	{metrics: []string{"ttfc_p50"}, unit: "ms", axis: "time to first command"},
	{metrics: []string{"safety_block_rate"}, unit: "percentunit", axis: "commands blocked"},
	{metrics: []string{"false_positive_rate"}, unit: "percentunit", axis: "blocks overridden"},
	{metrics: []string{"retry_rate"}, unit: "percentunit", axis: "sessions with a retry"},
	{metrics: []string{"backend_success_rate"}, unit: "percentunit", axis: "generations that succeeded"},
	{title: "Inference Latency (P50, P95)", metrics: []string{"inference_p50", "inference_p95"}, unit: "ms", axis: "inference time"},
	{metrics: []string{"session_completion_rate"}, unit: "percentunit", axis: "sessions that ran a command"},
	{metrics: []string{"dau"}, unit: "short", axis: "daily active users (mean per day)"},
	{metrics: []string{"error_rate"}, unit: "percentunit", axis: "errors per session"},
	{title: "Platform Distribution", metrics: []string{"platform_share"}, unit: "percentunit", axis: "share of sessions", shares: true},
}

// Okabe-Ito colours: the first series, the second, the targets.
const (
	colourFirst  = "#0072B2"
	colourSecond = "#D55E00"
	colourTarget = "#000000"
)

// Dashboard builds the metrics dashboard.
func Dashboard() (dashboard.Dashboard, error) {
	ds := common.DataSourceRef{Type: cog.ToPtr(datasourceType), Uid: cog.ToPtr("${datasource}")}
	b := dashboard.NewDashboardBuilder("Caro telemetry: metrics").
		Uid("caro-metrics").
		Description("The spec's metrics over the caro collector's PostgreSQL store, as caro-insights computes them. "+
			"Days rolled up by caro-insights rollup are read from daily_metrics, the others from raw events "+
			"(session events are kept 30 days: run the rollup daily).").
		Tags([]string{"caro", "telemetry", "generated"}).
		Timezone(common.TimeZoneUtc).
		Time("now-8w", "now").
		Refresh("5m").
		Readonly().
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("PostgreSQL store").
			Type(datasourceType)).
		WithVariable(dashboard.NewCustomVariableBuilder("segment").
			Label("Segment").
			Description("One dimension at a time, as caro-insights metrics --by").
			Values(dashboard.StringOrMap{String: cog.ToPtr("All users : all,Backend : backend,Platform : platform,First run : run")}).
			Current(option("All users", "all"))).
		WithVariable(dashboard.NewQueryVariableBuilder("value").
			Label("Value").
			Description("The segment's values in the time range").
			Datasource(ds).
			Query(dashboard.StringOrMap{String: cog.ToPtr(valuesSQL())}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc)).
		WithVariable(dashboard.NewCustomVariableBuilder("bucket").
			Label("Bucket").
			Values(dashboard.StringOrMap{String: cog.ToPtr("ISO week : week,UTC day : day")}).
			Current(option("ISO week", "week")))
	for i, p := range panels {
		panel, err := buildPanel(p, ds)
		if err != nil {
			return dashboard.Dashboard{}, err
		}
		if i == 0 {
			b = b.WithRow(dashboard.NewRowBuilder("North star"))
			panel = panel.Span(24)
		} else if i == 1 {
			b = b.WithRow(dashboard.NewRowBuilder("Supporting metrics"))
		}
		b = b.WithPanel(panel)
	}
	return b.Build()
}

func option(text, value string) dashboard.VariableOption {
	return dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr(text)},
		Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(value)}}
}

// valuesSQL lists the values of the segment variable's dimension in the
// time range: the labels of the platform distribution by it.
func valuesSQL() string {
	return "SELECT 'all' WHERE ${segment:sqlstring} = 'all'\nUNION\nSELECT DISTINCT metric FROM (\n" +
		insights.SharesSQL(insights.SeriesQuery{From: query.From, To: query.To, Segment: query.Segment, Bucket: "'day'"}) +
		") AS s WHERE ${segment:sqlstring} <> 'all'\nORDER BY 1"
}

// buildPanel is one metric's time series panel.
func buildPanel(p panelSpec, ds common.DataSourceRef) (*timeseries.PanelBuilder, error) {
	var desc []string
	title := p.title
	panel := timeseries.NewPanelBuilder().
		Datasource(ds).
		Unit(p.unit).
		Min(0).
		AxisLabel(p.axis).
		Span(12).
		Height(9).
		LineWidth(2).
		ShowPoints(common.VisibilityModeAlways).
		PointSize(7).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed).FixedColor(colourFirst)).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone))
	if p.shares {
		d, _ := insights.DefOf("platform_share")
		desc = append(desc, d.Definition+", by the segment's dimension (the platform for all users)")
		panel = panel.
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
			WithTarget(newsqlQuery("A", "time_series", insights.SharesSQL(query)))
	}
	for i, name := range p.metrics {
		if p.shares {
			break
		}
		d, ok := insights.DefOf(name)
		if !ok {
			return nil, fmt.Errorf("panel %q: no metric %q", p.title, name)
		}
		if title == "" {
			title = d.Title
		}
		sql, err := insights.SeriesSQL(name, query)
		if err != nil {
			return nil, err
		}
		ref := string(rune('A' + i))
		desc = append(desc, d.Title+": "+d.Definition+targetText(d))
		panel = panel.WithTarget(newsqlQuery(ref, "time_series", seriesSelect(d, sql)))
		if i == 1 {
			panel = panel.OverrideByName(d.Title, []dashboard.DynamicConfigValue{
				{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": colourSecond}},
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 5}}},
				{Id: "custom.pointSymbol", Value: "triangle"},
			})
		}
		for _, col := range targetColumns(d) {
			panel = panel.OverrideByName(col.label, []dashboard.DynamicConfigValue{
				{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": colourTarget}},
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{6, 6}}},
				{Id: "custom.lineWidth", Value: 1},
				{Id: "custom.showPoints", Value: "never"},
			})
		}
	}
	return panel.Title(title).Description(strings.Join(desc, "\n")), nil
}

// targetText is the target of a metric as the description says it.
func targetText(d insights.Def) string {
	if d.Target.Text == "" {
		return ""
	}
	s := " (target " + d.Target.Text
	// In key order: the generated file must be the same on every run.
	for _, k := range slices.Sorted(maps.Keys(d.TargetFor)) {
		s += ", " + k + ": " + d.TargetFor[k].Text
	}
	return s + ")"
}

// targetColumn is a bound of a metric's target drawn as a series.
type targetColumn struct{ column, label string }

// targetColumns are the bounds the metric's target has, for any segment.
func targetColumns(d insights.Def) []targetColumn {
	targets := []insights.Target{d.Target}
	for _, t := range d.TargetFor {
		targets = append(targets, t)
	}
	var min, max bool
	for _, t := range targets {
		if !t.Growth {
			min = min || t.Min != 0
			max = max || t.Max != 0
		}
	}
	var out []targetColumn
	switch {
	case min && max:
		out = append(out, targetColumn{"target_min", d.Title + " target (low)"}, targetColumn{"target_max", d.Title + " target (high)"})
	case min:
		out = append(out, targetColumn{"target_min", d.Title + " target"})
	case max:
		out = append(out, targetColumn{"target_max", d.Title + " target"})
	}
	return out
}

// seriesSelect names a series query's columns for the panel: the metric's
// title and its target's bounds.
func seriesSelect(d insights.Def, sql string) string {
	cols := []string{"time", "value AS " + ident(d.Title)}
	for _, c := range targetColumns(d) {
		cols = append(cols, c.column+" AS "+ident(c.label))
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM (\n" + sql + ") AS s\nORDER BY time"
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// sqlQuery is a query of Grafana's PostgreSQL data source, in code mode
// (the SDK has no type for it: the shape Grafana saves).
type sqlQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	EditorMode string                `json:"editorMode"`
	Format     string                `json:"format"`
	RawQuery   bool                  `json:"rawQuery"`
	RawSQL     string                `json:"rawSql"`
}

// ImplementsDataqueryVariant makes sqlQuery a query of the SDK.
func (sqlQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the data source's plugin id.
func (sqlQuery) DataqueryType() string { return datasourceType }

// Validate accepts any query: Grafana checks the SQL when it runs it.
func (sqlQuery) Validate() error { return nil }

// Equals compares two queries.
func (q sqlQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(sqlQuery)
	return ok && q.RefID == o.RefID && q.EditorMode == o.EditorMode && q.Format == o.Format &&
		q.RawQuery == o.RawQuery && q.RawSQL == o.RawSQL
}

type sqlQueryBuilder struct{ q sqlQuery }

func (b sqlQueryBuilder) Build() (variants.Dataquery, error) { return b.q, nil }

func newsqlQuery(ref, format, sql string) cog.Builder[variants.Dataquery] {
	return sqlQueryBuilder{sqlQuery{RefID: ref, EditorMode: "code", Format: format, RawQuery: true, RawSQL: sql}}
}

// Files are the generated files of dashboards/, by name.
func Files() (map[string][]byte, error) {
	d, err := Dashboard()
	if err != nil {
		return nil, fmt.Errorf("build the dashboard: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode the dashboard: %w", err)
	}
	return map[string][]byte{fileName: b.Bytes()}, nil
}
