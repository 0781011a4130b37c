# The two commands of the quick start are `make run` and `make test`; the rest are for developers.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps test-deps fuzz-deps build fuzz-build test-long run test fuzz bench scaling asan format format-check \
	reference fresh-check clean

all: build

deps:
	@scripts/install_deps.sh

# The fuzz targets need clang with libFuzzer (libclang-rt-14-dev) and clang's OpenMP (libomp-14-dev).
FUZZ_PACKAGES = clang-14 libclang-rt-14-dev libomp-14-dev

# The tests also compare with PyTorch: Debian's python3-torchvision (never a runtime dependency), run
# each fuzz target for a few seconds, and open the HTML reports in headless Chromium.
test-deps:
	@scripts/install_deps.sh python3-torchvision python3-numpy python3-onnx python3-opencv libonnx-testdata iproute2 \
		chromium $(FUZZ_PACKAGES)

fuzz-deps:
	@scripts/install_deps.sh $(FUZZ_PACKAGES)

# Warnings are at zero and stay there: a new one fails the build of `make run` and `make test`.
CONFIGURE = cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCNNZOO_WERROR=ON $(CMAKE_FLAGS)

build: deps
	$(CONFIGURE)
	cmake --build $(BUILD) -j$(JOBS)

RUN_DIR ?= runs/make-run

# The main job: resnet20 on Fashion-MNIST (Debian's dataset-fashion-mnist) for one epoch, then its
# evaluation and predictions for a few test images; the model's analysis and the lecture's comparison
# first.
run: build
	./$(BUILD)/cnnzoo summary resnet20 --input 1x28x28
	./$(BUILD)/cnnzoo compare alexnet vgg16
	./$(BUILD)/cnnzoo train --epochs 1 --out $(RUN_DIR) --overwrite
	./$(BUILD)/cnnzoo eval --checkpoint $(RUN_DIR)/best.safetensors
	./$(BUILD)/cnnzoo samples --data fashion-mnist --count 6 --out $(RUN_DIR)/samples
	./$(BUILD)/cnnzoo predict --checkpoint $(RUN_DIR)/best.safetensors --top 3 $(RUN_DIR)/samples/*.png

# The libFuzzer targets of fuzz/ (docs/reliability.md), built by clang with ASan and UBSan in a folder of
# their own: the library, the CLI's parser and one program per reader of outside input; and the test
# binaries of the sanitized CI subset (tests/CMakeLists.txt, CNNZOO_ASAN_CI_TESTS).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

# Without MPI: Open MPI's own allocations would read as leaks to LeakSanitizer, and the fuzz targets and the
# sanitized tests run in one process; this build is also the one that shows cnnzoo builds without MPI.
FUZZ_CONFIGURE = cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCNNZOO_FUZZ=ON -DCNNZOO_WERROR=ON \
	-DCNNZOO_MPI=OFF

fuzz-build: fuzz-deps
	$(FUZZ_CONFIGURE)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_targets asan_ci_tests

# The figures of docs/distributed.md: all-reduce over a veth link between two network namespaces, 1 and 2 ranks
# of resnet20 and resnet50, and the cost model's predictions (printed as Markdown). Root and a quiet machine.
scaling: test-deps build
	cmake --build $(BUILD) -j$(JOBS) --target allreduce_bandwidth
	scripts/distributed_scaling.py --cnnzoo $(BUILD)/cnnzoo --allreduce $(BUILD)/allreduce_bandwidth

# Every fuzz target for FUZZ_SECONDS, one after another; prints the table of docs/reliability.md.
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz_all.sh $(FUZZ_BUILD)

# Every test but the long training recipes (label `long`, run by `make test-long`). Tests run side by
# side, each with OpenMP threads for every core: idle OpenMP threads sleep instead of spinning, or they
# take the cores from the other test's threads (the engine's speed is measured by `make bench`). Then, in
# the sanitized build (ASan, UBSan), each fuzz target for a few seconds and over its kept crash inputs
# (label fuzz-smoke) and the unit tests of the readers, the importer, shapes and checkpoints (asan-ci).
test: test-deps build fuzz-build
	OMP_WAIT_POLICY=passive ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -LE long
	OMP_WAIT_POLICY=passive ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j$(JOBS) -L 'fuzz-smoke|asan-ci'

test-long: test-deps build
	ctest --test-dir $(BUILD) --output-on-failure -L long

# cnnzoo against PyTorch on this CPU (docs/benchmarks.md): rewrites the results there. Needs a quiet
# machine and some minutes, so it is no part of `make test`. BENCH_FLAGS adds options (--cases ...).
bench: test-deps
	$(CONFIGURE)
	cmake --build $(BUILD) -j$(JOBS) --target cnnzoo_cli
	bench/compare_pytorch --cnnzoo $(BUILD)/cnnzoo --output docs/benchmarks.md $(BENCH_FLAGS)

# The README's two commands on a pristine Debian 12 root (debootstrap, cached between runs), each in a
# fresh copy, on the committed HEAD: catches an install step that only this machine's packages hid.
# Needs root and the Debian mirror; about 37 minutes on 2 cores, so it is no part of `make test`.
fresh-check:
	@scripts/install_deps.sh debootstrap git
	scripts/fresh_check.sh $(FRESH_CHECK_FLAGS)

# Every test but the long ones under AddressSanitizer and UndefinedBehaviorSanitizer: the sanitized clang
# build of the fuzz targets, with the CLI and the tests built in it too (docs/reliability.md).
asan: test-deps
	$(FUZZ_CONFIGURE)
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	OMP_WAIT_POLICY=passive ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j$(JOBS) -LE long

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.h' '*.cpp')

# Regenerates tests/data/torchvision_reference.json with Debian's python3-torchvision.
reference:
	@scripts/install_deps.sh python3-torchvision
	/usr/bin/python3 scripts/torchvision_reference.py --output tests/data/torchvision_reference.json

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
