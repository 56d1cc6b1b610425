// `weft bench workload NAME N`: the B1-B3 shaped workloads (after dmonad's
// crdt-benchmarks) and the large map / array workloads, for Weft. The same
// workloads for yjs are in bench/peers/workloads_yjs.mjs; both draw their
// random positions from the same xorshift32 stream, so with the same client ids
// they must produce byte-identical documents (the runner compares the
// v1 SHA-256s). Definitions: bench/README.md, "Workloads".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weft::bench {

// Names of every workload, in the order the runner prints them.
std::vector<std::string> workload_names();

// Runs one workload at size n and prints one JSON line on stdout (fields in
// bench/README.md). Returns 0 when the line was printed (even with
// "ok": false), 2 for an unknown workload.
int run_bench_workload(const std::string& name, uint64_t n);

}  // namespace weft::bench
