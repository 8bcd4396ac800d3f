package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoPackageSpellsAFieldKey walks the module's sources: outside this
// package and tests, no string literal may be a field key, or hold one as
// a JSON path ($.platform.os) or a quoted SQL identifier. Such code must
// use the Key constants, so that a renamed field cannot leave a reader
// behind that silently finds nothing.
func TestNoPackageSpellsAFieldKey(t *testing.T) {
	// Words that are a field key by coincidence, each somewhere it names
	// something else. Struct tags (CLI --json output) are not checked.
	otherMeaning := map[string]string{
		"exportfile/export.go caro_version":          "the export envelope's writer version, not the event field",
		"internal/cli/flow.go backend":               "the --backend flag",
		"internal/cli/root.go backend":               "the --backend flag",
		"internal/loadgen/command.go retries":        "caro-loadgen's --retries flag",
		"insights/features.go backend":               "the name of a feature kind (the configured backend)",
		"insights/metrics.go backend":                "the name of a metrics segment",
		"insights/metrics.go risk_level":             "the name of a metrics segment",
		"exporter/sqlitespool/migrate.go session_id": "a past migration reads the payloads of its own time",
	}
	keys := map[string]bool{}
	for _, e := range Events() {
		for _, f := range e.Fields {
			keys[f.Key] = true
		}
	}
	spells := func(lit string) string {
		if keys[lit] {
			return lit
		}
		for k := range keys {
			if strings.Contains(lit, "$."+k) || strings.Contains(lit, `"`+k+`"`) || strings.Contains(lit, "'"+k+"'") {
				return k
			}
		}
		return ""
	}
	excused := map[string]bool{}
	root := filepath.Join("..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "schema", "_build", "bin", "testdata", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		ast.Inspect(f, func(n ast.Node) bool {
			if field, ok := n.(*ast.Field); ok && field.Tag != nil {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			k := spells(s)
			if k != "" && otherMeaning[rel+" "+k] != "" {
				excused[rel+" "+k] = true
				return true
			}
			if k != "" {
				t.Errorf("%s spells the field key %q: use schema.Key constants", fset.Position(lit.Pos()), k)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for e := range otherMeaning {
		if !excused[e] {
			t.Errorf("the excuse %q matches nothing any more: remove it", e)
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d source files: is the module root %s?", checked, root)
	}
}
