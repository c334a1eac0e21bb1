# The two commands of the README. Both install what they need through apt-get first.
.PHONY: deps build run test bench clean

PRESET ?= release

deps:
	bash scripts/install-deps.sh

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET)

# Builds, creates demo data and a demo key, and serves on 127.0.0.1:8080.
run: build
	bash scripts/run-demo.sh build/$(PRESET)/src/app/soundtrend

# Builds and runs every test.
test: build
	ctest --preset $(PRESET)

clean:
	rm -rf build
