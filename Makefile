# tarx — see README.md. `make demo` and `make test` are all a new machine needs.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 60s
# make test runs every fuzz target briefly; make fuzz runs them for FUZZTIME.
FUZZSMOKE ?= 3s

.PHONY: all build test demo bench bench-scale bench-mount fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tarx ./cmd/tarx

test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) test -race -timeout 15m ./...
	./scripts/fuzz.sh $(FUZZSMOKE)

demo: build
	./scripts/demo.sh

bench: build
	./scripts/bench.sh
	./scripts/bench-scale.sh
	./scripts/bench-mount.sh

# Many small members: BENCH_SCALE_MEMBERS=10000000 for the 10M archive.
bench-scale: build
	./scripts/bench-scale.sh

# tarx mount against tarx cat and archivemount.
bench-mount: build
	./scripts/bench-mount.sh

# Each fuzz target for FUZZTIME (go test runs one target per invocation).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin _demo
