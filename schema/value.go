package schema

// Value is a typed attribute value, independent of OTel so that the
// redaction core and the spool core need no OTel imports. The faces convert
// from and to log.Value / pcommon.Value.
type Value struct {
	Type  Type
	Str   string
	Int   int64
	Bool  bool
	Float float64
	// List holds a TypeStringList value. A Value built by StringList owns
	// its slice; code that hands one on does not copy it.
	List []string
}

// String returns a string Value.
func String(s string) Value { return Value{Type: TypeString, Str: s} }

// Int returns an int Value.
func Int(i int64) Value { return Value{Type: TypeInt, Int: i} }

// Bool returns a bool Value.
func Bool(b bool) Value { return Value{Type: TypeBool, Bool: b} }

// Float returns a float Value.
func Float(f float64) Value { return Value{Type: TypeFloat, Float: f} }

// StringList returns a string list Value holding l (not copied).
func StringList(l []string) Value { return Value{Type: TypeStringList, List: l} }

// Any returns the value as a Go value (string, int64, bool, float64 or
// []string), as JSON encoding wants it.
func (v Value) Any() any {
	switch v.Type {
	case TypeString:
		return v.Str
	case TypeInt:
		return v.Int
	case TypeBool:
		return v.Bool
	case TypeFloat:
		return v.Float
	case TypeStringList:
		return v.List
	}
	return nil
}

// Attr is one flattened field of an event.
type Attr struct {
	Key   string
	Value Value
}
