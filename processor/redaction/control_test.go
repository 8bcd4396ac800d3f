package redaction_test

import (
	"strings"
	"testing"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

func TestDeletionRequestListItemsAreValidated(t *testing.T) {
	many := make([]string, schema.MaxDeletionSessionIDs+1)
	for i := range many {
		many[i] = validSessionID
	}
	for _, tc := range []struct {
		name string
		val  schema.Value
		want redaction.Reason
	}{
		{"two session ids are accepted", schema.StringList([]string{validSessionID, "fedcba9876543210"}), redaction.ReasonNone},
		{"the maximum number of ids is accepted", schema.StringList(many[1:]), redaction.ReasonNone},
		{"one id too many is rejected", schema.StringList(many), redaction.ReasonFormat},
		{"an empty list is rejected", schema.StringList(nil), redaction.ReasonFormat},
		{"an upper-case id is rejected", schema.StringList([]string{"0123456789ABCDEF"}), redaction.ReasonFormat},
		{"a path among ids is rejected as a path", schema.StringList([]string{validSessionID, "/home/alice/x"}), redaction.ReasonPath},
		{"a token after a malformed id still wins", schema.StringList([]string{"xyz", "ghp_" + strings.Repeat("a1B2", 10)}), redaction.ReasonSecret},
		{"a single string instead of a list is rejected", schema.String(validSessionID), redaction.ReasonType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := redaction.New()
			in := []schema.Attr{{Key: schema.KeySessionIDs, Value: tc.val}}
			out, r := v.Apply(schema.EventDeletionRequest, in)
			if r != tc.want {
				t.Fatalf("Apply = %v, want %v", r, tc.want)
			}
			if r == redaction.ReasonNone && len(out) != 1 {
				t.Fatalf("kept %d fields, want 1", len(out))
			}
		})
	}
}

func TestAListInAScalarFieldIsRejectedWithItsSensitiveReason(t *testing.T) {
	v := redaction.New()
	ev := mustEvent(t, schema.EventSessionStart)
	in := with(validAttrs(ev), "caro_version", schema.StringList([]string{"alice@example.com"}))
	if _, r := v.Apply(ev.Name, in); r != redaction.ReasonEmail {
		t.Fatalf("Apply = %v, want email", r)
	}
	in = with(validAttrs(ev), "caro_version", schema.StringList([]string{"1.1.0"}))
	if _, r := v.Apply(ev.Name, in); r != redaction.ReasonType {
		t.Fatalf("Apply = %v, want type", r)
	}
}

func TestRecordUIDAcceptsAnyUUIDVersionAndNothingElse(t *testing.T) {
	for _, tc := range []struct {
		uid  string
		want redaction.Reason
	}{
		{"019abc12-3456-7def-8123-456789abcdef", redaction.ReasonNone}, // v7, the spool's
		{"f47ac10b-58cc-4372-a567-0e02b2c3d479", redaction.ReasonNone}, // v4
		{"2ed6657d-e927-568b-95e1-2665a8aea6a2", redaction.ReasonNone}, // v5, the collector's derived ids
		{"019ABC12-3456-7DEF-8123-456789ABCDEF", redaction.ReasonFormat},
		{"019abc1234567def8123456789abcdef", redaction.ReasonSecret}, // 32 hex digits look like a key
		{"{019abc12-3456-7def-8123-456789abcdef}", redaction.ReasonFormat},
		{"alice@example.com", redaction.ReasonEmail},
	} {
		t.Run(tc.uid, func(t *testing.T) {
			v := redaction.New()
			for _, name := range schema.EventNames() {
				ev := mustEvent(t, name)
				in := with(validAttrs(ev), schema.KeyRecordUID, schema.String(tc.uid))
				if _, r := v.Apply(name, in); r != tc.want {
					t.Errorf("%s: Apply = %v, want %v", name, r, tc.want)
				}
			}
		})
	}
}
