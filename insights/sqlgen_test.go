package insights

import (
	"strings"
	"testing"
)

// TestCommonSegmentsHaveTheirSQL: the dimensions that every metric is
// broken down by (the Grafana dashboard's segment variable) need their
// value in SQL too (segmentSQL, segValue's twin), as do those of the
// facts' extra column that SQL can read.
func TestCommonSegmentsHaveTheirSQL(t *testing.T) {
	for _, s := range append(append([]Segment{}, segsCommon...), SegmentRisk, SegmentCategory) {
		if _, ok := segmentSQL[s]; !ok {
			t.Errorf("segmentSQL does not know %s", s)
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
