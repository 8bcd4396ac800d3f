package exportfile

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleEvents are stored payloads in the spec's event shape, as the spool
// keeps them (member order of the spec, not canonical order).
func sampleEvents() []json.RawMessage {
	return []json.RawMessage{
		json.RawMessage(`{"event":"session.start","timestamp":"2025-12-30T10:15:30.123Z","session_id":"a1b2c3d4e5f60718","caro_version":"1.1.0","platform":{"os":"macos","arch":"aarch64","shell":"zsh"},"backend_config":{"primary":"embedded-mlx","fallback_enabled":true}}`),
		json.RawMessage(`{"event":"command.generated","timestamp":"2025-12-30T10:15:32.456Z","session_id":"a1b2c3d4e5f60718","generation_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","backend_used":"embedded-mlx","inference_time_ms":1823,"safety_result":{"risk_level":"safe","patterns_matched":0},"model_name":"Qwen2.5-Coder-1.5B","confidence_score":0.92}`),
		json.RawMessage(`{"event":"session.end","timestamp":"2025-12-30T10:16:00.000Z","session_id":"a1b2c3d4e5f60718","session_duration_ms":29877,"commands_generated":1,"commands_executed":0,"errors_encountered":0}`),
	}
}

var exportTime = time.Date(2025, 12, 30, 11, 30, 0, 0, time.FixedZone("CET", 3600))

func mustBuild(t testing.TB, events []json.RawMessage) Envelope {
	t.Helper()
	env, err := Build(events, "1.1.0", exportTime)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return env
}

func mustWrite(t testing.TB, env Envelope) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, env); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// gzw is reused: a new gzip writer allocates about a megabyte, which
// would dominate the fuzz loop. Tests using gz do not run in parallel.
var gzw = gzip.NewWriter(io.Discard)

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzw
	zw.Reset(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuild(t *testing.T) {
	t.Run("the envelope carries the version, UTC time, count and checksum", func(t *testing.T) {
		env := mustBuild(t, sampleEvents())
		if env.ExportVersion != "1.0" || env.ExportedAt != "2025-12-30T10:30:00Z" || env.CaroVersion != "1.1.0" || env.EventCount != 3 {
			t.Errorf("envelope = %+v", env)
		}
		if !validChecksumSyntax(env.Checksum) {
			t.Errorf("checksum %q", env.Checksum)
		}
	})
	t.Run("the checksum is sha256 of the canonical events array, recomputable by hand", func(t *testing.T) {
		events := []json.RawMessage{
			json.RawMessage(`{ "timestamp": "t", "event": "session.end", "n": 1.50 }`),
			json.RawMessage(`{"event":"error.occurred","é":"\u00e9"}`),
		}
		canonical := `[{"event":"session.end","n":1.5,"timestamp":"t"},{"event":"error.occurred","é":"é"}]`
		h := sha256.Sum256([]byte(canonical))
		want := "sha256:" + hex.EncodeToString(h[:])
		env := mustBuild(t, events)
		if env.Checksum != want {
			t.Errorf("checksum = %s, want %s", env.Checksum, want)
		}
		if sum, err := Checksum(events); err != nil || sum != want {
			t.Errorf("Checksum = %s, %v", sum, err)
		}
	})
	t.Run("the checksum ignores whitespace and member order but not values", func(t *testing.T) {
		a := mustBuild(t, []json.RawMessage{json.RawMessage(`{"a":1,"b":[1,2]}`)})
		b := mustBuild(t, []json.RawMessage{json.RawMessage("{ \"b\" : [ 1 , 2 ] ,\n \"a\" : 1.0 }")})
		c := mustBuild(t, []json.RawMessage{json.RawMessage(`{"a":1,"b":[2,1]}`)})
		if a.Checksum != b.Checksum {
			t.Errorf("equal events hash differently: %s %s", a.Checksum, b.Checksum)
		}
		if a.Checksum == c.Checksum {
			t.Errorf("different events hash the same")
		}
	})
	t.Run("no events make an empty array, not null", func(t *testing.T) {
		env := mustBuild(t, nil)
		h := sha256.Sum256([]byte("[]"))
		if env.Events == nil || env.EventCount != 0 || env.Checksum != "sha256:"+hex.EncodeToString(h[:]) {
			t.Errorf("envelope = %+v", env)
		}
		if !strings.Contains(string(gunzip(t, mustWrite(t, env))), `"events": []`) {
			t.Errorf("events not written as []")
		}
	})

	rejects := []struct {
		name    string
		events  []json.RawMessage
		version string
		want    string
	}{
		{"an event that is not JSON is refused", []json.RawMessage{json.RawMessage(`{"event":`)}, "1.1.0", "event 0 is not valid JSON"},
		{"an event that is an array is refused", []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`[1]`)}, "1.1.0", "event 1 is not a JSON object"},
		{"an event with a duplicate field is refused", []json.RawMessage{json.RawMessage(`{"event":"a","event":"b"}`)}, "1.1.0", "duplicate"},
		{"an empty caro version is refused", nil, "", "caro version is empty"},
	}
	for _, c := range rejects {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(c.events, c.version, exportTime)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrMalformed mentioning %q", err, c.want)
			}
		})
	}
}

