// weft update merge | diff | state-vector | convert | inspect: operations on raw update bytes.
#include <iostream>

#include "commands.h"
#include "files.h"
#include "weft/update.h"

namespace weft::cli {

namespace {

UpdateFormat format_of(bool v2) { return v2 ? UpdateFormat::kV2 : UpdateFormat::kV1; }

Result<std::vector<std::vector<uint8_t>>> read_all(const std::vector<std::string>& paths) {
  std::vector<std::vector<uint8_t>> files;
  for (const std::string& p : paths) {
    WEFT_ASSIGN_OR_RETURN(auto bytes, read_file(p));
    files.push_back(std::move(bytes));
  }
  return files;
}

// Writes a result or reports its error; returns the exit code.
int finish(const Result<UpdateBytes>& result, const std::string& out) {
  if (!result) return fail(result.status().to_string());
  if (Status s = write_file(out, *result); !s) return fail(s.message());
  return 0;
}

Result<UpdateBytes> merged(const std::vector<std::string>& paths, UpdateFormat format) {
  WEFT_ASSIGN_OR_RETURN(auto files, read_all(paths));
  std::vector<std::span<const uint8_t>> spans(files.begin(), files.end());
  return merge_updates(spans, format);
}

}  // namespace

void add_update_commands(CLI::App& app, int& exit_code) {
  auto* update = app.add_subcommand("update", "Operate on raw update files without a document");
  update->require_subcommand(1);

  static std::vector<std::string> merge_in;
  static std::string merge_out;
  static bool merge_v2 = false;
  auto* merge = update->add_subcommand("merge", "Merge updates into one (Y.mergeUpdates)");
  merge->add_option("UPDATE", merge_in, "update files")->required();
  merge->add_option("-o,--output", merge_out, "output file")->required();
  merge->add_flag("--v2", merge_v2, "read and write update format v2");
  merge->callback([&] { exit_code = finish(merged(merge_in, format_of(merge_v2)), merge_out); });

  static std::string diff_in, diff_sv, diff_out;
  static bool diff_v2 = false;
  auto* diff = update->add_subcommand("diff", "What an update holds beyond a state vector (Y.diffUpdate)");
  diff->add_option("UPDATE", diff_in, "update file")->required();
  diff->add_option("--state-vector", diff_sv, "state vector file")->required();
  diff->add_option("-o,--output", diff_out, "output file")->required();
  diff->add_flag("--v2", diff_v2, "read and write update format v2");
  diff->callback([&] {
    auto update_bytes = read_file(diff_in);
    auto sv = read_file(diff_sv);
    if (!update_bytes) return void(exit_code = fail(update_bytes.status().message()));
    if (!sv) return void(exit_code = fail(sv.status().message()));
    exit_code = finish(diff_update(*update_bytes, *sv, format_of(diff_v2)), diff_out);
  });

  static std::vector<std::string> sv_in;
  static std::string sv_out;
  static bool sv_v2 = false;
  auto* sv = update->add_subcommand("state-vector", "State vector of the merged updates");
  sv->add_option("UPDATE", sv_in, "update files")->required();
  sv->add_option("-o,--output", sv_out, "output file")->required();
  sv->add_flag("--v2", sv_v2, "inputs are update format v2");
  sv->callback([&] {
    auto m = merged(sv_in, format_of(sv_v2));
    if (!m) return void(exit_code = fail(m.status().to_string()));
    exit_code = finish(encode_state_vector_from_update(*m, format_of(sv_v2)), sv_out);
  });

  static std::string conv_in, conv_out, conv_to;
  static bool conv_v2 = false;
  auto* convert = update->add_subcommand("convert", "Convert an update between format v1 and v2");
  convert->add_option("UPDATE", conv_in, "update file")->required();
  convert->add_option("--to", conv_to, "target format")->required()->check(CLI::IsMember({"v1", "v2"}));
  convert->add_option("-o,--output", conv_out, "output file")->required();
  convert->add_flag("--v2", conv_v2, "accepted for symmetry; the source format is the other one");
  convert->callback([&] {
    auto bytes = read_file(conv_in);
    if (!bytes) return void(exit_code = fail(bytes.status().message()));
    UpdateFormat to = conv_to == "v2" ? UpdateFormat::kV2 : UpdateFormat::kV1;
    UpdateFormat from = to == UpdateFormat::kV2 ? UpdateFormat::kV1 : UpdateFormat::kV2;
    exit_code = finish(convert_update(*bytes, from, to), conv_out);
  });

  static std::string inspect_in;
  static bool inspect_v2 = false;
  auto* inspect = update->add_subcommand("inspect", "List an update's structs and delete set");
  inspect->add_option("UPDATE", inspect_in, "update file")->required();
  inspect->add_flag("--v2", inspect_v2, "input is update format v2");
  inspect->callback([&] {
    auto bytes = read_file(inspect_in);
    if (!bytes) return void(exit_code = fail(bytes.status().message()));
    auto text = describe_update(*bytes, format_of(inspect_v2));
    if (!text) return void(exit_code = fail(text.status().to_string()));
    std::cout << *text;
  });
}

}  // namespace weft::cli
