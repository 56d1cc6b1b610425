// Subcommands of the weft command line tool.
#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// Registers `weft doc ...` and `weft update ...`; each sets `exit_code` when it runs.
void add_doc_commands(CLI::App& app, int& exit_code);
void add_update_commands(CLI::App& app, int& exit_code);
// Registers `weft serve` (serve_command.cc).
void add_serve_command(CLI::App& app, int& exit_code);
// Registers `weft token` (token_command.cc).
void add_token_command(CLI::App& app, int& exit_code);

}  // namespace weft::cli
