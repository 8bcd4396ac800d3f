package insights

import (
	"math"
	"sort"
	"strings"

	"caro.sh/telemetry/schema"
)

// Segment names a dimension that a metric can be broken down by.
type Segment string

// The segment dimensions. SegmentNone is the whole population ("all").
const (
	SegmentNone      Segment = ""
	SegmentBackend   Segment = "backend"
	SegmentPlatform  Segment = "platform" // the os
	SegmentArch      Segment = "arch"
	SegmentShell     Segment = "shell"
	SegmentOSBackend Segment = "os_backend" // os/configured backend
	SegmentRun       Segment = "run"        // first or returning
	SegmentRisk      Segment = "risk_level"
	SegmentCategory  Segment = "category"
	// SegmentModelSize is the size class of a generation's model
	// (schema.ModelSizeClass), "none" without a model (the static table).
	SegmentModelSize Segment = "model_size"
	// SegmentFeature is a feature of caro that a run used (Features).
	SegmentFeature Segment = "feature"
)

// modelSizeNone is the model size of a generation without a model.
const modelSizeNone = "none"

// SegmentAll is the segment key of the whole population.
const SegmentAll = "all"

// Kind says how a metric is computed.
type Kind int

// Kinds of metric.
const (
	KindRatio      Kind = iota // sum(Num) / sum(Den)
	KindShare                  // a ratio whose denominator is never segmented
	KindPercentile             // nearest rank P of the distribution Dist
	KindDaily                  // sum(Num) over the days / days of the window
)

// Target is a metric's goal. Min and Max bound the good values (0 = no
// bound); Growth asks for an increase against the previous window.
type Target struct {
	Text     string
	Min, Max float64
	Growth   bool
	// Rate says the metric is a rate in [0,1], so a Min's amber band is on
	// the complement.
	Rate bool
}

// Def defines one metric.
type Def struct {
	Name       string
	Title      string
	Definition string
	Kind       Kind
	Num, Den   []string // facts summed
	Dist       string   // the distribution of a percentile
	P          float64  // the percentile, 0.5 or 0.95
	Segments   []Segment
	// Inherent are the segments always reported (the spec's "per backend",
	// "by category", ...), whatever the Compute call asks for.
	Inherent []Segment
	Target   Target
	// TargetFor overrides Target per segment key.
	TargetFor map[string]Target
	// NoTotal says the whole population has no figure, only the segments:
	// a run uses several features at once. Its "all" row keeps the
	// denominator that the segments share.
	NoTotal bool
}

var segsCommon = []Segment{SegmentBackend, SegmentPlatform, SegmentRun}

// segsInference are the segments of the inference time: the common ones
// and the model's size.
var segsInference = append(append([]Segment{}, segsCommon...), SegmentModelSize)

var (
	targetP95Local  = Target{Text: "<2s", Max: 2000}
	targetP95Remote = Target{Text: "<5s", Max: 5000}
)

