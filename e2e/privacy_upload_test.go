//go:build unix

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/otelcoltest"
	"caro.sh/telemetry/internal/otlptest"
)

// session runs prompts and models through every path in a new home, then
// gathers every place where telemetry keeps, shows or sends what the runs
// recorded: the spool files, show --json, show --verbose, status, the
// gunzipped export file, the OTLP bytes that `caro telemetry flush` puts
// on the wire and what they decode to, and the store of the real
// otelcol-caro after the same upload (with what the collector logged). It
// returns the places, identifiers scrubbed, and the inputs to search for;
// label names the run in the log.
func session(t *testing.T, label string, llm *fakeLLM, otelcol string, prompts, models []string) ([]place, []string) {
	t.Helper()
	h := newHome(t, llm.URL, true)
	started := time.Now()
	for _, r := range runPaths(t, h, llm, prompts, models) {
		t.Logf("%s, %-68s %4d runs, %5d events recorded %s", label, r.name+":", r.runs, r.events, r.note)
	}

	var places []place
	add := func(name string, data []byte) { places = append(places, place{name: name, data: data}) }
	show, _, code := h.caro(t, "telemetry", "show", "--json", "--limit", "0")
	if code != 0 {
		t.Fatalf("show --json exit %d", code)
	}
	var shown []json.RawMessage
	if err := json.Unmarshal([]byte(show), &shown); err != nil {
		t.Fatalf("show --json is not a JSON array: %v", err)
	}
	// Non-vacuous: telemetry really recorded these sessions.
	if len(shown) < 2*len(prompts) {
		t.Fatalf("only %d events stored for %d prompts: the test would prove nothing", len(shown), len(prompts))
	}
	add("show --json", []byte(show))
	verbose, _, _ := h.caro(t, "telemetry", "show", "--verbose", "--limit", "0")
	add("show --verbose", []byte(verbose))
	status, _, _ := h.caro(t, "telemetry", "status")
	add("status", []byte(status))

	// The spool files, read before export so nothing is cleared yet; the
	// uploads are made from copies taken now, for the same reason.
	var spool []byte
	files, _ := filepath.Glob(filepath.Join(h.cache, "caro", "*"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			spool = append(spool, b...)
		}
	}
	places = append(places, place{name: "spool files", data: spool, binary: true})
	toWire, toCollector := copyHome(t, h), copyHome(t, h)

	exportPath := filepath.Join(h.dir, "export.json.gz")
	if _, _, code := h.caro(t, "telemetry", "export", "--output", exportPath); code != 0 {
		t.Fatalf("export exit %d", code)
	}
	add("export file", gunzipFile(t, exportPath))

	wire := newWireCapture(t)
	flushTo(t, toWire, wire.URL)
	raw, decoded, records := wire.result(t)
	if records != len(shown) {
		t.Errorf("the OTLP server got %d records, the spool holds %d events", records, len(shown))
	}
	add("OTLP wire (gunzipped protobuf)", raw)
	add("OTLP wire (decoded)", decoded)

	if otelcol == "" {
		skip := fmt.Sprintf("%s is not set: the collector's store is not searched (run `make test`, or `make otelcol` and set %s=_build/otelcol-caro)",
			otelcoltest.BinEnv, otelcoltest.BinEnv)
		for _, name := range []string{"collector store (events)", "collector store (SQLite files)", "collector log"} {
			places = append(places, place{name: name, skip: skip})
		}
	} else {
		col := otelcoltest.Start(t, otelcol, filepath.Join("..", "collector-config", "local.yaml"))
		flushTo(t, toCollector, "http://"+col.OTLP)
		col.Stop(t)
		events, n := dumpStore(t, col.Store)
		if n == 0 {
			t.Errorf("the collector stored none of the %d events:\n%s", len(shown), col.Out)
		}
		t.Logf("%s: the collector stored %d of the %d events", label, n, len(shown))
		var files []byte
		for _, f := range []string{col.Store, col.Store + "-wal"} {
			if b, err := os.ReadFile(f); err == nil {
				files = append(files, b...)
			}
		}
		add("collector store (events)", events)
		places = append(places, place{name: "collector store (SQLite files)", data: files, binary: true})
		add("collector log", []byte(col.Out.String()))
	}

	ids := sessionIDs(t, h, started)
	for i := range places {
		places[i].data = scrub(places[i].data, ids)
	}
	return places, append(append([]string{}, prompts...), models...)
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// copyHome copies h's files into a new home (config, install id, spool).
func copyHome(t *testing.T, h home) home {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(h.dir, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy home: %v", err)
	}
	return home{dir: dst, config: filepath.Join(dst, "config"), cache: filepath.Join(dst, "cache")}
}

// flushTo makes h a connected user of endpoint and runs `caro telemetry
// flush`, which must send every pending event.
func flushTo(t *testing.T, h home, endpoint string) {
	t.Helper()
	cfg := fmt.Sprintf("[telemetry]\nenabled = true\nlevel = \"detailed\"\nair_gapped = false\nendpoint = %q\n", endpoint)
	if err := os.WriteFile(filepath.Join(h.config, "caro", "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := h.caro(t, "telemetry", "flush")
	if code != 0 || !strings.Contains(out, " 0 pending, 0 dropped.") {
		t.Fatalf("caro telemetry flush to %s: exit %d\n%s%s", endpoint, code, out, stderr)
	}
}

// wireCapture is an OTLP/HTTP logs endpoint on 127.0.0.1 that keeps the
// gunzipped bytes of every request and a text form of what they decode to.
type wireCapture struct {
	URL string

	mu       sync.Mutex
	raw      bytes.Buffer
	decoded  bytes.Buffer
	records  int
	problems []string
}

func newWireCapture(t *testing.T) *wireCapture {
	t.Helper()
	wc := &wireCapture{}
	wc.URL = serve(t, wc)
	return wc
}

func (wc *wireCapture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	problems := otlptest.Problems(r, otlptest.LogsPath)
	zr, err := gzip.NewReader(r.Body)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(zr)
	}
	var req collogspb.ExportLogsServiceRequest
	if err == nil {
		err = proto.Unmarshal(raw, &req)
	}
	if err != nil {
		problems = append(problems, err.Error())
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if len(problems) > 0 {
		wc.problems = append(wc.problems, problems...)
		http.Error(w, strings.Join(problems, "; "), http.StatusBadRequest)
		return
	}
	wc.raw.Write(raw)
	wc.records += describeLogs(&wc.decoded, &req)
	body, _ := proto.Marshal(&collogspb.ExportLogsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(body)
}

// result returns the gunzipped request bodies, their decoded text and the
// number of log records, failing the test on a request that was not
// caro's OTLP.
func (wc *wireCapture) result(t *testing.T) (raw, decoded []byte, records int) {
	t.Helper()
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if len(wc.problems) > 0 {
		t.Fatalf("the OTLP server got requests that are not caro's OTLP: %q", wc.problems)
	}
	return bytes.Clone(wc.raw.Bytes()), bytes.Clone(wc.decoded.Bytes()), wc.records
}

// describeLogs writes every field of an export request that can hold
// text or numbers: resource and scope (names, versions, attributes), each
// record's event name, severity, body, attributes and trace context. Its
// times are written to the millisecond, as caro shows them: their
// nanosecond digits are the clock's, not an input's.
func describeLogs(w *bytes.Buffer, req *collogspb.ExportLogsServiceRequest) (records int) {
	for _, rl := range req.ResourceLogs {
		fmt.Fprintf(w, "resource %s schema_url=%s\n", attrsText(rl.GetResource().GetAttributes()), rl.SchemaUrl)
		for _, sl := range rl.ScopeLogs {
			sc := sl.GetScope()
			fmt.Fprintf(w, "scope %s %s %s schema_url=%s\n", sc.GetName(), sc.GetVersion(), attrsText(sc.GetAttributes()), sl.SchemaUrl)
			for _, lr := range sl.LogRecords {
				records++
				fmt.Fprintf(w, "%s observed=%s %s severity=%d %s body=%s %s",
					millis(lr.TimeUnixNano), millis(lr.ObservedTimeUnixNano), lr.EventName, lr.SeverityNumber,
					lr.SeverityText, anyText(lr.Body), attrsText(lr.Attributes))
				if len(lr.TraceId)+len(lr.SpanId) > 0 {
					fmt.Fprintf(w, " trace=%s span=%s", hex.EncodeToString(lr.TraceId), hex.EncodeToString(lr.SpanId))
				}
				w.WriteString("\n")
			}
		}
	}
	return records
}

func millis(ns uint64) string {
	return time.Unix(0, int64(ns)).UTC().Format(event.TimestampLayout)
}

func attrsText(kvs []*commonpb.KeyValue) string {
	var parts []string
	for _, kv := range kvs {
		parts = append(parts, kv.Key+"="+anyText(kv.Value))
	}
	return strings.Join(parts, " ")
}

func anyText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		return string(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.GetValues() {
			parts = append(parts, anyText(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *commonpb.AnyValue_KvlistValue:
		return "{" + attrsText(x.KvlistValue.GetValues()) + "}"
	}
	return ""
}

// dumpStore reads every event of a collector's store through package
// store, as caro-insights does, and writes each with all its fields.
func dumpStore(t *testing.T, path string) (text []byte, events int) {
	t.Helper()
	evs := otelcoltest.Events(t, path)
	var b bytes.Buffer
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s %s %s", ev.UID, ev.Name, ev.Time.UTC().Format(event.TimestampLayout))
		for _, a := range ev.Attrs {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Any())
		}
		b.WriteString("\n")
	}
	return b.Bytes(), len(evs)
}
