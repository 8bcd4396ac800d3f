package safety

import "testing"

func TestDisposable(t *testing.T) {
	cases := []struct {
		name string
		path string
		want bool
	}{
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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := disposable(c.path); got != c.want {
				t.Errorf("disposable(%q) = %v", c.path, got)
			}
		})
	}
}

func TestReloadSignal(t *testing.T) {
	cases := []struct {
		name string
		opts string
		want bool
	}{
		{"-HUP is a reload", " -HUP", true},
		{"-SIGHUP is a reload", " -SIGHUP", true},
		{"-1 is SIGHUP", " -1", true},
		{"-s USR1 is a reload", " -s USR1", true},
		{"--signal=usr2 is a reload", " --signal=usr2", true},
		{"-9 kills", " -9", false},
		{"-KILL kills", " -KILL", false},
		{"no option is SIGTERM", "", false},
		{"-u names a user, not a signal", " -u 1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reloadSignal(c.opts); got != c.want {
				t.Errorf("reloadSignal(%q) = %v", c.opts, got)
			}
		})
	}
}
