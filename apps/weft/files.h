// File helpers for the weft command: raw update bytes in and out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "weft/status.h"

namespace weft::cli {

Result<std::vector<uint8_t>> read_file(const std::string& path);
Status write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// A secret kept in a file (`--auth-secret-file`, `--secret-file`): the
// whole file, one trailing newline (and CR) removed.
Result<std::string> read_secret_file(const std::string& path);

// Prints "weft: <message>" to stderr and returns the exit code 1.
int fail(const std::string& message);

}  // namespace weft::cli
