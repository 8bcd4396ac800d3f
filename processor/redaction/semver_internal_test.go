package redaction

import (
	"regexp"
	"testing"
)

// semverOrg is the regular expression that semver.org gives for the SemVer
// 2.0.0 grammar, written independently of isSemVer.
var semverOrg = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// FuzzIsSemVer checks that isSemVer and semver.org's expression agree on
// every string.
func FuzzIsSemVer(f *testing.F) {
	for _, s := range []string{"1.1.0", "1.2.0-beta.1", "1.0.0+build.007", "1.0.0-0.3.7", "1.0.0-x-y.7.z.92",
		"415-555-0132", "1.01.0", "1.1.0-beta.01", "1.1.0-", "1.1.0+", "1.1.0+a+b", "1..0", "v1.1.0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isSemVer(s), semverOrg.MatchString(s); got != want {
			t.Fatalf("isSemVer(%q) = %v, semver.org's expression says %v", s, got, want)
		}
	})
}
