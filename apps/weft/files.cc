#include "files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

namespace weft::cli {

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(errno));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Status write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Status(ErrorCode::kIo, "cannot write " + path);
  return Status::ok();
}

Result<std::string> read_secret_file(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(path));
  std::string secret(bytes.begin(), bytes.end());
  if (secret.ends_with('\n')) secret.pop_back();
  if (secret.ends_with('\r')) secret.pop_back();
  return secret;
}

int fail(const std::string& message) {
  std::cerr << "weft: " << message << "\n";
  return 1;
}

}  // namespace weft::cli