func TestWriteMatchesGolden(t *testing.T) {
	got := gunzip(t, mustWrite(t, mustBuild(t, sampleEvents())))
	path := filepath.Join("testdata", "export.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Write output differs from %s (run go test -update if the change is intended):\n%s", path, got)
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name   string
		events []json.RawMessage
	}{
		{"the spec's events survive Write and Read", sampleEvents()},
		{"an empty export survives Write and Read", nil},
		{"events with non-ASCII, HTML characters and escapes survive", []json.RawMessage{
			json.RawMessage(`{"event":"x","s":"<a&b> \u2028 é 😀 \"q\" \\ \n"}`),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := mustBuild(t, c.events)
			got, err := Read(bytes.NewReader(mustWrite(t, env)), 0)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got.ExportVersion != env.ExportVersion || got.ExportedAt != env.ExportedAt ||
				got.CaroVersion != env.CaroVersion || got.EventCount != env.EventCount || got.Checksum != env.Checksum {
				t.Errorf("envelope changed:\n got %+v\nwant %+v", got, env)
			}
			if len(got.Events) != len(env.Events) {
				t.Fatalf("%d events, want %d", len(got.Events), len(env.Events))
			}
			for i := range got.Events {
				var a, b any
				if err := json.Unmarshal(got.Events[i], &a); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(env.Events[i], &b); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(a, b) {
					t.Errorf("event %d changed: %s vs %s", i, got.Events[i], env.Events[i])
				}
			}
		})
	}
}

// envelopeJSON renders an envelope document by hand, so that tests can
// produce files that Write would refuse to write.
func envelopeJSON(fields ...string) []byte {
	return []byte("{" + strings.Join(fields, ",") + "}")
}

