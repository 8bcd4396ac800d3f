package insights

import (
	"strings"
	"testing"
)

// TestEverySegmentHasItsSQL: a dimension added to a metric needs its
// value in SQL too (segmentSQL, segValue's twin), or the Grafana panels
// would not know it.
func TestEverySegmentHasItsSQL(t *testing.T) {
	for _, d := range Defs {
		for _, s := range append(append([]Segment{}, d.Segments...), d.Inherent...) {
			if _, ok := segmentSQL[s]; !ok {
				t.Errorf("metric %s is broken down by %s, which segmentSQL does not know", d.Name, s)
			}
		}
	}
}

func TestSeriesSQLReadsTheFactsSQLOnly(t *testing.T) {
	for _, d := range Defs {
		q, err := SeriesSQL(d.Name, SeriesQuery{From: "'2026-11-16'", To: "'2026-11-23'"})
		if err != nil {
			t.Fatal(err)
		}
		if left := paramPattern.FindString(q); left != "" {
			t.Errorf("%s: parameter %s left in the SQL", d.Name, left)
		}
		if !strings.Contains(q, "FROM daily_metrics m") {
			t.Errorf("%s: the SQL does not read the rolled-up days", d.Name)
		}
	}
	if _, err := SeriesSQL("nope", SeriesQuery{}); err == nil {
		t.Error("an unknown metric got SQL")
	}
}
