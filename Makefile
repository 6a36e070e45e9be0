# tarx — see README.md. `make demo` and `make test` are all a new machine needs.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
PREFIX   ?= /usr/local
FUZZTIME ?= 60s
# make test runs every fuzz target for 100 inputs (a count has no deadline,
# whose expiry the fuzzing engine reports as an error); make fuzz runs them
# for FUZZTIME.
FUZZSMOKE ?= 100x

.PHONY: all build man install test cross demo bench bench-scale bench-mount bench-remote bench-shards fuzz clean

all: build

# urfave_cli_no_docs leaves urfave/cli's manual generator (go-md2man,
# blackfriday) out of bin/tarx: its package initialization costs every
# process 0.7 ms (cmd/tarx/cmd_man.go).
TAGS     ?= urfave_cli_no_docs

build:
	$(GO) build -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o bin/tarx ./cmd/tarx

# The manual page and completion scripts, generated from the command
# definitions by the binary itself (the manual by a build with the
# generator, bin/tarx-man, which is not installed).
man: build
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tarx-man ./cmd/tarx
	./bin/tarx-man man > bin/tarx.1
	./bin/tarx completion bash > bin/tarx.bash
	./bin/tarx completion zsh > bin/_tarx
	./bin/tarx completion fish > bin/tarx.fish

install: man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 bin/tarx $(DESTDIR)$(PREFIX)/bin/tarx
	install -m 0644 bin/tarx.1 $(DESTDIR)$(PREFIX)/share/man/man1/tarx.1
	install -m 0644 bin/tarx.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tarx
	install -m 0644 bin/_tarx $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tarx
	install -m 0644 bin/tarx.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tarx.fish

test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) test -race -timeout 15m ./...
	GO=$(GO) ./scripts/cross.sh
	./scripts/fuzz.sh $(FUZZSMOKE)

# Build and vet for macOS, FreeBSD and Windows (part of make test).
cross:
	GO=$(GO) ./scripts/cross.sh

demo: build
	./scripts/demo.sh

bench: build
	./scripts/bench.sh
	./scripts/bench-scale.sh
	./scripts/bench-mount.sh
	./scripts/bench-remote.sh
	./scripts/bench-shards.sh

# Many small members: BENCH_SCALE_MEMBERS=10000000 for the 10M archive.
bench-scale: build
	./scripts/bench-scale.sh

# tarx mount against tarx cat and archivemount.
bench-mount: build
	./scripts/bench-mount.sh

# Remote archives over HTTP (nginx, Go net/http; 0 and 20 ms RTT), a 1 GB one too.
bench-remote: build
	./scripts/bench-remote.sh

# Sharded extraction: the plan's balance, and 2 shards against one process.
bench-shards: build
	./scripts/bench-shards.sh

# Each fuzz target for FUZZTIME (go test runs one target per invocation).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin _demo
