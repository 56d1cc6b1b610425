#include "net/static_files.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace weft {

namespace fs = std::filesystem;

namespace {

// True if `inner` is `outer` or below it (both canonical).
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end();
}

}  // namespace

StaticFiles::StaticFiles(fs::path root) {
  std::error_code ec;
  root_ = fs::canonical(root, ec);
  if (ec) root_.clear();
}

std::string_view StaticFiles::content_type_for(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
  }};
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

std::optional<HttpResponse> StaticFiles::serve(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  if (root_.empty()) return std::nullopt;
  std::optional<std::string> decoded = percent_decode(request.path);
  if (!decoded || decoded->empty() || decoded->front() != '/') {
    return HttpResponse::text(400, "bad path\n");
  }
  if (decoded->find('\0') != std::string::npos) return HttpResponse::text(400, "bad path\n");

  fs::path file = root_;
  size_t pos = 1;
  while (pos <= decoded->size()) {
    size_t slash = decoded->find('/', pos);
    if (slash == std::string::npos) slash = decoded->size();
    std::string_view segment(decoded->data() + pos, slash - pos);
    if (segment == "..") return HttpResponse::text(403, "forbidden\n");
    if (!segment.empty() && segment != ".") file /= fs::path(std::string(segment));
    pos = slash + 1;
  }

  std::error_code ec;
  fs::path real = fs::canonical(file, ec);
  if (ec) return std::nullopt;
  if (!is_within(real, root_)) return HttpResponse::text(403, "forbidden\n");
  if (fs::is_directory(real, ec)) {
    if (decoded->back() != '/') {
      HttpResponse redirect = HttpResponse::text(301, "");
      redirect.headers.emplace_back("Location",
                                    request.path + "/" + (request.query.empty() ? "" : "?" + request.query));
      return redirect;
    }
    real = fs::canonical(real / "index.html", ec);
    if (ec) return std::nullopt;
    if (!is_within(real, root_)) return HttpResponse::text(403, "forbidden\n");
  }
  if (!fs::is_regular_file(real, ec)) return std::nullopt;
  const uintmax_t size = fs::file_size(real, ec);
  if (ec) return std::nullopt;
  if (size > kMaxFileBytes) return HttpResponse::text(413, "file too large\n");

  std::ifstream in(real, std::ios::binary);
  if (!in) return HttpResponse::text(403, "forbidden\n");
  HttpResponse response;
  response.content_type = std::string(content_type_for(real));
  response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

}  // namespace weft
