package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/store"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"caro-insights": main,
	})
}

// TestScripts runs testdata/script/*.txtar with the insights' fixed event
// set and golden review copied into the work dir.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			for _, f := range []string{"events.jsonl", "weekly-2026-W47.md"} {
				b, err := os.ReadFile(filepath.Join("..", "..", "insights", "testdata", f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(e.WorkDir, f), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"store": cmdStore, "purge": cmdPurge},
	})
}

// cmdStore writes the events of a JSON lines file into a new collector
// store, each with the name-based uid of its line, as the collector
// appends them: store EVENTS.jsonl DB.
func cmdStore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: store EVENTS.jsonl DB")
	}
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, store.Options{Path: ts.MkAbs(args[1]), Now: func() time.Time { return now }})
	ts.Check(err)
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	var evs []store.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, at, attrs, err := event.Decode(sc.Bytes())
		ts.Check(err)
		evs = append(evs, store.Event{UID: event.NameBasedUID(sc.Bytes()), Name: name, Time: at, Attrs: attrs})
	}
	_, err = s.Append(ctx, evs)
	ts.Check(err)
	ts.Check(s.Close())
}

// cmdPurge deletes every raw event, as retention eventually does: purge DB.
func cmdPurge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: purge DB")
	}
	s, err := store.Open(context.Background(), store.Options{Path: ts.MkAbs(args[0]), MustExist: true})
	ts.Check(err)
	defer s.Close()
	_, err = s.DB().Exec("DELETE FROM events")
	ts.Check(err)
}