func TestReadRejects(t *testing.T) {
	good := mustBuild(t, sampleEvents())
	goodGz := mustWrite(t, good)
	goodJSON := gunzip(t, goodGz)
	eventsJSON, _ := json.Marshal(good.Events)
	field := func(k, v string) string { return `"` + k + `":` + v }
	ver := field("export_version", `"1.0"`)
	at := field("exported_at", `"2025-12-30T10:30:00Z"`)
	cv := field("caro_version", `"1.1.0"`)
	cnt := field("event_count", "3")
	evs := field("events", string(eventsJSON))
	sum := field("checksum", `"`+good.Checksum+`"`)

	flipped := bytes.Replace(goodJSON, []byte(`"inference_time_ms": 1823`), []byte(`"inference_time_ms": 1824`), 1)
	if bytes.Equal(flipped, goodJSON) {
		t.Fatal("test setup: no byte changed")
	}
	renamed := bytes.Replace(goodJSON, []byte(`"session.end"`), []byte(`"session.enD"`), 1)

	corruptCRC := bytes.Clone(goodGz)
	corruptCRC[len(corruptCRC)-8] ^= 0xff

	cases := []struct {
		name string
		file []byte
		want error
		says string
	}{
		{"a changed digit in an event fails the checksum", gz(t, flipped), ErrChecksum, "changed after export"},
		{"a changed letter in an event fails the checksum", gz(t, renamed), ErrChecksum, "sha256:"},
		{"a dropped event with a matching count fails the checksum",
			gz(t, envelopeJSON(ver, at, cv, field("event_count", "2"), field("events", "["+string(good.Events[0])+","+string(good.Events[1])+"]"), sum)), ErrChecksum, "export them again"},
		{"a truncated gzip stream is malformed", goodGz[:len(goodGz)/2], ErrMalformed, "truncated or damaged"},
		{"a gzip stream without its trailer is malformed", goodGz[:len(goodGz)-8], ErrMalformed, "truncated or damaged"},
		{"a damaged gzip CRC is malformed", corruptCRC, ErrMalformed, "truncated or damaged"},
		{"plain JSON that is not gzipped is malformed", goodJSON, ErrMalformed, "not gzip-compressed"},
		{"an empty file is malformed", nil, ErrMalformed, "not gzip-compressed"},
		{"data after the gzip member is malformed", append(bytes.Clone(goodGz), goodGz...), ErrMalformed, "exactly one gzip member"},
		{"gzipped text that is not JSON is malformed", gz(t, []byte("hello")), ErrMalformed, "not valid JSON"},
		{"a JSON array instead of the envelope is malformed", gz(t, []byte(`[]`)), ErrMalformed, "must be a JSON object"},
		{"a newer export version is refused as such", gz(t, envelopeJSON(field("export_version", `"2.0"`), field("whatever", "1"))), ErrVersion, "upgrade the reading tool"},
		{"a numeric export version is malformed", gz(t, envelopeJSON(field("export_version", "1.0"), at, cv, cnt, evs, sum)), ErrMalformed, "must be a string"},
		{"a missing export version is malformed", gz(t, envelopeJSON(at, cv, cnt, evs, sum)), ErrMalformed, "export_version is missing"},
		{"an event count larger than the events is malformed", gz(t, envelopeJSON(ver, at, cv, field("event_count", "4"), evs, sum)), ErrMalformed, "says 4 events but the file holds 3"},
		{"a fractional event count is malformed", gz(t, envelopeJSON(ver, at, cv, field("event_count", "2.5"), evs, sum)), ErrMalformed, "whole number"},
		{"a negative event count is malformed", gz(t, envelopeJSON(ver, at, cv, field("event_count", "-3"), evs, sum)), ErrMalformed, "whole number"},
		{"an event count given as a string is malformed", gz(t, envelopeJSON(ver, at, cv, field("event_count", `"3"`), evs, sum)), ErrMalformed, "whole number"},
		{"an unknown field is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, evs, sum, field("note", `"hi"`))), ErrMalformed, `unknown field "note"`},
		{"a field name in another case is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, evs, field("Checksum", `"`+good.Checksum+`"`))), ErrMalformed, `unknown field "Checksum"`},
		{"a duplicate field is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, evs, sum, sum)), ErrMalformed, "duplicate object member"},
		{"a missing checksum is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, evs)), ErrMalformed, "checksum is missing"},
		{"a checksum of another algorithm is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, evs, field("checksum", `"md5:abc"`))), ErrMalformed, "64 lowercase hex digits"},
		{"an uppercase checksum is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, evs, field("checksum", `"`+strings.ToUpper(good.Checksum)+`"`))), ErrMalformed, "64 lowercase hex digits"},
		{"a missing events array is malformed", gz(t, envelopeJSON(ver, at, cv, cnt, sum)), ErrMalformed, "events is missing"},
		{"events that are an object are malformed", gz(t, envelopeJSON(ver, at, cv, cnt, field("events", "{}"), sum)), ErrMalformed, "array of event objects"},
		{"an event that is a string is malformed", gz(t, envelopeJSON(ver, at, cv, field("event_count", "1"), field("events", `["session.start"]`), sum)), ErrMalformed, "event 0 is not a JSON object"},
		{"an export time that is not RFC 3339 is malformed", gz(t, envelopeJSON(ver, field("exported_at", `"yesterday"`), cv, cnt, evs, sum)), ErrMalformed, "RFC 3339"},
		{"an empty caro version is malformed", gz(t, envelopeJSON(ver, at, field("caro_version", `""`), cnt, evs, sum)), ErrMalformed, "caro_version is empty"},
		{"a lone surrogate in an event is malformed", gz(t, envelopeJSON(ver, at, cv, field("event_count", "1"), field("events", `[{"s":"\ud800"}]`), sum)), ErrMalformed, "lone high surrogate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.file), 0)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %q, want it to say %q", err, c.says)
			}
			for _, other := range []error{ErrMalformed, ErrChecksum, ErrTooLarge, ErrVersion} {
				if other != c.want && errors.Is(err, other) {
					t.Errorf("err also wraps %v", other)
				}
			}
		})
	}
}

// failingReader returns some bytes, then an I/O error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadReportsReaderFailuresAsSuch(t *testing.T) {
	diskErr := errors.New("input/output error")
	file := mustWrite(t, mustBuild(t, sampleEvents()))
	for _, n := range []int{0, 5, len(file) / 2} {
		t.Run(fmt.Sprintf("a reader failing after %d bytes gives its own error", n), func(t *testing.T) {
			_, err := Read(&failingReader{data: file[:n], err: diskErr}, 0)
			if !errors.Is(err, diskErr) {
				t.Fatalf("err = %v, want the reader's error", err)
			}
			for _, s := range []error{ErrMalformed, ErrChecksum, ErrTooLarge, ErrVersion} {
				if errors.Is(err, s) {
					t.Errorf("err also wraps %v", s)
				}
			}
		})
	}
}

func TestReadAcceptsAnotherToolsFormatting(t *testing.T) {
	// The checksum covers values, not layout: a compact, reordered file
	// written by another tool is accepted.
	good := mustBuild(t, sampleEvents())
	events := make([]string, len(good.Events))
	for i, e := range good.Events {
		c, err := Canonicalize(e)
		if err != nil {
			t.Fatal(err)
		}
		events[i] = string(c)
	}
	doc := `{"checksum":"` + good.Checksum + `","events":[` + strings.Join(events, ",") + `],"event_count":3.0,"caro_version":"1.1.0","exported_at":"2025-12-30T10:30:00+00:00","export_version":"1.0"}`
	env, err := Read(bytes.NewReader(gz(t, []byte(doc))), 0)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if env.EventCount != 3 || string(env.Events[2]) != events[2] {
		t.Errorf("envelope = %+v", env)
	}
}

func TestWriteRefusesAnInconsistentEnvelope(t *testing.T) {
	good := mustBuild(t, sampleEvents())
	cases := []struct {
		name   string
		mutate func(*Envelope)
		want   error
	}{
		{"an envelope whose events changed after Build is refused", func(e *Envelope) { e.Events = e.Events[:2]; e.EventCount = 2 }, ErrChecksum},
		{"an envelope with a wrong count is refused", func(e *Envelope) { e.EventCount = 7 }, ErrMalformed},
		{"an envelope of another version is refused", func(e *Envelope) { e.ExportVersion = "0.9" }, ErrVersion},
		{"an envelope without a time is refused", func(e *Envelope) { e.ExportedAt = "" }, ErrMalformed},
		{"an envelope without a checksum is refused", func(e *Envelope) { e.Checksum = "" }, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := good
			env.Events = append([]json.RawMessage(nil), good.Events...)
			c.mutate(&env)
			var buf bytes.Buffer
			if err := Write(&buf, env); !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of a refused envelope", buf.Len())
			}
		})
	}
}

