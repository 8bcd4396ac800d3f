package caroreceiver

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/upload"
)

// TestADeletionRequestInAnExportBecomesADeletionRecord: in air-gapped mode
// `caro telemetry delete-remote` puts the request (upload's encoding of it) in
// the next export; the receiver turns it into the deletion.request record
// the store acts on.
func TestADeletionRequestInAnExportBecomesADeletionRecord(t *testing.T) {
	r, sink := start(t, nil, nil)
	req, err := upload.NewDeletionRequest([]string{sid, "fedcba9876543210"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := req.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	env, err := exportfile.Build([]json.RawMessage{raw}, "1.1.0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := exportfile.Write(&file, env); err != nil {
		t.Fatal(err)
	}
	a := post(t, r.url(UploadPath), "application/gzip", file.Bytes(), false)
	if a.status != 200 || a.body["accepted"] != 1.0 {
		t.Fatalf("%d %v", a.status, a.body)
	}
	lr := records(sink.AllLogs()[0])[0]
	if lr.EventName() != schema.EventDeletionRequest {
		t.Fatalf("event %s", lr.EventName())
	}
	ids, ok := lr.Attributes().Get(schema.KeySessionIDs)
	if !ok || ids.Slice().Len() != 2 {
		t.Errorf("session_ids %v", lr.Attributes().AsRaw())
	}
	if n := lr.Attributes().Len(); n != 2 {
		t.Errorf("%d attributes %v, want session_ids and log.record.uid", n, lr.Attributes().AsRaw())
	}
}
