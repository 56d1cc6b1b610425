// weft: the command line entry point (docs in README.md and `weft --help`).
#include <iostream>

#include "commands.h"
#include "files.h"

#ifdef WEFT_HAVE_BENCH_TRACE
#include "bench_trace.h"
#include "workloads.h"
#endif

int main(int argc, char** argv) {
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "weft: " << e.what() << "\n";
    return 2;
  }
  return exit_code;
}
