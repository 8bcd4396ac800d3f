package loadgen

import (
	"bytes"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/upload"
)

// Logs returns the batch as `caro telemetry flush` sends one: one resource
// (service.name=caro, service.version=the batch's version), one scope
// (upload.ScopeName, the same version), and per record the event name,
// its time as timestamp and observed timestamp, severity INFO and the
// fields as typed attributes.
func (b *Batch) Logs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.ResourceServiceName, schema.ServiceName)
	rl.Resource().Attributes().PutStr(schema.ResourceServiceVersion, b.Version)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(upload.ScopeName)
	sl.Scope().SetVersion(b.Version)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(len(b.Records))
	for i := range b.Records {
		r := &b.Records[i]
		lr := lrs.AppendEmpty()
		lr.SetEventName(r.Event)
		ts := pcommon.NewTimestampFromTime(r.Time)
		lr.SetTimestamp(ts)
		lr.SetObservedTimestamp(ts)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		attrs := lr.Attributes()
		attrs.EnsureCapacity(len(r.Attrs))
		for _, a := range r.Attrs {
			pdataconv.PutValue(attrs, a.Key, a.Value)
		}
	}
	return ld
}

// Body returns the batch as an OTLP/HTTP request body: the protobuf
// ExportLogsServiceRequest, gzipped. The same batch always gives the same
// bytes.
func (b *Batch) Body() ([]byte, error) {
	raw, err := plogotlp.NewExportRequestFromLogs(b.Logs()).MarshalProto()
	if err != nil {
		return nil, fmt.Errorf("encode batch %d: %w", b.Index, err)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) / 4)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("gzip batch %d: %w", b.Index, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip batch %d: %w", b.Index, err)
	}
	return buf.Bytes(), nil
}

// gzipWriters are reused: a new one allocates most of a megabyte.
// BestSpeed: the generator shares the machine with the collector it
// loads, and the collector's cost of gunzipping barely depends on it.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}
