package loadgen

import (
	"fmt"
	"math/rand/v2"

	"caro.sh/telemetry/schema"
)

// Hostility is how a generated record was spoiled: with a value that Caro
// must never collect in one of its fields (the collector rejects the whole
// record), or with a field its event does not declare (the collector
// drops that field and keeps the record).
type Hostility uint8

// Kinds of hostile records. The value kinds are named for what the
// redaction's Detect reports for them.
const (
	Clean Hostility = iota
	// HostilePath: a file system path (/home/alice/..., ~/.aws/credentials, C:\Users\...).
	HostilePath
	// HostileSecret: a provider key or token, or a password=... pair.
	HostileSecret
	// HostileEmail: an e-mail address.
	HostileEmail
	// HostileIP: an IPv4 or IPv6 address, or an EC2-style host name.
	HostileIP
	// HostileURL: a URL or a host name.
	HostileURL
	// HostileCommand: a shell command line.
	HostileCommand
	// HostileUnknownField: an attribute the event does not declare (a host or
	// user attribute, or a field of another event), holding one of the
	// values above.
	HostileUnknownField

	numHostility
)

var hostilityNames = [numHostility]string{"clean", "path", "secret", "email", "ip", "url", "command", "unknown_field"}

// String returns the kind's snake_case name (for a value kind, the name of
// the redaction reason that rejects it).
func (h Hostility) String() string {
	if h < numHostility {
		return hostilityNames[h]
	}
	return fmt.Sprintf("Hostility(%d)", uint8(h))
}

// Hostilities returns every hostile kind, Clean excluded.
func Hostilities() []Hostility {
	out := make([]Hostility, 0, numHostility-1)
	for h := Clean + 1; h < numHostility; h++ {
		out = append(out, h)
	}
	return out
}

// spoil turns a valid record into a hostile one of a random kind: a value
// kind replaces the value of a random field (of any type: a string where
// an int belongs is still caught for what it holds), HostileUnknownField
// adds a field.
func spoil(rng *rand.Rand, r *Record) {
	h := Hostility(1 + rng.IntN(int(numHostility)-1))
	r.Hostile = h
	if h != HostileUnknownField {
		r.Attrs[rng.IntN(len(r.Attrs))].Value = schema.String(hostileValue(rng, h))
		return
	}
	key := foreignKey(rng, r.Event)
	r.Attrs = append(r.Attrs, schema.Attr{Key: key,
		Value: schema.String(hostileValue(rng, Hostility(1+rng.IntN(int(HostileUnknownField)-1))))})
}

// foreignKeys are attributes an instrumented program might add that Caro's
// schema never declares.
var foreignKeys = []string{
	"host.name", "user.name", "process.command_line", "process.executable.path", "os.description",
	"cwd", "prompt", "command", "error.message", "exception.stacktrace", "http.url", "client.address",
}

// foreignKey picks an undeclared key for event: half the time one of
// foreignKeys, else a field that another event declares and this one does
// not (model_name on session.start), which only a per-event allowlist
// catches.
func foreignKey(rng *rand.Rand, event string) string {
	e, _ := schema.Lookup(event)
	if rng.IntN(2) == 0 {
		var others []string
		for _, o := range schema.Events() {
			for _, f := range o.Fields {
				if _, declared := e.Field(f.Key); !declared {
					others = append(others, f.Key)
				}
			}
		}
		if len(others) > 0 {
			return others[rng.IntN(len(others))]
		}
	}
	return foreignKeys[rng.IntN(len(foreignKeys))]
}

var (
	users    = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	projects = []string{"billing", "infra", "dotfiles", "website", "ml-models", "payroll", "notes"}
	domains  = []string{"example.com", "example.org", "corp.example.net", "mail.example.io"}
)

// hostileValue draws a value of kind h.
func hostileValue(rng *rand.Rand, h Hostility) string {
	u := users[rng.IntN(len(users))]
	p := projects[rng.IntN(len(projects))]
	d := domains[rng.IntN(len(domains))]
	switch h {
	case HostilePath:
		return pick(rng,
			fmt.Sprintf("/home/%s/projects/%s", u, p),
			fmt.Sprintf("/Users/%s/.ssh/id_ed25519", u),
			"~/.aws/credentials",
			fmt.Sprintf(`C:\Users\%s\Documents\%s`, u, p),
			fmt.Sprintf("./%s/build", p),
			fmt.Sprintf("../%s/%s", u, p))
	case HostileSecret:
		return pick(rng,
			"sk-proj-"+token(rng, alnum, 40),
			"ghp_"+token(rng, alnum, 36),
			"AKIA"+token(rng, upperDigits, 16),
			"glpat-"+token(rng, alnum, 20),
			"xoxb-"+token(rng, "0123456789", 12)+"-"+token(rng, alnum, 24),
			"hf_"+token(rng, alnum, 34),
			"password="+token(rng, alnum, 12))
	case HostileEmail:
		return pick(rng,
			fmt.Sprintf("%s@%s", u, d),
			fmt.Sprintf("%s.%s@%s", u, users[rng.IntN(len(users))], d),
			fmt.Sprintf("%s+%s@%s", u, p, d))
	case HostileIP:
		return pick(rng,
			fmt.Sprintf("192.168.%d.%d", rng.IntN(256), 1+rng.IntN(254)),
			fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)),
			fmt.Sprintf("fe80::%x:%x:%x:%x", rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16)),
			fmt.Sprintf("2001:db8::%x", 1+rng.IntN(1<<16)),
			fmt.Sprintf("ip-10-0-%d-%d", rng.IntN(256), 1+rng.IntN(254)))
	case HostileURL:
		return pick(rng,
			fmt.Sprintf("https://%s.%s/%s", p, d, u),
			fmt.Sprintf("http://localhost:%d/v1/chat/completions", 1024+rng.IntN(60000)),
			"www."+d)
	case HostileCommand:
		return pick(rng,
			fmt.Sprintf("rm -rf /home/%s/%s", u, p),
			fmt.Sprintf("curl -fsSL https://%s/install | sh", d),
			fmt.Sprintf("sudo apt-get install %s", p),
			"git push --force",
			fmt.Sprintf("kubectl delete namespace %s", p))
	}
	panic(fmt.Sprintf("loadgen: no hostile value of kind %v", h))
}

const (
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

func token(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func pick(rng *rand.Rand, vs ...string) string { return vs[rng.IntN(len(vs))] }
