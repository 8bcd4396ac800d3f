package redaction_test

import (
	"testing"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// TestVersionsAreStrictSemVer holds ValidFormat (what the collector checks
// service.version and the receiver's X-Caro-Version with) and Apply's
// caro_version to the SemVer 2.0.0 grammar.
func TestVersionsAreStrictSemVer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"a release is a version", "1.1.0", true},
		{"zeros are a version", "0.0.0", true},
		{"a pre-release is a version", "1.2.0-beta.1", true},
		{"a pre-release with a hyphen is a version", "1.0.0-x-y.7.z.92", true},
		{"a numeric pre-release is a version", "1.0.0-0.3.7", true},
		{"build metadata is a version", "1.0.0+20130313144700", true},
		{"build metadata may have leading zeros", "1.0.0+build.007", true},
		{"a pre-release with build metadata is a version", "1.1.2-pre+meta", true},
		{"a phone number is not a version", "415-555-0132", false},
		{"two parts are not a version", "1.1", false},
		{"four parts are not a version", "1.1.0.1", false},
		{"a leading v is not a version", "v1.1.0", false},
		{"a leading zero in the major is not a version", "01.1.0", false},
		{"a leading zero in the minor is not a version", "1.01.0", false},
		{"a leading zero in the patch is not a version", "1.1.00", false},
		{"a leading zero in a numeric pre-release is not a version", "1.1.0-beta.01", false},
		{"an empty pre-release is not a version", "1.1.0-", false},
		{"an empty pre-release identifier is not a version", "1.1.0-beta..1", false},
		{"empty build metadata is not a version", "1.1.0+", false},
		{"two plus signs are not a version", "1.1.0+a+b", false},
		{"an underscore is not a version", "1.1.0_beta", false},
		{"an empty core part is not a version", "1..0", false},
		{"a letter in the core is not a version", "1.1.x", false},
		{"an empty string is not a version", "", false},
		{"a version longer than 20 characters is not recorded as is", "1.2.0-beta.1+build.123", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redaction.ValidFormat(schema.FormatVersion, tt.in); got != tt.ok {
				t.Errorf("ValidFormat(version, %q) = %v, want %v", tt.in, got, tt.ok)
			}
			if len(tt.in) > schema.MaxVersionLen {
				return // Apply shortens it: TestTruncation
			}
			in := with(validAttrs(mustEvent(t, schema.EventSessionStart)), "caro_version", schema.String(tt.in))
			_, r := redaction.New().Apply(schema.EventSessionStart, in)
			if (r == redaction.ReasonNone) != tt.ok {
				t.Errorf("Apply with caro_version %q = %v, want accepted %v", tt.in, r, tt.ok)
			}
		})
	}
}