// Defs are the metrics, in the spec's order: the north star, then the
// supporting metrics.
var Defs = []Def{
	{Name: "csr", Title: "Command Success Rate", Kind: KindRatio,
		Definition: "commands executed unmodified / commands generated",
		Num:        []string{factUnmodified}, Den: []string{factGenerated},
		Segments: segsCommon, Target: Target{Text: ">=80%", Min: 0.80, Rate: true}},
	{Name: "ttfc_p50", Title: "TTFC (P50)", Kind: KindPercentile, Dist: distTTFC, P: 0.5,
		Definition: "nearest-rank median of session.end time_to_first_command_ms",
		Segments:   segsCommon, Target: Target{Text: "<3s", Max: 3000}},
	{Name: "safety_block_rate", Title: "Safety Block Rate", Kind: KindRatio,
		Definition: "safety blocks / commands generated",
		Num:        []string{factBlocked}, Den: []string{factGenerated},
		Segments: append([]Segment{SegmentRisk}, segsCommon...), Inherent: []Segment{SegmentRisk},
		Target: Target{Text: "2-5%", Min: 0.02, Max: 0.05}},
	{Name: "false_positive_rate", Title: "False Positive Rate", Kind: KindRatio,
		Definition: "blocks the user overrode (ran anyway by typing the confirmation; critical ones cannot be) / safety blocks",
		Num:        []string{factOverridden}, Den: []string{factBlocked},
		Segments: append([]Segment{SegmentRisk}, segsCommon...), Inherent: []Segment{SegmentRisk},
		Target: Target{Text: "<10%", Max: 0.10}},
	{Name: "retry_rate", Title: "Retry Rate", Kind: KindRatio,
		Definition: "sessions ended with retries > 0 / sessions",
		Num:        []string{factRetried}, Den: []string{factSessions},
		Segments: segsCommon, Target: Target{Text: "<20%", Max: 0.20}},
	{Name: "backend_success_rate", Title: "Backend Success Rate", Kind: KindRatio,
		Definition: "commands generated / (commands generated + inference errors), per backend",
		Num:        []string{factGenerated}, Den: []string{factGenerated, factInferenceErrs},
		Segments: segsCommon, Inherent: []Segment{SegmentBackend},
		Target: Target{Text: ">99%", Min: 0.99, Rate: true}},
	{Name: "inference_p50", Title: "Inference P50", Kind: KindPercentile, Dist: distInference, P: 0.5,
		Definition: "nearest-rank median of command.generated inference_time_ms",
		Segments:   segsInference, Inherent: []Segment{SegmentBackend}},
	{Name: "inference_p95", Title: "Inference P95", Kind: KindPercentile, Dist: distInference, P: 0.95,
		Definition: "nearest-rank 95th percentile of command.generated inference_time_ms",
		Segments:   segsInference, Inherent: []Segment{SegmentBackend, SegmentPlatform, SegmentModelSize},
		Target:    targetP95Local,
		TargetFor: map[string]Target{"backend=ollama": targetP95Remote, "backend=vllm": targetP95Remote}},
	{Name: "session_completion_rate", Title: "Session Completion Rate", Kind: KindRatio,
		Definition: "sessions ended with commands_executed > 0 / sessions",
		Num:        []string{factExecuted}, Den: []string{factSessions},
		Segments: segsCommon, Target: Target{Text: ">70%", Min: 0.70, Rate: true}},
	{Name: "dau", Title: "DAU", Kind: KindDaily,
		Definition: "distinct session_id per UTC day, averaged over the days of the window",
		Num:        []string{factActiveIDs},
		Segments:   segsCommon, Target: Target{Text: "Growth", Growth: true}},
	{Name: "error_rate", Title: "Error Rate", Kind: KindRatio,
		Definition: "errors / sessions (by category: errors of the category / all sessions)",
		Num:        []string{factErrors}, Den: []string{factSessions},
		Segments: append([]Segment{SegmentCategory}, segsCommon...), Inherent: []Segment{SegmentCategory},
		Target: Target{Text: "<1%", Max: 0.01}},
	{Name: "platform_share", Title: "Platform Distribution", Kind: KindShare,
		Definition: "sessions of the segment / all sessions",
		Num:        []string{factSessions}, Den: []string{factSessions},
		Segments: []Segment{SegmentPlatform, SegmentArch, SegmentShell, SegmentOSBackend, SegmentBackend, SegmentRun},
		Inherent: []Segment{SegmentPlatform, SegmentArch, SegmentShell, SegmentOSBackend, SegmentBackend}},
	{Name: "feature_usage", Title: "Feature Usage", Kind: KindShare,
		Definition: "caro runs that used the feature / sessions (session.start: configured backend, safety level, " +
			"output format, fallback; command.executed: execution mode, edited)",
		Num: []string{factFeature}, Den: []string{factSessions},
		Segments: []Segment{SegmentFeature}, Inherent: []Segment{SegmentFeature}, NoTotal: true,
		Target: Target{Text: ">=1%", Min: FeatureUnusedShare}},
}