// gzipBomb returns a valid single-member gzip file that inflates to n MiB
// of zeros. It is assembled from one compressed MiB repeated, so that
// building a gigabyte bomb takes milliseconds instead of compressing a
// gigabyte.
func gzipBomb(t testing.TB, n int) []byte {
	t.Helper()
	mib := make([]byte, 1<<20)
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(mib)
	fw.Flush()
	first := deflated.Len()
	fw.Write(mib)
	fw.Flush()
	second := deflated.Len()
	fw.Close()
	raw := deflated.Bytes()
	// After a sync flush the stream is byte-aligned, and the second chunk
	// refers only to zeros in the window: it can be repeated at will.
	chunk := raw[first:second]

	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}) // gzip header, no flags
	out.Write(raw[:first])
	for range n - 1 {
		out.Write(chunk)
	}
	out.Write(raw[second:]) // final empty block
	crc := uint32(0)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, mib)
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(n<<20))
	out.Write(trailer[:])
	return out.Bytes()
}

func TestGzipBombHelperInflatesToTheRightSize(t *testing.T) {
	bomb := gzipBomb(t, 8)
	zr, err := gzip.NewReader(bytes.NewReader(bomb))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != 8<<20 {
		t.Fatalf("inflated %d bytes, %v; want %d", n, err, 8<<20)
	}
}

