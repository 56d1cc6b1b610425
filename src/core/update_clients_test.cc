// An update's client sections in any order, and a client named twice.
// yjs writes clients in descending order, but reads them in whatever order
// they come (readClientsStructRefs keeps them in a Map), and a client's
// later section replaces its earlier one. The reader keeps the descending
// case free of searches (a loaded state of thousands of clients once cost a
// sorted insertion per client), so every other order must still give the
// same document.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/load_paths.h"
#include "encoding/lib0.h"
#include "weft/doc.h"
#include "weft/types.h"

namespace weft {
namespace {

// One client section: a one-struct insert of `text` at clock 0 into the
// root text "t", with no origins (so all of them are concurrent inserts at
// the start, which YATA orders by client, ascending).
struct Section {
  uint64_t client;
  std::string text;
  std::optional<uint64_t> origin_client = std::nullopt;  // origin: that client's ...
  uint64_t origin_clock = 0;                             // ... clock
};

UpdateBytes v1_update(const std::vector<Section>& sections) {
  lib0::Encoder enc;
  enc.write_var_uint(sections.size());
  for (const Section& s : sections) {
    enc.write_var_uint(1);  // structs
    enc.write_var_uint(s.client);
    enc.write_var_uint(0);  // clock
    if (s.origin_client) {
      enc.write_u8(4 | 0x80);  // info: ContentString with an origin
      enc.write_var_uint(*s.origin_client);
      enc.write_var_uint(s.origin_clock);
    } else {
      enc.write_u8(4);        // info: ContentString, no origin, no right origin, no key
      enc.write_var_uint(1);  // parent given by root name
      enc.write_var_string(std::string_view("t"));
    }
    enc.write_var_string(std::string_view(s.text));
  }
  enc.write_var_uint(0);  // empty delete set
  return enc.bytes();
}

struct Loaded {
  std::string text;
  UpdateBytes state;
};

Loaded load(const UpdateBytes& update) {
  Doc doc(DocOptions{.client_id = 1, .guid = {}, .gc = true});
  EXPECT_TRUE(doc.apply_update(update).is_ok());
  return {doc.get_text("t").to_string(), *doc.encode_state_as_update()};
}

// 3,000 clients (past every small-list threshold of the reader), texts with
// non-ASCII letters.
std::vector<Section> many_sections() {
  static const char* kLetters[] = {"a", "é", "世", "😀"};
  std::vector<Section> sections;
  for (uint64_t c = 0; c < 3000; c++) sections.push_back({1000 + c * 7, kLetters[c % 4]});
  return sections;
}

std::string ascending_text(const std::vector<Section>& sections) {
  std::vector<Section> sorted = sections;
  std::sort(sorted.begin(), sorted.end(),
            [](const Section& a, const Section& b) { return a.client < b.client; });
  std::string text;
  for (const Section& s : sorted) text += s.text;
  return text;
}

TEST(UpdateClients, AnyOrderOfSectionsGivesTheSameDocument) {
  std::vector<Section> ascending = many_sections();
  std::vector<Section> descending(ascending.rbegin(), ascending.rend());
  std::vector<Section> shuffled = ascending;
  std::mt19937_64 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  // Descending, then one client out of order at the end.
  std::vector<Section> almost = descending;
  std::rotate(almost.begin(), almost.begin() + 1, almost.end());

  const Loaded expected = load(v1_update(descending));
  EXPECT_EQ(expected.text, ascending_text(ascending));
  // The state is written in yjs' order again: the bytes read.
  EXPECT_EQ(expected.state, v1_update(descending));
  for (const auto* order : {&ascending, &shuffled, &almost}) {
    const Loaded got = load(v1_update(*order));
    EXPECT_EQ(got.text, expected.text);
    EXPECT_EQ(got.state, expected.state);
  }
}

TEST(UpdateClients, ALaterSectionOfAClientReplacesTheEarlier) {
  // Next to each other (the ordered reading) and far apart (the hash index
  // of an unordered one): client 20's "b" replaces its "a" either way.
  const std::vector<Section> adjacent = {{30, "z"}, {20, "a"}, {20, "b"}, {10, "x"}};
  EXPECT_EQ(load(v1_update(adjacent)).text, "xbz");
  const std::vector<Section> apart = {{30, "z"}, {20, "a"}, {10, "x"}, {40, "w"}, {20, "b"}};
  EXPECT_EQ(load(v1_update(apart)).text, "xbzw");
  // Many clients, every one named twice, the second time in another order.
  std::vector<Section> first = many_sections();
  std::vector<Section> second = first;
  for (Section& s : second) s.text = "ü";
  std::mt19937_64 rng(11);
  std::shuffle(second.begin(), second.end(), rng);
  std::vector<Section> both(first.rbegin(), first.rend());
  both.insert(both.end(), second.begin(), second.end());
  std::string all_u;
  for (size_t k = 0; k < second.size(); k++) all_u += "ü";
  EXPECT_EQ(load(v1_update(both)).text, all_u);
}

// Each client's item follows the previous client's (sessions appending to a
// document): the load must follow the chain from client to client whatever
// the order of their ids, in one pass (a round per client was quadratic).
TEST(UpdateClients, ChainsOfClientsBuildingOnEachOther) {
  std::mt19937_64 rng(3);
  for (const char* order : {"ascending", "descending", "random"}) {
    SCOPED_TRACE(order);
    std::vector<uint64_t> ids;
    for (uint64_t c = 0; c < 2000; c++) ids.push_back(1000 + c);
    if (std::string(order) == "descending") std::reverse(ids.begin(), ids.end());
    if (std::string(order) == "random") std::shuffle(ids.begin(), ids.end(), rng);
    // The origin is the last unit of the previous item (the emoji's is
    // its second: one unit earlier would split the surrogate pair).
    static const char* kLetters[] = {"a", "é", "世", "😀", "b"};
    static const uint64_t kLastUnit[] = {0, 0, 0, 1, 0};
    std::vector<Section> sections;
    std::string expected;
    for (size_t k = 0; k < ids.size(); k++) {
      Section s{ids[k], kLetters[k % 5]};
      if (k > 0) {
        s.origin_client = ids[k - 1];
        s.origin_clock = kLastUnit[(k - 1) % 5];
      }
      sections.push_back(s);
      expected += kLetters[k % 5];
    }
    std::sort(sections.begin(), sections.end(),
              [](const Section& a, const Section& b) { return a.client > b.client; });
    const UpdateBytes update = v1_update(sections);
    const uint64_t passes = bulk_load_passes.load();
    const Loaded got = load(update);
    EXPECT_EQ(bulk_load_passes.load(), passes + 1);
    EXPECT_EQ(got.text, expected);
    EXPECT_EQ(got.state, update);
  }
}

}  // namespace
}  // namespace weft
