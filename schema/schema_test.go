package schema

import (
	"sort"
	"testing"
)

func TestEveryEventIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Events() {
		t.Run(e.Name+" is well formed", func(t *testing.T) {
			if seen[e.Name] {
				t.Fatalf("duplicate event")
			}
			seen[e.Name] = true
			if got, ok := Lookup(e.Name); !ok || got != e {
				t.Fatalf("Lookup does not return the definition")
			}
			if e.Level < LevelMinimal || e.Level > LevelOnRequest || e.RetentionDays < 0 {
				t.Errorf("level %v, retention %d", e.Level, e.RetentionDays)
			}
			keys := map[string]bool{}
			for i := range e.Fields {
				f := &e.Fields[i]
				if keys[f.Key] {
					t.Errorf("field %s twice", f.Key)
				}
				keys[f.Key] = true
				if got, ok := e.Field(f.Key); !ok || got != f {
					t.Errorf("Field(%s) does not return the definition", f.Key)
				}
				if f.Required && f.Level != e.Level {
					t.Errorf("required field %s has level %v, the event %v", f.Key, f.Level, e.Level)
				}
				if f.Level < e.Level {
					t.Errorf("field %s is collected below its event's level", f.Key)
				}
				switch f.Type {
				case TypeString:
					if f.Format == 0 || f.MaxLen <= 0 || f.MaxLen > MaxStringLen {
						t.Errorf("string field %s: format %v, max length %d", f.Key, f.Format, f.MaxLen)
					}
					if (f.Format == FormatEnum) != (len(f.Enum) > 0) {
						t.Errorf("field %s: enum format and enum values disagree", f.Key)
					}
					for _, v := range f.Enum {
						if !f.Allows(v) || len(v) > f.MaxLen {
							t.Errorf("field %s: enum value %q not allowed or too long", f.Key, v)
						}
					}
					if f.Allows("not-a-value-of-any-domain") {
						t.Errorf("field %s allows a value outside its domain", f.Key)
					}
				case TypeInt, TypeFloat:
					if f.Max <= f.Min {
						t.Errorf("numeric field %s has range [%v, %v]", f.Key, f.Min, f.Max)
					}
				}
			}
			if _, ok := e.Field("prompt"); ok {
				t.Error("an event declares a prompt field")
			}
		})
	}
	if _, ok := Lookup("command.content"); ok {
		t.Error("Lookup found an undeclared event")
	}
}

func TestTheSpecsSixEventsAreDeclared(t *testing.T) {
	for _, name := range []string{EventSessionStart, EventCommandGenerated, EventCommandExecuted,
		EventSafetyTriggered, EventErrorOccurred, EventSessionEnd} {
		if _, ok := Lookup(name); !ok {
			t.Errorf("%s is missing", name)
		}
	}
	end, _ := Lookup(EventSessionEnd)
	if f, ok := end.Field("time_to_first_command_ms"); !ok || f.Type != TypeInt {
		t.Error("session.end lacks time_to_first_command_ms, without which TTFC cannot be computed")
	}
}

func TestEveryErrorCategoryHasItsOwnCode(t *testing.T) {
	codes := map[ErrorCode]ErrorCategory{}
	for _, c := range ErrorCategories() {
		code := CodeOf(c)
		if code == "" {
			t.Errorf("%s has no code", c)
		}
		if prev, dup := codes[code]; dup {
			t.Errorf("%s and %s share %s", prev, c, code)
		}
		codes[code] = c
	}
	if CodeOf("no_such_category") != "" {
		t.Error("an unknown category has a code")
	}
}

func TestLevelsParseAndPrint(t *testing.T) {
	for _, l := range []Level{LevelMinimal, LevelStandard, LevelDetailed} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l, got, err)
		}
	}
	if _, err := ParseLevel("everything"); err == nil {
		t.Error("ParseLevel accepted an unknown level")
	}
}

func TestEnumValuesAreSortedAndUnique(t *testing.T) {
	vs := EnumValues()
	if !sort.StringsAreSorted(vs) {
		t.Error("not sorted")
	}
	for i := 1; i < len(vs); i++ {
		if vs[i] == vs[i-1] {
			t.Errorf("%q twice", vs[i])
		}
	}
	if len(vs) < 50 {
		t.Errorf("only %d enum values", len(vs))
	}
}