func TestReadStopsAGzipBomb(t *testing.T) {
	bomb := gzipBomb(t, 1024) // 1 GiB of zeros
	t.Logf("bomb: %d bytes compressed, 1 GiB inflated", len(bomb))
	const limit = 4 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Read(bytes.NewReader(bomb), limit)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "more than 4194304 bytes") {
		t.Errorf("err = %q", err)
	}
	// The reader may allocate a few times the limit while growing its
	// buffer, never anything near the inflated size.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit {
		t.Errorf("allocated %d bytes for a %d-byte limit", alloc, limit)
	}
	t.Logf("rejected after %v", elapsed)
}

func TestReadDefaultLimit(t *testing.T) {
	t.Run("a limit of zero means DefaultMaxBytes", func(t *testing.T) {
		_, err := Read(bytes.NewReader(gzipBomb(t, int(DefaultMaxBytes>>20)+1)), 0)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("a file of exactly the limit is read", func(t *testing.T) {
		file := mustWrite(t, mustBuild(t, sampleEvents()))
		size := int64(len(gunzip(t, file)))
		if _, err := Read(bytes.NewReader(file), size); err != nil {
			t.Errorf("Read at the exact limit: %v", err)
		}
		if _, err := Read(bytes.NewReader(file), size-1); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Read one byte under the limit: %v", err)
		}
	})
}

func FuzzRead(f *testing.F) {
	good := mustBuild(f, sampleEvents())
	goodJSON := gunzip(f, mustWrite(f, good))
	f.Add(goodJSON, true)
	f.Add(mustWrite(f, good), false)
	f.Add(gunzip(f, mustWrite(f, mustBuild(f, nil))), true)
	f.Add([]byte(`{"export_version":"2.0"}`), true)
	f.Add([]byte(`{"export_version":"1.0","exported_at":"2025-12-30T10:30:00Z","caro_version":"1","event_count":0,"events":[],"checksum":"sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"}`), true)
	f.Add([]byte{0x1f, 0x8b, 8, 0}, false)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			data = gz(t, data)
		}
		env, err := Read(bytes.NewReader(data), 1<<20)
		if err != nil {
			n := 0
			for _, s := range []error{ErrMalformed, ErrChecksum, ErrTooLarge, ErrVersion} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error wraps %d sentinels: %v", n, err)
			}
			return
		}
		// Whatever Read accepts, Write writes and Read accepts again.
		var buf bytes.Buffer
		if err := Write(&buf, env); err != nil {
			t.Fatalf("Write of an accepted envelope: %v", err)
		}
		again, err := Read(&buf, 0)
		if err != nil {
			t.Fatalf("Read after Write: %v", err)
		}
		if again.Checksum != env.Checksum || again.EventCount != env.EventCount {
			t.Fatalf("round trip changed the envelope")
		}
	})
}

func benchEvents(n int) []json.RawMessage {
	base := sampleEvents()
	out := make([]json.RawMessage, n)
	for i := range out {
		out[i] = base[i%len(base)]
	}
	return out
}

func BenchmarkBuild1000(b *testing.B) {
	events := benchEvents(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(events, "1.1.0", exportTime); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteRead1000(b *testing.B) {
	env, err := Build(benchEvents(1000), "1.1.0", exportTime)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, env); err != nil {
			b.Fatal(err)
		}
		if _, err := Read(&buf, 0); err != nil {
			b.Fatal(err)
		}
	}
}
