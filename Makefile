# Caro Telemetry. `make run` and `make test` are the two commands of the
# README; everything they need is installed or built here.
GO      ?= go
BIN     := $(CURDIR)/bin
PKGS    := ./...

# The collector distribution: ocb at the release train of builder-config.yaml,
# installed into bin/, building _build/otelcol-caro.
OCB_VERSION := v0.165.0
OCB         := $(BIN)/builder
OCB_STAMP   := $(BIN)/.builder-$(OCB_VERSION)
STOCK       := $(CURDIR)/_build/stock/otelcol-stock
OTELCOL     := $(CURDIR)/_build/otelcol-caro
# What the distribution is built from: a change to any of it rebuilds.
OTELCOL_SRC := builder-config.yaml go.mod go.sum \
	$(shell find . -name '*.go' -not -path './_build/*' -not -path './bin/*' -not -name '*_test.go' 2>/dev/null)

.PHONY: run run-local run-replicas test test-deps bench soak vet fmt-check build clean otelcol

## build: the caro and caro-insights CLIs into bin/
build:
	$(GO) build -o $(BIN)/caro ./cmd/caro && $(GO) build -o $(BIN)/caro-insights ./cmd/caro-insights

## run: the whole pipeline on loopback: otelcol-caro on 127.0.0.1 (local.yaml), caro
## sessions flushed to it over OTLP/HTTP and an air-gapped export uploaded, then what it stored
run: build otelcol
	bash scripts/collector-demo.sh $(BIN)/caro $(OTELCOL)

## run-replicas: three otelcol-caro replicas on one throw-away PostgreSQL (Debian's postgresql 15
## binaries), caro-loadgen spread across them, then stats and the weekly review from the shared store
run-replicas: build otelcol test-deps
	$(GO) build -o $(BIN)/caro-loadgen ./cmd/caro-loadgen
	bash scripts/replicas-demo.sh $(OTELCOL) $(BIN)/caro-loadgen $(BIN)/caro-insights

## run-local: caro alone: air-gapped sessions in a throw-away home, then status, show and export
run-local: build
	bash scripts/demo.sh $(BIN)/caro

# The packages whose code runs goroutines test under the race detector
# (about twice as slow); the rest, the end-to-end tests of real binaries
# and the fleet simulator (minutes under -race, plain goroutine fan-out),
# run without it.
RACE_PKGS := ./event/... ./exporter/... ./internal/cli/... ./internal/safety/... ./processor/... \
	./receiver/... ./sdk/... ./store/... ./upload/...

## test: vet, formatting and every test (the collector's end-to-end tests run the real otelcol-caro,
## and the stock collector as the stack the gateway forwards to), the packages with goroutines under -race
test: vet fmt-check otelcol $(STOCK) test-deps
	OTELCOL_CARO=$(OTELCOL) $(GO) test -count=1 -race $(RACE_PKGS)
	OTELCOL_CARO=$(OTELCOL) OTELCOL_STOCK=$(STOCK) $(GO) test -count=1 \
		$$($(GO) list $(PKGS) | grep -vxF "$$($(GO) list $(RACE_PKGS))")

## soak: the gateway under caro-loadgen's sessions for SOAK (default 10m) while it is SIGKILLed and
## restarted and the stack it forwards to goes down and up; prints events sent, acknowledged,
## stored, forwarded and lost (must be 0), and its peak RSS and open files over time
SOAK ?= 10m
soak: otelcol $(STOCK)
	OTELCOL_CARO=$(OTELCOL) OTELCOL_STOCK=$(STOCK) SOAK=$(SOAK) $(GO) test -count=1 -run '^TestSoak$$' -v \
		-timeout 2h ./e2e/collector

## otelcol: install ocb $(OCB_VERSION) into bin/ and build _build/otelcol-caro
otelcol: $(OTELCOL)

$(OTELCOL): $(OCB_STAMP) $(OTELCOL_SRC)
	$(OCB) --config builder-config.yaml

$(OCB_STAMP):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	touch $@

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: every budget's benchmark, figures printed (no timing assertions), then the
## side-by-side load: otelcol-caro into SQLite, into PostgreSQL, and the stock collector with
## contrib's redaction into debug, the same caro-loadgen sessions in one run, with the ratios
## (BENCH_ROUND=10s and BENCH_ROUNDS=3 set its length)
bench: otelcol $(STOCK) test-deps
	OTELCOL_CARO=$(OTELCOL) $(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)
	OTELCOL_CARO=$(OTELCOL) OTELCOL_STOCK=$(STOCK) $(GO) test -run '^$$' -bench SideBySide -benchtime 1x \
		-count=1 -timeout 30m ./e2e/collector

# The stock collector: contrib's redaction processor for make bench, and the
# stack that the gateway forwards to in the tests and make soak.
$(STOCK): $(OCB_STAMP) bench/builder-config.stock.yaml
	mkdir -p $(dir $(STOCK)) # ocb does not create the output's parent
	$(OCB) --config bench/builder-config.stock.yaml

## test-deps: the Debian packages the tests run (Chromium for the review's screenshots,
## PostgreSQL for the store's second backend), installed where missing
test-deps:
	@bash scripts/test-deps.sh

clean:
	rm -rf $(BIN) _build
