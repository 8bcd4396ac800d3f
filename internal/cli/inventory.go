package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"caro.sh/telemetry/schema"
)

// The data inventory: `caro telemetry schema` and docs/telemetry-data.md
// are both rendered here from package schema, so neither can list a field
// the schema does not have, or miss one it has.

// constraint describes what a field's value may be.
func constraint(f *schema.Field) (label, text string) {
	switch {
	case f.Type == schema.TypeString && f.Format == schema.FormatEnum:
		return "values", strings.Join(f.Enum, ", ")
	case f.Type == schema.TypeString && f.Format == schema.FormatModelName:
		return "format", modelCatalog()
	case f.Type == schema.TypeString:
		return "format", fmt.Sprintf("%s, at most %d characters", f.Format, f.MaxLen)
	case f.Type == schema.TypeStringList:
		return "format", fmt.Sprintf("at most %d items, each a %s of at most %d characters", f.MaxItems, f.Format, f.MaxLen)
	case f.Type == schema.TypeInt || f.Type == schema.TypeFloat:
		return "range", num(f.Min) + " to " + num(f.Max)
	}
	return "values", "true, false"
}

// modelCatalog says what a model name field may hold: where the catalog
// lives, so that a reader can look a name up.
func modelCatalog() string {
	return fmt.Sprintf("a public model name from the model catalog %s (version %d, %d names), or %s for any other model",
		schema.ModelCatalogFile, schema.ModelCatalogVersion(), len(schema.Models()), schema.ModelCustom)
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func required(f *schema.Field) string {
	switch {
	case f.Transport:
		return "set in transit"
	case f.Required:
		return "required"
	}
	return "optional"
}

// levels lists the collection levels a user can configure (those that
// schema.ParseLevel accepts), lowest first.
func levels() []schema.Level {
	var out []schema.Level
	for l := schema.LevelMinimal; ; l++ {
		if _, err := schema.ParseLevel(l.String()); err != nil {
			return out
		}
		out = append(out, l)
	}
}

// controlEvents lists the events that are instructions sent on the user's
// request, not telemetry recorded at a level.
func controlEvents() []string {
	var out []string
	for _, e := range schema.Events() {
		if e.Control {
			out = append(out, e.Name)
		}
	}
	return out
}

const controlSummary = "sent only when you ask (caro telemetry delete-remote), whatever the level: events "

// eventsAt lists the events collected at exactly level l.
func eventsAt(l schema.Level) []string {
	var out []string
	for _, e := range schema.Events() {
		if e.Level == l {
			out = append(out, e.Name)
		}
	}
	return out
}

// optionalAt lists the optional fields first collected at level l, for
// events below it, grouped by event ("command.executed: execution_time_ms").
func optionalAt(l schema.Level) []string {
	var out []string
	for _, e := range schema.Events() {
		var keys []string
		for i := range e.Fields {
			if f := &e.Fields[i]; !f.Required && f.Level == l && e.Level < l {
				keys = append(keys, f.Key)
			}
		}
		if len(keys) > 0 {
			out = append(out, e.Name+": "+strings.Join(keys, ", "))
		}
	}
	return out
}

func levelSummary(l schema.Level) string {
	var parts []string
	if evs := eventsAt(l); len(evs) > 0 {
		parts = append(parts, "events "+strings.Join(evs, ", "))
	}
	if fs := optionalAt(l); len(fs) > 0 {
		parts = append(parts, "the fields "+strings.Join(fs, "; "))
	}
	s := strings.Join(parts, "; ")
	if l > schema.LevelMinimal {
		s = "everything of " + (l - 1).String() + ", plus " + s
	}
	return s
}

// writeInventory prints the inventory as plain text.
func writeInventory(w io.Writer) {
	fmt.Fprintln(w, "Every event and field that Caro telemetry can ever collect. Nothing else can")
	fmt.Fprintln(w, "be recorded: the privacy filter drops any other field and rejects any value")
	fmt.Fprintln(w, "outside these types, values and formats.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Collection levels (telemetry.level):")
	for _, l := range levels() {
		fmt.Fprintf(w, "  %-9s %s\n", l.String(), levelSummary(l))
	}
	if c := controlEvents(); len(c) > 0 {
		fmt.Fprintf(w, "Requests: %s%s\n", controlSummary, strings.Join(c, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Retention: %d days on this machine; on the server as given per event, %d days\nfor aggregates.\n",
		schema.LocalRetentionDays, schema.AggregateRetentionDays)
	fmt.Fprintf(w, "Resource attributes (one per batch, nothing else): %s = %s, %s = caro's version.\n",
		schema.ResourceServiceName, schema.ServiceName, schema.ResourceServiceVersion)
	for _, e := range schema.Events() {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s: %s\n", e.Name, e.Doc)
		fmt.Fprintf(w, "  level %s; kept %d days on the server\n", e.Level, e.RetentionDays)
		for i := range e.Fields {
			f := &e.Fields[i]
			label, text := constraint(f)
			fmt.Fprintf(w, "  %s (%s, %s, %s)\n", f.Key, f.Type, required(f), f.Level)
			fmt.Fprintf(w, "      %s\n", f.Doc)
			fmt.Fprintf(w, "      %s: %s\n", label, text)
		}
	}
}

// InventoryMarkdown renders docs/telemetry-data.md.
func InventoryMarkdown() string {
	var b strings.Builder
	w := &b
	fmt.Fprintln(w, "# Telemetry data inventory")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<!-- Generated from package schema by `go test ./internal/cli -run TestDataInventory -update`; do not edit by hand. -->")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every event and field that Caro telemetry can ever collect. Nothing else can be")
	fmt.Fprintln(w, "recorded: the privacy filter drops any other field and rejects any value outside")
	fmt.Fprintln(w, "these types, values and formats. `caro telemetry schema` prints the same list;")
	fmt.Fprintln(w, "`caro telemetry show` shows what was actually recorded on your machine.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Never collected: prompts, commands, command output or exit codes, paths,")
	fmt.Fprintln(w, "environment variables, host names, IP addresses, user names, error messages or")
	fmt.Fprintln(w, "stack traces.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Collection levels")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Set with `caro config set telemetry.level LEVEL` (default `standard`).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| level | collects |")
	fmt.Fprintln(w, "| --- | --- |")
	for _, l := range levels() {
		fmt.Fprintf(w, "| `%s` | %s |\n", l, md(levelSummary(l)))
	}
	fmt.Fprintln(w)
	if c := controlEvents(); len(c) > 0 {
		fmt.Fprintf(w, "Requests, not telemetry: %s`%s`.\n", controlSummary, strings.Join(c, "`, `"))
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "## Retention")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- On this machine: %d days, then purged (and at most `telemetry.offline_spool_max_mb`, oldest dropped first).\n", schema.LocalRetentionDays)
	fmt.Fprintln(w, "- On the server: per event, below.")
	fmt.Fprintf(w, "- Aggregated metrics: %d days.\n", schema.AggregateRetentionDays)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Resource attributes")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Each batch carries `%s = %s` and `%s` (caro's version), and no other resource\n",
		schema.ResourceServiceName, schema.ServiceName, schema.ResourceServiceVersion)
	fmt.Fprintln(w, "attribute: no host, process, OS user or IP address.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Model names")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "`model_name` holds a public model name from the model catalog `%s`\n", schema.ModelCatalogFile)
	fmt.Fprintf(w, "(version %d, %d names: Ollama library tags and Hugging Face repositories of\n",
		schema.ModelCatalogVersion(), len(schema.Models()))
	fmt.Fprintf(w, "popular models), built into caro and into the collector alike, or `%s` for any\n", schema.ModelCustom)
	fmt.Fprintln(w, "other model: a model you named yourself is never recorded by its name.")
	fmt.Fprintln(w, "Organisations, folders, `:latest` and quantisation or packaging suffixes are")
	fmt.Fprintln(w, "dropped before the lookup, as the file's header describes:")
	fmt.Fprintln(w, "`qwen2.5-coder:7b-instruct-q4_K_M` is recorded as `qwen2.5-coder:7b`,")
	fmt.Fprintln(w, "`mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit` as `Qwen2.5-Coder-1.5B-Instruct`.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Events")
	for _, e := range schema.Events() {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "### `%s`\n", e.Name)
		fmt.Fprintln(w)
		fmt.Fprintf(w, "When: %s. Level: `%s`. Server retention: %d days.\n", md(e.Doc), e.Level, e.RetentionDays)
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| field | type | required | level | allowed | description |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
		for i := range e.Fields {
			f := &e.Fields[i]
			label, text := constraint(f)
			if label == "values" {
				text = "`" + strings.Join(strings.Split(text, ", "), "`, `") + "`"
			} else {
				text = label + ": " + text
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | `%s` | %s | %s |\n", f.Key, f.Type, required(f), f.Level, md(text), md(f.Doc))
		}
	}
	return b.String()
}

// md escapes the characters that would break a table cell.
func md(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
