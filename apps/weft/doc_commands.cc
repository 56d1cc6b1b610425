// weft doc json | encode: apply update files to a fresh doc and dump or re-encode it.
#include <iostream>
#include <map>

#include "commands.h"
#include "files.h"
#include "weft/doc.h"

namespace weft::cli {

namespace {

struct DocArgs {
  std::vector<std::string> updates;
  bool v2 = false;
};

Result<TypeRef> parse_type(const std::string& name) {
  if (name == "map") return TypeRef::kMap;
  if (name == "array") return TypeRef::kArray;
  if (name == "text") return TypeRef::kText;
  if (name == "xml") return TypeRef::kXmlFragment;
  return Status(ErrorCode::kInvalidArgument, "unknown type '" + name + "' (map, array, text or xml)");
}

// Applies every file in order; a bad file names itself in the error.
Status load(Doc& doc, const DocArgs& args) {
  for (const std::string& path : args.updates) {
    WEFT_ASSIGN_OR_RETURN(auto bytes, read_file(path));
    Status s = doc.apply_update(bytes, args.v2 ? UpdateFormat::kV2 : UpdateFormat::kV1);
    if (!s) return Status(s.code(), path + ": " + s.to_string());
  }
  return Status::ok();
}

}  // namespace

void add_doc_commands(CLI::App& app, int& exit_code) {
  auto* doc = app.add_subcommand("doc", "Apply updates to a fresh document and inspect it");
  doc->require_subcommand(1);

  static DocArgs json_args;
  static std::vector<std::string> type_specs;
  auto* json = doc->add_subcommand("json", "Print the document as canonical JSON keyed by root name");
  json->add_option("UPDATE", json_args.updates, "update files, applied in order")->required();
  json->add_option("--type", type_specs, "fix a root's type: NAME=map|array|text|xml (repeatable)");
  json->add_flag("--v2", json_args.v2, "inputs are update format v2");
  json->callback([&] {
    std::map<std::string, TypeRef> types;
    for (const std::string& spec : type_specs) {
      auto eq = spec.find('=');
      if (eq == std::string::npos) {
        exit_code = fail("--type expects NAME=KIND, got '" + spec + "'");
        return;
      }
      auto kind = parse_type(spec.substr(eq + 1));
      if (!kind) {
        exit_code = fail(kind.status().message());
        return;
      }
      types[spec.substr(0, eq)] = *kind;
    }
    Doc d(DocOptions{});
    if (Status s = load(d, json_args); !s) {
      exit_code = fail(s.message());
      return;
    }
    std::cout << d.to_canonical_json(types) << "\n";
  });

  static DocArgs encode_args;
  static std::string out;
  auto* encode = doc->add_subcommand("encode", "Write encode_state_as_update of the document");
  encode->add_option("UPDATE", encode_args.updates, "update files, applied in order")->required();
  encode->add_option("-o,--output", out, "output file")->required();
  encode->add_flag("--v2", encode_args.v2, "read and write update format v2");
  encode->callback([&] {
    Doc d(DocOptions{});
    if (Status s = load(d, encode_args); !s) {
      exit_code = fail(s.message());
      return;
    }
    auto bytes = d.encode_state_as_update({}, encode_args.v2 ? UpdateFormat::kV2 : UpdateFormat::kV1);
    if (!bytes) {
      exit_code = fail(bytes.status().to_string());
      return;
    }
    if (Status s = write_file(out, *bytes); !s) exit_code = fail(s.message());
  });
}

}  // namespace weft::cli
