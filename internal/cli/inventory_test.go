package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caro.sh/telemetry/schema"
)

var update = flag.Bool("update", false, "rewrite docs/telemetry-data.md from the schema")

var inventoryDoc = filepath.Join("..", "..", "docs", "telemetry-data.md")

// TestDataInventory fails when docs/telemetry-data.md no longer matches
// the schema; `go test ./internal/cli -run TestDataInventory -update`
// rewrites it.
func TestDataInventory(t *testing.T) {
	want := InventoryMarkdown()
	if *update {
		if err := os.WriteFile(inventoryDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(inventoryDoc)
	if err != nil {
		t.Fatalf("%v; create it with: go test ./internal/cli -run TestDataInventory -update", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: the schema changed. Refresh it with: go test ./internal/cli -run TestDataInventory -update", inventoryDoc)
	}
}

// TestInventoriesListEveryField checks both renderings against the schema
// itself: every event, every field, every enum value.
func TestInventoriesListEveryField(t *testing.T) {
	var text bytes.Buffer
	writeInventory(&text)
	for name, out := range map[string]string{"caro telemetry schema": text.String(), "telemetry-data.md": InventoryMarkdown()} {
		for _, e := range schema.Events() {
			if !strings.Contains(out, e.Name) {
				t.Errorf("%s lacks event %s", name, e.Name)
			}
			for _, f := range e.Fields {
				if !strings.Contains(out, f.Key) {
					t.Errorf("%s lacks field %s.%s", name, e.Name, f.Key)
				}
			}
		}
		for _, v := range schema.EnumValues() {
			if !strings.Contains(out, v) {
				t.Errorf("%s lacks enum value %s", name, v)
			}
		}
	}
}

// TestCLIDocCoversEverySetting keeps docs/cli.md in step with the keys
// `caro config` accepts.
func TestCLIDocCoversEverySetting(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !strings.Contains(string(doc), "`"+s.Key+"`") {
			t.Errorf("docs/cli.md does not document `%s`", s.Key)
		}
	}
}
