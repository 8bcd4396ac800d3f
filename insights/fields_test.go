package insights

import (
	"strings"
	"testing"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// TestEveryFieldTheMetricsReadIsInTheSchema: the facts SQL reads fields
// only through factFields; each must be a field that some event of the
// schema declares, and so a column of the store, or the metric would
// silently count nothing (or fail on a missing column).
func TestEveryFieldTheMetricsReadIsInTheSchema(t *testing.T) {
	declared := map[string]bool{}
	for _, e := range schema.Events() {
		for _, f := range e.Fields {
			declared[f.Key] = true
		}
	}
	columns := map[string]bool{}
	for _, c := range store.Fields() {
		columns[c.Name] = true
	}
	for alias, key := range factFields {
		if !declared[key] {
			t.Errorf("%s reads %q, which no event of the schema declares", alias, key)
		}
		if !columns[store.ColumnName(key)] {
			t.Errorf("%s reads %q, which has no column in the store", alias, key)
		}
		if !strings.Contains(factsTemplate, alias) {
			t.Errorf("%s is mapped but the facts SQL never reads it", alias)
		}
	}
	for _, d := range dialects(t) {
		if q := factsSQL(d); strings.ContainsAny(q, "@{}") {
			t.Errorf("the %s facts SQL still holds a template token:\n%s", d.Name(), q)
		}
	}
}
