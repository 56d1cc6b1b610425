// StaticFiles: serves a folder over HTTP (the web app of `weft serve`).
//   GET/HEAD /a/b.js -> <root>/a/b.js with its content type
//   GET /dir/        -> <root>/dir/index.html;  GET /dir -> 301 to /dir/
// Paths are percent-decoded; ".." segments, NUL bytes, and files that
// resolve (through symlinks) outside the root are refused with 403.
// Thread-safe (no mutable state); reads each file on every request.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "net/http_types.h"

namespace weft {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  // The response for `request`, or nullopt when it is not a GET/HEAD or no
  // such file exists (the caller answers it: its own routes, or 404).
  std::optional<HttpResponse> serve(const HttpRequest& request) const;

  // "text/html; charset=utf-8" for ".html", ...; "application/octet-stream" if unknown.
  static std::string_view content_type_for(const std::filesystem::path& file);

  // Files larger than this are not served (413).
  static constexpr uintmax_t kMaxFileBytes = uintmax_t{64} << 20;

 private:
  std::filesystem::path root_;  // canonical; empty if the folder is missing
};

}  // namespace weft
