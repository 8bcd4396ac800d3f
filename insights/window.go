package insights

import (
	"context"
	"time"

	"caro.sh/telemetry/store"
)

// ComputeBy is Compute of the window [from, to) for each segment
// dimension of bys, reading the store once: its Report for a dimension is
// the one Compute returns for it. The dashboard needs every dimension of
// a week (its segment filters), and the SQL, not the sums, is the cost.
func ComputeBy(ctx context.Context, s *store.Store, from, to time.Time, bys ...Segment) (map[Segment]Report, error) {
	rows, reps, err := windowRows(ctx, s, []window{{from, to}})
	if err != nil {
		return nil, err
	}
	out := make(map[Segment]Report, len(bys))
	for _, by := range bys {
		r := reps[0]
		r.Metrics = combine(rows[0], r.Days, by)
		out[by] = r
	}
	return out, nil
}
