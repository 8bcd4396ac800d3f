package redaction_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// The fuzz target checks accepted values against these patterns, written
// independently of Detect, so that a gap in Detect shows up as a failure
// rather than being trusted by construction.
var (
	formatOracle = map[schema.Format]*regexp.Regexp{
		// The regular expression that semver.org suggests, and at most 20
		// characters (checked apart).
		schema.FormatVersion: regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
			`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
			`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`),
		schema.FormatModelName: regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,49}$`),
		schema.FormatSessionID: regexp.MustCompile(`^[0-9a-f]{16}$`),
		schema.FormatUUID:      regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
		schema.FormatRecordUID: regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
	}
	octet            = `(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])`
	sensitiveOracles = []*regexp.Regexp{
		regexp.MustCompile("[/\\\\~@\\s|;&$<>`=%]"), // paths, e-mails, commands, pairs
		regexp.MustCompile(`://`),                   // URLs
		regexp.MustCompile(`(?i)www\.`),             // URLs
		regexp.MustCompile(`(?i)[a-z0-9_-]\.(?:com|net|org|io|sh|ai|dev|app|co|local|internal|lan|corp|arpa)(?:[^a-z0-9]|$)`),
		regexp.MustCompile(`(?:^|[^0-9])` + octet + `(?:\.` + octet + `){3}(?:[^0-9]|$)`), // IPv4
		regexp.MustCompile(`(?i)(?:^|[^0-9a-f:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}`),      // full IPv6
		regexp.MustCompile(`[0-9a-fA-F]{32}`),                                             // long hex
		regexp.MustCompile(`(?:^|[^A-Za-z0-9])eyJ[A-Za-z0-9_.-]{10}`),                     // JWT
		regexp.MustCompile(`(?:^|[^A-Za-z0-9])(?:sk-[A-Za-z0-9_-]{20}|ghp_[A-Za-z0-9_-]{30}|AKIA[A-Z0-9]{16}|` +
			`glpat-[A-Za-z0-9_-]{20}|xox[abprs]-[A-Za-z0-9_-]{10}|AIza[A-Za-z0-9_-]{30}|hf_[A-Za-z0-9_-]{30}|` +
			`npm_[A-Za-z0-9_-]{30}|sk_live_[A-Za-z0-9_-]{16}|github_pat_[A-Za-z0-9_-]{40})`),
		regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(?:password|passwd|pwd|token|secret|apikey|api_key)\s*:`),
		regexp.MustCompile(`-----(?:BEGIN|END)`),
	}
)

// FuzzApply puts a random string into every string field of every event. An
// accepted value must be clean for Detect and for the independent patterns
// above, and fit its format; a model name must be a catalog name or custom
// (never the input unless the input is one), any other value a prefix of
// the input (shortening only).
func FuzzApply(f *testing.F) {
	for _, file := range []string{"testdata/sensitive.txt", "testdata/legit.txt"} {
		for _, l := range readLines(f, file) {
			f.Add(l.value)
		}
	}
	for _, v := range schema.EnumValues() {
		f.Add(v)
	}
	f.Add(validSessionID)
	f.Add(validUUID)
	f.Add(validRecordUID)

	fields := stringFields()
	lists := listFields()
	v := redaction.New()
	f.Fuzz(func(t *testing.T, s string) {
		inputClean := redaction.Detect(s) == redaction.ReasonNone
		for _, lf := range lists {
			in := with(validAttrs(lf.ev), lf.f.Key, schema.StringList([]string{validSessionID, s}))
			out, r := v.Apply(lf.ev.Name, in)
			if r != redaction.ReasonNone {
				continue
			}
			got, _ := get(out, lf.f.Key)
			if len(got.List) != 2 || got.List[1] != s {
				t.Fatalf("%s.%s: accepted list %q, want the input unchanged", lf.ev.Name, lf.f.Key, got.List)
			}
			if re := formatOracle[lf.f.Format]; !inputClean || re == nil || !re.MatchString(s) {
				t.Fatalf("%s.%s: accepted item %q that does not fit format %v", lf.ev.Name, lf.f.Key, s, lf.f.Format)
			}
		}
		for _, sf := range fields {
			in := with(validAttrs(sf.ev), sf.f.Key, schema.String(s))
			out, r := v.Apply(sf.ev.Name, in)
			if r != redaction.ReasonNone {
				if out != nil {
					t.Fatalf("%s.%s: rejected (%v) with %d attributes", sf.ev.Name, sf.f.Key, r, len(out))
				}
				continue
			}
			got, ok := get(out, sf.f.Key)
			if !ok || got.Type != schema.TypeString {
				t.Fatalf("%s.%s: accepted without the field", sf.ev.Name, sf.f.Key)
			}
			val := got.Str
			if !inputClean {
				t.Fatalf("%s.%s: accepted %q although Detect flags it", sf.ev.Name, sf.f.Key, s)
			}
			if d := redaction.Detect(val); d != redaction.ReasonNone {
				t.Fatalf("%s.%s: accepted value %q is %v", sf.ev.Name, sf.f.Key, val, d)
			}
			if sf.f.Format == schema.FormatModelName {
				if val != schema.ModelCustom && !schema.IsCatalogModel(val) {
					t.Fatalf("%s.%s: accepted value %q is neither a catalog name nor custom", sf.ev.Name, sf.f.Key, val)
				}
				if want, ok := schema.CatalogModel(s); ok && val != want {
					t.Fatalf("%s.%s: %q recorded as %q, want its catalog name %q", sf.ev.Name, sf.f.Key, s, val, want)
				}
			} else if !strings.HasPrefix(s, val) {
				t.Fatalf("%s.%s: accepted value %q is not a prefix of %q", sf.ev.Name, sf.f.Key, val, s)
			}
			if sf.f.Format == schema.FormatEnum {
				if !slices.Contains(sf.f.Enum, val) {
					t.Fatalf("%s.%s: accepted %q outside the enum", sf.ev.Name, sf.f.Key, val)
				}
				continue
			}
			if re := formatOracle[sf.f.Format]; re == nil || !re.MatchString(val) || len(val) > sf.f.MaxLen {
				t.Fatalf("%s.%s: accepted value %q does not fit format %v", sf.ev.Name, sf.f.Key, val, sf.f.Format)
			}
			for _, re := range sensitiveOracles {
				if re.MatchString(val) {
					t.Fatalf("%s.%s: accepted value %q matches %s", sf.ev.Name, sf.f.Key, val, re)
				}
			}
		}
	})
}
