// Standalone `trace_bench TRACE`: the external engine protocol
// (shared/bench/peers/BENCHMARKS.md section 5); the trace path is the last argument.
#include <cstdio>
#include <string>

#include "bench_trace.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s [flags ignored] TRACE.json[.gz]\n", argv[0]);
    return 2;
  }
  return weft::bench::run_bench_trace(argv[argc - 1]);
}
