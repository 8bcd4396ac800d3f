package safety

import "testing"

// predicateCase is a row of a table test of a string predicate: the input,
// and whether the predicate holds.
type predicateCase struct {
	name string
	in   string
	want bool
}

// testPredicate runs a table of cases against the predicate named fn.
func testPredicate(t *testing.T, fn string, f func(string) bool, cases []predicateCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f(c.in); got != c.want {
				t.Errorf("%s(%q) = %v", fn, c.in, got)
			}
		})
	}
}

func TestDisposable(t *testing.T) {
	testPredicate(t, "disposable", disposable, []predicateCase{
		{"a temporary folder below a system path is disposable", "/var/lib/docker/tmp/*", true},
		{"a cache folder is disposable", "/var/cache/apt/archives/*.deb", true},
		{"a macOS cache folder is disposable", "/Users/bob/Library/Caches/com.app", true},
		{"the apt index is disposable", "/var/lib/apt/lists/*", true},
		{"a database directory is not", "/var/lib/mysql", false},
		{"a name that merely contains cache is not", "/var/lib/cachet", false},
		{"a cache reached through .. is not", "/var/cache/../lib/mysql", false},
		{"a path holding an expansion is not", "/var/tmp/$X/../../lib/mysql", false},
		{"a path holding a command substitution is not", "/var/tmp/`x`", false},
		{"the top directory itself does not count", "/tmp", false},
	})
}

func TestReloadSignal(t *testing.T) {
	testPredicate(t, "reloadSignal", reloadSignal, []predicateCase{
		{"-HUP is a reload", " -HUP", true},
		{"-SIGHUP is a reload", " -SIGHUP", true},
		{"-1 is SIGHUP", " -1", true},
		{"-s USR1 is a reload", " -s USR1", true},
		{"--signal=usr2 is a reload", " --signal=usr2", true},
		{"-9 kills", " -9", false},
		{"-KILL kills", " -KILL", false},
		{"no option is SIGTERM", "", false},
		{"-u names a user, not a signal", " -u 1", false},
	})
}
