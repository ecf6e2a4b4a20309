# Convenience targets; the README's commands work without make.
.PHONY: demo test fuzz build
demo:
	go run ./cmd/hooksim demo
test:
	go test -race ./...
build:
	go build -o hooksim ./cmd/hooksim
fuzz:
	go test -run=NONE -fuzz=FuzzParseResponse -fuzztime=30s ./simulator/wire/
