package redaction

import "strconv"

// Reason says why an event was rejected. ReasonNone means accepted.
type Reason uint8

// Reasons, in the order Reasons returns them. The structural ones come first,
// then the sensitive-pattern ones that Detect reports.
const (
	ReasonNone Reason = iota
	// ReasonUnknownEvent: the event name is not in the schema.
	ReasonUnknownEvent
	// ReasonMissingRequired: a required field of the event is absent.
	ReasonMissingRequired
	// ReasonType: a field's value is not of the field's type.
	ReasonType
	// ReasonEnum: an enum field's value is outside its domain.
	ReasonEnum
	// ReasonFormat: a formatted string (version, model name, session id,
	// UUID) has the wrong characters or shape, or a string is too long.
	ReasonFormat
	// ReasonRange: a number is outside the field's bounds (or NaN, ±Inf).
	ReasonRange
	// ReasonResource: the resource carries a key other than
	// schema.ResourceKeys(), or a value that is not a clean string.
	ReasonResource
	// ReasonPath: a file system path (Unix, Windows, UNC, ~, relative).
	ReasonPath
	// ReasonSecret: an API key, token, JWT, private key, credential pair or
	// long high-entropy string.
	ReasonSecret
	// ReasonEmail: an e-mail address or user@host.
	ReasonEmail
	// ReasonIP: an IPv4 or IPv6 address (or a MAC address).
	ReasonIP
	// ReasonURL: a URL, a www. name or a host name with a known TLD.
	ReasonURL
	// ReasonCommand: shell operators or a shell command with arguments.
	ReasonCommand

	numReasons
)

var reasonNames = [numReasons]string{
	ReasonNone:            "none",
	ReasonUnknownEvent:    "unknown_event",
	ReasonMissingRequired: "missing_required",
	ReasonType:            "type",
	ReasonEnum:            "enum",
	ReasonFormat:          "format",
	ReasonRange:           "range",
	ReasonResource:        "resource",
	ReasonPath:            "path",
	ReasonSecret:          "secret",
	ReasonEmail:           "email",
	ReasonIP:              "ip",
	ReasonURL:             "url",
	ReasonCommand:         "command",
}

// String returns the reason's snake_case name, as used in Counts.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Reasons returns every rejecting reason (all but ReasonNone), in order.
func Reasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}
