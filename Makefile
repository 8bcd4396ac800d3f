# Caro Telemetry. `make run` and `make test` are the two commands of the
# README; everything they need is installed or built here.
GO      ?= go
BIN     := $(CURDIR)/bin
PKGS    := ./...

.PHONY: run test bench vet fmt-check build clean

## build: the caro CLI into bin/
build:
	$(GO) build -o $(BIN)/caro ./cmd/caro

## run: an end-to-end local session: caro records into a throw-away spool, then shows what was stored
run: build
	bash scripts/demo.sh $(BIN)/caro

## test: vet, formatting and every test
test: vet fmt-check
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: every budget's benchmark, figures printed (no timing assertions)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

clean:
	rm -rf $(BIN)
