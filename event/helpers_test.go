package event

import "caro.sh/telemetry/internal/eventtest"

var (
	t0          = eventtest.T0
	sampleAttrs = eventtest.Attrs
	lookup      = eventtest.Lookup
)
