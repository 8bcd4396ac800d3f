package store

import (
	"fmt"
	"strings"

	"caro.sh/telemetry/schema"
)

// Column is one typed column of the events table: either one of the fixed
// columns every row has, or a schema field.
type Column struct {
	// Name is the SQL name: the field key with dots as underscores
	// (platform.os -> platform_os).
	Name string
	// Field is the schema field the column holds; nil for a fixed column.
	Field *schema.Field
	// Type is the field's type (a fixed column's is set too).
	Type schema.Type
}

// Fixed columns, before the field columns in every row.
const (
	ColUID        = "uid"         // log.record.uid; with type and time, the dedup key
	ColEventType  = "event_type"  // the event name
	ColEventTime  = "event_time"  // the event's timestamp
	ColReceivedAt = "received_at" // when this store took it
	ColExpiresOn  = "expires_on"  // the UTC day from which retention drops it
	ColExportedAt = "exported_at" // when an air-gapped export took it, or NULL
	ColExportID   = "export_id"   // the export file that took it, or NULL
)

// fixedColumns is the number of fixed columns that an insert sets: uid,
// event_type, event_time, received_at, expires_on (exported_at and
// export_id start NULL).
const fixedColumns = 5

// ColumnName is the SQL column of a schema field key. It is how every SQL
// of the project names a field (insights' metrics included), so that the
// schema stays the one list of fields.
func ColumnName(key string) string { return strings.ReplaceAll(key, ".", "_") }

// fields lists every field column once, in the schema's order of first
// appearance; a key that two events share (session_id, generation_id) is
// one column. The transport field log.record.uid is the fixed column uid.
var fields = buildFields()

// fieldIndex maps a field key to its index in fields.
var fieldIndex = func() map[string]int {
	m := make(map[string]int, len(fields))
	for i, c := range fields {
		m[c.Field.Key] = i
	}
	return m
}()

func buildFields() []Column {
	var out []Column
	seen := map[string]schema.Type{}
	names := map[string]string{ColUID: "", ColEventType: "", ColEventTime: "", ColReceivedAt: "",
		ColExpiresOn: "", ColExportedAt: "", ColExportID: ""}
	for _, ev := range schema.Events() {
		for i := range ev.Fields {
			f := &ev.Fields[i]
			if f.Transport {
				continue
			}
			if t, ok := seen[f.Key]; ok {
				if t != f.Type {
					panic(fmt.Sprintf("store: field %s has two types (%s, %s)", f.Key, t, f.Type))
				}
				continue
			}
			name := ColumnName(f.Key)
			if other, clash := names[name]; clash {
				panic(fmt.Sprintf("store: fields %q and %q both map to column %s", f.Key, other, name))
			}
			seen[f.Key], names[name] = f.Type, f.Key
			out = append(out, Column{Name: name, Field: f, Type: f.Type})
		}
	}
	return out
}

// Fields returns the field columns in table order. The returned slice
// must not be modified.
func Fields() []Column { return fields }

// insertColumns is the column list of an insert: the fixed ones, then
// every field.
func insertColumns() []string {
	out := []string{ColUID, ColEventType, ColEventTime, ColReceivedAt, ColExpiresOn}
	for _, c := range fields {
		out = append(out, c.Name)
	}
	return out
}

// selectColumns is the column list of a read: what Event needs back.
func selectColumns() string {
	cols := []string{ColUID, ColEventType, ColEventTime, ColReceivedAt, ColExportedAt}
	for _, c := range fields {
		cols = append(cols, c.Name)
	}
	return strings.Join(cols, ", ")
}

// sqlType is a field column's SQL type in dialect d.
func sqlType(t schema.Type, d Dialect) string {
	switch t {
	case schema.TypeString, schema.TypeStringList:
		return "TEXT"
	case schema.TypeInt:
		return "BIGINT"
	case schema.TypeBool:
		return "BOOLEAN"
	case schema.TypeFloat:
		return d.floatType()
	}
	panic("store: no SQL type for " + t.String())
}

// listSep joins the items of a string list in its column: the only list
// is deletion.request's session ids, 16 hex digits each.
const listSep = ","

// fieldArgs writes the event's fields into args (len(fields)), as SQL
// arguments: NULL where the event has no such field.
func fieldArgs(args []any, attrs []schema.Attr) {
	for i := range args {
		args[i] = nil
	}
	for _, a := range attrs {
		i, ok := fieldIndex[a.Key]
		if !ok {
			continue // only the transport uid, kept apart
		}
		args[i] = fieldValue(a.Value)
	}
}

// fieldValue is a field's value as a SQL argument.
func fieldValue(v schema.Value) any {
	switch v.Type {
	case schema.TypeString:
		return v.Str
	case schema.TypeInt:
		return v.Int
	case schema.TypeBool:
		return v.Bool
	case schema.TypeFloat:
		return v.Float
	case schema.TypeStringList:
		return strings.Join(v.List, listSep)
	}
	return nil
}

// eventColumns maps each event name to the indexes (into fields) of the
// columns its fields fill: an insert names only those, so that a row's
// thirty-odd NULLs are neither bound nor converted.
var eventColumns = func() map[string][]int {
	out := make(map[string][]int)
	for _, ev := range schema.Events() {
		for i := range ev.Fields {
			if j, ok := fieldIndex[ev.Fields[i].Key]; ok {
				out[ev.Name] = append(out[ev.Name], j)
			}
		}
	}
	return out
}()

// eventInsertColumns is the column list of an insert of one event type:
// the fixed columns, then the event's own fields.
func eventInsertColumns(name string) []string {
	out := []string{ColUID, ColEventType, ColEventTime, ColReceivedAt, ColExpiresOn}
	for _, j := range eventColumns[name] {
		out = append(out, fields[j].Name)
	}
	return out
}

// eventFieldArgs writes the event's fields into args, in the order of
// eventColumns[name]: NULL where the event lacks an optional field.
func eventFieldArgs(args []any, name string, attrs []schema.Attr) {
	cols := eventColumns[name]
	for i := range args {
		args[i] = nil
	}
	for _, a := range attrs {
		j, ok := fieldIndex[a.Key]
		if !ok {
			continue
		}
		for k, c := range cols {
			if c == j {
				args[k] = fieldValue(a.Value)
				break
			}
		}
	}
}

// stringRows are the rows of a query, of database/sql or of pgx.
type stringRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// stringSet reads rows of one text column into a set; the caller closes
// them.
func stringSet(rows stringRows) (map[string]bool, error) {
	set := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		set[s] = true
	}
	return set, rows.Err()
}
