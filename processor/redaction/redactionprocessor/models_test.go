package redactionprocessor

import (
	"testing"

	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/schema"
)

// TestAModelOutsideTheCatalogIsStoredAsCustom: a client that is not Caro,
// or an older one, sends a model name of its choosing; the collector keeps
// a catalog name or custom, never the value.
func TestAModelOutsideTheCatalogIsStoredAsCustom(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a password is stored as custom", "hunter2", schema.ModelCustom},
		{"a short Stripe key is stored as custom", "sk_live_abc123", schema.ModelCustom},
		{"a short GitHub token is stored as custom", "ghp_abc123xyz", schema.ModelCustom},
		{"a host name is stored as custom", "DESKTOP-7Q2KX9L", schema.ModelCustom},
		{"a phone number is stored as custom", "415-555-0132", schema.ModelCustom},
		{"a quantised Ollama tag is stored as its catalog name", "qwen2.5-coder:7b-instruct-q4_K_M", "qwen2.5-coder:7b"},
		{"a catalog name is stored as itself", "Qwen2.5-Coder-1.5B-Instruct", "Qwen2.5-Coder-1.5B-Instruct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, nil)
			attrs := plogtest.With(plogtest.ValidAttrs(schema.EventCommandGenerated, sid), "model_name", schema.String(tt.in))
			p.consume(t, plogtest.Logs(plogtest.Record{Name: schema.EventCommandGenerated, Time: t0, Attrs: attrs}))
			recs := p.records()
			if len(recs) != 1 {
				t.Fatalf("%d records passed, want 1", len(recs))
			}
			got, _ := recs[0].Attributes().Get("model_name")
			if got.Str() != tt.want {
				t.Errorf("model_name = %q, want %q", got.Str(), tt.want)
			}
		})
	}
}

// TestVersionsThatAreNotSemVerAreNotStored: caro_version rejects its event,
// and service.version and a scope version are removed, unless they are
// SemVer 2.0 versions.
func TestVersionsThatAreNotSemVerAreNotStored(t *testing.T) {
	tests := []struct {
		name, version string
		ok            bool
	}{
		{"a release is stored", "1.1.0", true},
		{"a pre-release with build metadata is stored", "1.2.0-beta.1+r42", true},
		{"a phone number is not stored", "415-555-0132", false},
		{"a version with a leading zero is not stored", "1.01.0", false},
		{"a two-part version is not stored", "1.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, nil)
			attrs := plogtest.With(plogtest.ValidAttrs(schema.EventSessionStart, sid), "caro_version", schema.String(tt.version))
			ld := plogtest.Logs(
				plogtest.Record{Name: schema.EventSessionStart, Time: t0, Attrs: attrs},
				plogtest.Record{Name: schema.EventSessionEnd, Time: t0, Attrs: plogtest.ValidAttrs(schema.EventSessionEnd, sid)},
			)
			rl := ld.ResourceLogs().At(0)
			rl.Resource().Attributes().PutStr(schema.ResourceServiceVersion, tt.version)
			rl.ScopeLogs().At(0).Scope().SetVersion(tt.version)
			p.consume(t, ld)

			recs := p.records()
			if want := map[bool]int{true: 2, false: 1}[tt.ok]; len(recs) != want {
				t.Fatalf("%d records passed, want %d", len(recs), want)
			}
			if _, ok := recs[0].Attributes().Get("caro_version"); ok != tt.ok {
				t.Errorf("session.start passed: %v, want %v", ok, tt.ok)
			}
			out := p.sink.AllLogs()[0].ResourceLogs().At(0)
			v, ok := out.Resource().Attributes().Get(schema.ResourceServiceVersion)
			if ok != tt.ok || (ok && v.Str() != tt.version) {
				t.Errorf("service.version kept %v (%q), want kept %v", ok, v.Str(), tt.ok)
			}
			if got := out.ScopeLogs().At(0).Scope().Version(); (got == tt.version) != tt.ok {
				t.Errorf("scope version %q", got)
			}
		})
	}
}
