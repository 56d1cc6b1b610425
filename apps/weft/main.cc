// weft: the command line entry point (docs in README.md and `weft --help`).
#include <cstdlib>
#include <iostream>
#include <string>

#include "core/load_paths.h"
#include "core/tombstone_runs.h"

#include "commands.h"
#include "files.h"

#ifdef WEFT_HAVE_BENCH_TRACE
#include "bench_tombstones.h"
#include "bench_trace.h"
#include "workloads.h"
#endif

int main(int argc, char** argv) {
  // Test hook for the interop suites (tombstone_runs.h): every transaction
  // ends with its tombstones frozen into runs.
  if (const char* v = std::getenv("WEFT_TEST_FREEZE_RUNS"); v != nullptr && std::string(v) == "1") {
    weft::freeze_runs_after_transactions = true;
    weft::load_in_parts_from_bytes = 256;  // and small states into empty docs load in parts
    weft::load_part_bytes = 64;
  }
  CLI::App app{"weft: a Yjs-compatible document database and tools"};
  app.require_subcommand(1);
  int exit_code = 0;
  weft::cli::add_doc_commands(app, exit_code);
  weft::cli::add_update_commands(app, exit_code);
  weft::cli::add_serve_command(app, exit_code);
  weft::cli::add_token_command(app, exit_code);

  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  auto* trace =
      bench->add_subcommand("trace", "Replay an editing trace; print one JSON line (peers harness protocol)");
  static std::string trace_path;
  trace->add_option("TRACE", trace_path, "trace file (.json or .json.gz)")->required();
  trace->callback([&] {
#ifdef WEFT_HAVE_BENCH_TRACE
    exit_code = weft::bench::run_bench_trace(trace_path);
#else
    exit_code = weft::cli::fail("this build has no trace benchmark");
#endif
  });
  auto* workload = bench->add_subcommand(
      "workload",
      "Run one B1-B3 / large map and array workload at size N; print one JSON line (bench/README.md)");
  static std::string workload_name;
  static uint64_t workload_n = 0;
  workload
      ->add_option("NAME", workload_name,
                   "workload (b1.1 .. b3.5, map.set, map.overwrite, array.insert-middle)")
      ->required();
  workload->add_option("N", workload_n, "size")->required();
  workload->callback([&] {
#ifdef WEFT_HAVE_BENCH_TRACE
    exit_code = weft::bench::run_bench_workload(workload_name, workload_n);
#else
    exit_code = weft::cli::fail("this build has no workload benchmark");
#endif
  });
  auto* tomb_gen = bench->add_subcommand(
      "tombstones-gen", "Write a document of N deleted items that never merge (v1 update) to FILE");
  static uint64_t tomb_count = 0;
  static std::string tomb_path;
  static bool tomb_no_gc = false;
  tomb_gen->add_option("N", tomb_count, "number of deleted items")->required();
  tomb_gen->add_option("FILE", tomb_path, "output file")->required();
  static std::string tomb_shape = "alternating";
  tomb_gen->add_option("--shape", tomb_shape,
                       "alternating: two clients' items, each after the other's (the default); "
                       "edits: 64 clients typing at random places, then ~98% deleted; "
                       "sessions: N/1000 clients, each typing 1,000 characters backwards at one random "
                       "place, then all but 1,000 deleted; "
                       "visible: alternating with nothing deleted (a big state that loads whole)");
  tomb_gen->callback([&] {
#ifdef WEFT_HAVE_BENCH_TRACE
    exit_code = weft::bench::run_tombstones_gen(tomb_count, tomb_path, tomb_shape);
#else
    exit_code = weft::cli::fail("this build has no benchmarks");
#endif
  });
  auto* tomb = bench->add_subcommand(
      "tombstones", "Load FILE into a fresh doc and re-encode it; print time and peak RSS as JSON");
  tomb->add_option("FILE", tomb_path, "update file (v1)")->required();
  tomb->add_flag("--no-gc", tomb_no_gc, "load into a doc with gc off (deleted content kept)");
  tomb->callback([&] {
#ifdef WEFT_HAVE_BENCH_TRACE
    exit_code = weft::bench::run_tombstones_load(tomb_path, !tomb_no_gc);
#else
    exit_code = weft::cli::fail("this build has no benchmarks");
#endif
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "weft: " << e.what() << "\n";
    return 2;
  }
  return exit_code;
}
