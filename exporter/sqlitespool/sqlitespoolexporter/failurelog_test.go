package sqlitespoolexporter

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestAStoreThatRefusesEveryBatchIsLoggedOncePerInterval: a hundred
// refusals in a second make one line; the next, past the interval, says
// how many were refused since; the first batch stored again says the
// store is back.
func TestAStoreThatRefusesEveryBatchIsLoggedOncePerInterval(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)
	var f failureLog
	t0 := time.Now()
	for i := range 100 {
		f.refused(logger, 66, errors.New("database or disk is full"), t0.Add(time.Duration(i)*10*time.Millisecond))
	}
	if n := logs.Len(); n != 1 {
		t.Fatalf("%d lines for 100 refusals within a second, want 1", n)
	}
	f.refused(logger, 66, errors.New("database or disk is full"), t0.Add(failureInterval+time.Second))
	f.stored(logger)
	f.stored(logger)
	all := logs.All()
	if len(all) != 3 {
		t.Fatalf("%d lines, want 3: %v", len(all), all)
	}
	if got := all[1].ContextMap()["batches"]; got != int64(100) {
		t.Errorf("the second line counts %v batches, want the 100 refused since the first", got)
	}
	if all[2].Level != zapcore.InfoLevel || all[2].ContextMap()["refused_since_last_report"] != int64(0) {
		t.Errorf("the line when the store is back: %v %v", all[2].Level, all[2].ContextMap())
	}
}

// TestQuietLogsEachWarningOncePerIntervalAndEveryInfoLine: what
// exporterhelper logs for every refused batch passes once per interval;
// info lines all pass.
func TestQuietLogsEachWarningOncePerIntervalAndEveryInfoLine(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	logger := quiet(zap.New(core)).With(zap.String("otelcol.component.id", "sqlitespool"))
	for range 50 {
		logger.Error("Exporting failed. Rejecting data.")
		logger.Info("wrote air-gapped export")
	}
	if n := logs.FilterMessage("Exporting failed. Rejecting data.").Len(); n != 1 {
		t.Errorf("%d error lines for 50 refused batches, want 1", n)
	}
	if n := logs.FilterMessage("wrote air-gapped export").Len(); n != 50 {
		t.Errorf("%d of 50 info lines logged", n)
	}
}
