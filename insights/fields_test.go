package insights

import (
	"strings"
	"testing"

	"caro.sh/telemetry/schema"
)

// TestEveryFieldTheMetricsReadIsInTheSchema: the facts SQL reads fields
// only through factFields; each must be a field that some event of the
// schema declares, or the metric would silently count nothing.
func TestEveryFieldTheMetricsReadIsInTheSchema(t *testing.T) {
	declared := map[string]bool{}
	for _, e := range schema.Events() {
		for _, f := range e.Fields {
			declared[f.Key] = true
		}
	}
	for alias, key := range factFields {
		if !declared[key] {
			t.Errorf("%s reads %q, which no event of the schema declares", alias, key)
		}
		if !strings.Contains(factsTemplate, alias) {
			t.Errorf("%s is mapped but the facts SQL never reads it", alias)
		}
	}
	if strings.Contains(factsSQL, "@") {
		t.Errorf("factsSQL still holds an alias:\n%s", factsSQL)
	}
}