// DefOf returns the definition of a metric by name.
func DefOf(name string) (Def, bool) {
	for _, d := range Defs {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

// extraKind is the extra dimension a fact carries, if any.
var extraKind = map[string]Segment{factBlocked: SegmentRisk, factOverridden: SegmentRisk, factErrors: SegmentCategory,
	distInference: SegmentModelSize, factFeature: SegmentFeature}

// isExtra says whether a dimension is carried by some facts only.
func isExtra(s Segment) bool {
	return s == SegmentRisk || s == SegmentCategory || s == SegmentModelSize || s == SegmentFeature
}

// segValue is the value of a fact on a dimension ("" when the fact does not
// carry it).
func segValue(f *fact, s Segment) string {
	switch s {
	case SegmentBackend:
		return f.Backend
	case SegmentPlatform:
		return f.OS
	case SegmentArch:
		return f.Arch
	case SegmentShell:
		return f.Shell
	case SegmentOSBackend:
		return f.OS + "/" + f.Backend
	case SegmentRun:
		return f.Run
	case SegmentModelSize:
		if extraKind[f.Name] != SegmentModelSize {
			return ""
		}
		if name, ok := strings.CutPrefix(f.Extra, "model_name="); ok && name != "" {
			return schema.ModelSizeClass(name)
		}
		return modelSizeNone
	case SegmentRisk, SegmentCategory, SegmentFeature:
		if k, v, ok := strings.Cut(f.Extra, "="); ok && Segment(k) == s {
			return v
		}
	}
	return ""
}

// Row is one metric of one day and segment: what daily_metrics stores. For
// a distribution (Metric "<dist>.dist") Value is an observed value and
// Numerator its count.
type Row struct {
	Day         string
	Metric      string
	Segment     string
	Value       float64
	Numerator   int64
	Denominator int64
}

const distSuffix = ".dist"

// dayRows turns the facts of one day into its metric rows, for every
// segment of every metric.
func dayRows(day string, facts []fact) []Row {
	facts = splitFeatures(facts)
	byName := map[string][]*fact{}
	for i := range facts {
		byName[facts[i].Name] = append(byName[facts[i].Name], &facts[i])
	}
	var out []Row
	for _, d := range Defs {
		if d.Kind == KindPercentile {
			continue
		}
		for _, seg := range append([]Segment{SegmentNone}, d.Segments...) {
			keyFacts := d.Num
			if !d.denUnsegmented(seg) {
				keyFacts = append(append([]string{}, d.Num...), d.Den...)
			}
			for _, key := range segKeys(seg, byName, keyFacts) {
				num := sumFacts(byName, d.Num, seg, key)
				den := int64(1)
				if d.Kind != KindDaily {
					denSeg := seg
					if d.denUnsegmented(seg) {
						denSeg = SegmentNone
					}
					den = sumFacts(byName, d.Den, denSeg, key)
				}
				if num == 0 && den == 0 {
					continue
				}
				out = append(out, Row{Day: day, Metric: d.Name, Segment: segKey(seg, key),
					Value: ratio(num, den), Numerator: num, Denominator: den})
			}
		}
	}
	// Distributions: one row per distinct value per segment.
	for _, ds := range []struct {
		dist string
		segs []Segment
	}{{distTTFC, segsCommon}, {distInference, segsInference}} {
		dist := ds.dist
		for _, seg := range append([]Segment{SegmentNone}, ds.segs...) {
			counts := map[string]map[int64]int64{}
			for _, f := range byName[dist] {
				v := segValue(f, seg)
				if seg != SegmentNone && v == "" {
					continue
				}
				k := segKey(seg, v)
				if counts[k] == nil {
					counts[k] = map[int64]int64{}
				}
				counts[k][f.V] += f.N
			}
			for k, m := range counts {
				for v, n := range m {
					out = append(out, Row{Day: day, Metric: dist + distSuffix, Segment: k, Value: float64(v), Numerator: n})
				}
			}
		}
	}
	sortRows(out)
	return out
}

func sortRows(rs []Row) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.Segment != b.Segment {
			return a.Segment < b.Segment
		}
		return a.Value < b.Value
	})
}

// denUnsegmented says whether the denominator of a segment of the metric
// is the whole population's: for a share, and for a dimension that the
// denominator's facts do not carry (blocks by risk level over all
// generated commands). Summed over days, such a segment takes the
// denominator of the whole population, since a day without the segment
// has no row.
func (d Def) denUnsegmented(seg Segment) bool {
	return seg != SegmentNone && (d.Kind == KindShare || !carries(d.Den, seg))
}

// carries says whether the facts can be split on seg: every fact carries
// the common dimensions, only some an extra one.
func carries(names []string, seg Segment) bool {
	if !isExtra(seg) {
		return true
	}
	for _, n := range names {
		if extraKind[n] != seg {
			return false
		}
	}
	return true
}

func segKey(seg Segment, v string) string {
	if seg == SegmentNone {
		return SegmentAll
	}
	return string(seg) + "=" + v
}

// segKeys are the values of seg among the facts (one "" for SegmentNone).
func segKeys(seg Segment, byName map[string][]*fact, names []string) []string {
	if seg == SegmentNone {
		return []string{""}
	}
	seen := map[string]bool{}
	for _, n := range names {
		for _, f := range byName[n] {
			if v := segValue(f, seg); v != "" {
				seen[v] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sumFacts(byName map[string][]*fact, names []string, seg Segment, key string) int64 {
	var n int64
	for _, name := range names {
		for _, f := range byName[name] {
			if seg == SegmentNone || segValue(f, seg) == key {
				n += f.N
			}
		}
	}
	return n
}

func ratio(num, den int64) float64 {
	if den == 0 {
		return math.NaN()
	}
	return float64(num) / float64(den)
}
