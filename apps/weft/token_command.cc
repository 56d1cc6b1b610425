// weft token: issues an access token for `weft serve --auth-secret` (src/server/auth.h).
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "files.h"
#include "server/auth.h"

namespace weft::cli {

namespace {

struct TokenArgs {
  std::string secret;
  std::string secret_file;
  std::string room;
  std::string access = "read-write";
  int64_t ttl_s = 3600;
};

int run_token(const TokenArgs& args) {
  std::string secret = args.secret;
  if (!args.secret_file.empty()) {
    Result<std::string> read = read_secret_file(args.secret_file);
    if (!read) return fail(read.status().to_string());
    secret = std::move(*read);
  } else if (secret.empty()) {
    if (const char* env = std::getenv("WEFT_AUTH_SECRET")) secret = env;
  }
  if (secret.empty()) return fail("no secret: give --secret, --secret-file or WEFT_AUTH_SECRET");
  std::optional<server::Access> access = server::parse_access(args.access);
  if (!access) return fail("--access must be read or read-write");
  if (args.ttl_s <= 0) return fail("--ttl must be positive");
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  Result<std::string> token = server::issue_token(secret, {*access, now + args.ttl_s, args.room});
  if (!token) return fail(token.status().to_string());
  std::cout << *token << "\n";
  return 0;
}

}  // namespace

void add_token_command(CLI::App& app, int& exit_code) {
  static TokenArgs args;
  auto* token = app.add_subcommand("token", "Print an access token for `weft serve --auth-secret`");
  auto* secret = token->add_option("--secret", args.secret, "the server's secret (or WEFT_AUTH_SECRET)");
  token->add_option("--secret-file", args.secret_file, "read the secret from this file")->excludes(secret);
  token->add_option("--room", args.room, "room name, or a pattern where * matches anything")->required();
  token->add_option("--access", args.access, "read or read-write")->capture_default_str();
  token->add_option("--ttl", args.ttl_s, "seconds until the token expires")->capture_default_str();
  token->callback([&exit_code] { exit_code = run_token(args); });
}

}  // namespace weft::cli
