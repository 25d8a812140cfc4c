# Tide: one Go module, one binary.
GO ?= go
BIN := bin/tide

.PHONY: build run test test-short bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/tide

# Start a server on the embedded defaults (127.0.0.1:4566, data in ~/.local/share/tide).
run:
	$(GO) run ./cmd/tide server

# Every test: unit, store suite against embedded and external etcd, the SDK,
# aws CLI and boto3 end-to-end suites, and the crash test.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short -count=1 ./...

# Short fuzzing passes over the parsers (seed corpora run in every `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./internal/edge/
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime 30s ./internal/sigv4/
	$(GO) test -run '^$$' -fuzz FuzzValidate -fuzztime 30s ./internal/taskdef/

bench: build
	bench/run.sh

clean:
	rm -rf bin
