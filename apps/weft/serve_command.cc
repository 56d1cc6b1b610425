// weft serve: the y-websocket server with its HTTP API (src/server/server.h).
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "files.h"
#include "server/auth.h"
#include "server/server.h"
#include "store/sqlite_doc_store.h"

namespace weft::cli {

namespace {

struct ServeArgs {
  std::string host = "127.0.0.1";
  uint16_t port = 1234;
  std::string data = "./weft-data";
  std::string static_dir;
  std::string port_file;
  double idle_timeout_s = 30;
  uint64_t max_message_bytes = uint64_t{16} << 20;
  uint64_t max_doc_bytes = uint64_t{256} << 20;
  size_t max_connections = 10000;
  uint64_t compact_after = 500;
  int io_threads = 2;
  std::string log_level = "info";
  std::string auth_secret;
  std::string auth_secret_file;
  double message_rate = 200;
  double message_burst = 1000;
  size_t max_connections_per_ip = 1000;
  double handshake_timeout_s = 10;
  size_t max_header_bytes = size_t{16} << 10;
  int deflate_level = 3;
  size_t deflate_max_bytes = size_t{1} << 20;
  bool journal = true;
};

// The secret from --auth-secret, --auth-secret-file or WEFT_AUTH_SECRET
// (first given wins; the file and the environment keep it out of `ps`).
// Empty: auth off. Never logged.
Result<std::string> auth_secret(const ServeArgs& args) {
  if (!args.auth_secret.empty() && !args.auth_secret_file.empty()) {
    return Status(ErrorCode::kInvalidArgument, "give --auth-secret or --auth-secret-file, not both");
  }
  if (!args.auth_secret_file.empty()) return read_secret_file(args.auth_secret_file);
  if (!args.auth_secret.empty()) return args.auth_secret;
  if (const char* env = std::getenv("WEFT_AUTH_SECRET")) return std::string(env);
  return std::string();
}

int run_serve(const ServeArgs& args) {
  spdlog::set_level(spdlog::level::from_str(args.log_level));
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::ServerOptions options;
  options.net.host = args.host;
  options.net.port = args.port;
  options.net.io_threads = args.io_threads;
  options.net.permessage_deflate = args.deflate_level > 0;
  options.net.deflate_level = args.deflate_level;
  options.net.deflate_max_bytes = args.deflate_max_bytes;
  options.net.max_message_bytes = args.max_message_bytes;
  options.max_doc_bytes = args.max_doc_bytes;
  options.max_connections = args.max_connections;
  options.compact_after_updates = args.compact_after;
  options.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(args.idle_timeout_s * 1000));
  options.static_dir = args.static_dir;
  options.message_rate = args.message_rate;
  options.message_burst = args.message_burst;
  options.net.max_connections_per_ip = args.max_connections_per_ip;
  options.net.handshake_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(args.handshake_timeout_s * 1000));
  options.net.max_http_header_bytes = args.max_header_bytes;
  Result<std::string> secret = auth_secret(args);
  if (!secret) {
    spdlog::error("auth secret: {}", secret.status().to_string());
    return 1;
  }
  if (!secret->empty()) {
    if (Status s = server::check_secret(*secret); !s) {
      spdlog::error("auth secret: {}", s.to_string());
      return 1;
    }
  }
  options.auth_secret = std::move(*secret);
  std::error_code ec;
  if (options.static_dir.empty() && std::filesystem::is_directory("./web/dist", ec))
    options.static_dir = "./web/dist";

  SqliteDocStoreOptions store_options;
  store_options.path = (std::filesystem::path(args.data) / "weft.db").string();
  store_options.journal = args.journal;
  auto store = SqliteDocStore::open(store_options);
  if (!store) {
    spdlog::error("cannot open {}: {}", store_options.path, store.status().to_string());
    return 1;
  }
  if ((*store)->recovered_records() > 0 || (*store)->dropped_records() > 0) {
    spdlog::info(
        "update journal {}: {} update(s) of the previous run moved into weft.db, {} unacknowledged "
        "record(s) after its torn tail dropped",
        (*store)->journal_dir(), (*store)->recovered_records(), (*store)->dropped_records());
  }

