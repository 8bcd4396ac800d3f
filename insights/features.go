package insights

import (
	"strings"

	"caro.sh/telemetry/schema"
)

// A feature, for the decision framework's "feature unused" signal (<1% of
// sessions use it), is one choice of caro that the schema records for a
// run:
//
//   - backend:B, the configured primary backend (session.start);
//   - safety_level:L and output_format:F, the configured safety level and
//     output format (session.start);
//   - fallback:on or fallback:off, whether the static table backs up a
//     remote backend (session.start);
//   - execution_mode:M, how the run's command was approved, at the prompt
//     (confirmed) or ahead with --yes (auto_yes) (command.executed);
//   - edit, the command was edited before it ran (command.executed).
//
// Metric feature_usage is, per feature, the runs that used it over the
// sessions (session.start events, one per caro run) of the window.

// FeatureUnusedShare is the share of sessions under which a feature is
// unused (the spec's "<1% sessions use feature").
const FeatureUnusedShare = 0.01

// FeatureUnusedMinSessions is the fewest sessions a window needs for the
// signal: with fewer, under 1% can only mean none, which says little.
const FeatureUnusedMinSessions = 100

// Features lists every feature, from the schema's values.
func Features() []string {
	var out []string
	add := func(kind string, vs []string) {
		for _, v := range vs {
			out = append(out, kind+":"+v)
		}
	}
	add("backend", strs(schema.Backends()))
	add(schema.KeySafetyLevel, strs(schema.SafetyLevels()))
	add(schema.KeyOutputFormat, strs(schema.OutputFormats()))
	add("fallback", []string{"on", "off"})
	add(schema.KeyExecutionMode, strs(schema.ExecutionModes()))
	return append(out, "edit")
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// splitFeatures replaces each factFeatures fact, whose Extra lists the
// features of its runs, by one factFeature fact per feature (Extra
// "feature=<name>"). A feature without a value (an optional field not
// recorded, "safety_level:") is left out.
func splitFeatures(facts []fact) []fact {
	out := facts[:0:0]
	for _, f := range facts {
		if f.Name != factFeatures {
			out = append(out, f)
			continue
		}
		for _, feat := range strings.Fields(f.Extra) {
			if strings.HasSuffix(feat, ":") {
				continue
			}
			g := f
			g.Name, g.Extra = factFeature, string(SegmentFeature)+"="+feat
			out = append(out, g)
		}
	}
	return out
}