  server::Server srv(options, **store);
  if (Status s = srv.start(); !s) {
    spdlog::error("cannot listen on {}:{}: {}", args.host, args.port, s.to_string());
    return 1;
  }
  spdlog::info("weft serve: listening on {}:{}, data {}{}, auth {}", args.host, srv.port(),
               store_options.path,
               options.static_dir.empty() ? "" : ", static files from " + options.static_dir,
               options.auth_secret.empty() ? "off" : "on (tokens required)");
  if (!args.port_file.empty()) {
    const std::string tmp = args.port_file + ".tmp";
    std::ofstream(tmp) << srv.port() << "\n";
    std::filesystem::rename(tmp, args.port_file, ec);
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("weft serve: signal {}: stopping (closing connections, flushing the store)", sig);
  srv.stop();
  spdlog::info("weft serve: stopped");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  static ServeArgs args;
  auto* serve = app.add_subcommand("serve", "Run the y-websocket server (rooms, persistence, HTTP API)");
  serve->add_option("--host", args.host, "address to listen on")->capture_default_str();
  serve->add_option("--port", args.port, "port (0: pick a free one)")->capture_default_str();
  serve->add_option("--data", args.data, "data folder (holds weft.db)")->capture_default_str();
  serve
      ->add_option("--journal", args.journal,
                   "make updates durable in the update journal (false: a SQLite commit per batch)")
      ->capture_default_str();
  serve->add_option("--static", args.static_dir, "folder served at / (default ./web/dist if present)");
  serve->add_option("--port-file", args.port_file, "write the bound port to this file once listening");
  serve->add_option("--idle-timeout", args.idle_timeout_s, "seconds a room without clients stays loaded")
      ->capture_default_str();
  serve->add_option("--max-message-bytes", args.max_message_bytes, "largest WebSocket message")
      ->capture_default_str();
  serve->add_option("--max-doc-bytes", args.max_doc_bytes, "largest stored room (snapshot + log)")
      ->capture_default_str();
  serve->add_option("--max-connections", args.max_connections, "open WebSocket connections")
      ->capture_default_str();
  serve->add_option("--compact-after", args.compact_after, "compact a room's log past this many updates")
      ->capture_default_str();
  serve->add_option("--io-threads", args.io_threads, "network threads")->capture_default_str();
  serve->add_option("--log-level", args.log_level, "trace, debug, info, warn, error")->capture_default_str();
  serve->add_option("--auth-secret", args.auth_secret,
                    "require tokens signed with this secret (>= 16 bytes; see also WEFT_AUTH_SECRET)");
  serve->add_option("--auth-secret-file", args.auth_secret_file, "read the auth secret from this file");
  serve->add_option("--message-rate", args.message_rate, "messages per second per connection (0: no limit)")
      ->capture_default_str();
  serve->add_option("--message-burst", args.message_burst, "messages a connection may send at once")
      ->capture_default_str();
  serve
      ->add_option("--max-connections-per-ip", args.max_connections_per_ip,
                   "open TCP connections from one address (0: no limit)")
      ->capture_default_str();
  serve
      ->add_option("--handshake-timeout", args.handshake_timeout_s,
                   "seconds to send the first HTTP request and finish the WebSocket handshake")
      ->capture_default_str();
  serve->add_option("--max-header-bytes", args.max_header_bytes, "largest HTTP header block")
      ->capture_default_str();
  serve
      ->add_option("--deflate-level", args.deflate_level,
                   "zlib level of permessage-deflate, 1-9 (0: do not negotiate compression); messages of 1 "
                   "MiB and more use level 1")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  serve
      ->add_option(
          "--deflate-max-bytes", args.deflate_max_bytes,
          "larger outgoing messages are sent uncompressed (a client inflating megabytes takes longer "
          "than a fast link takes to carry them)")
      ->capture_default_str();
  serve->callback([&exit_code] { exit_code = run_serve(args); });
}

}  // namespace weft::cli
