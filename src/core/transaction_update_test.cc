// Every transaction's v1 update (Doc::on_update) must be the bytes the
// general writers give: the small-update writer (write_update.cc, a raw
// pointer into a stack buffer) against write_transaction_structs and
// DeleteSet::write with the field-by-field struct writer, computed in the
// handler from the same transaction and store. Three docs (gc on and off)
// make seeded edits and exchange their updates, so local transactions (one
// client's blocks, typed runs continuing a block, deletes of several
// clients' text) and remote ones (several clients' blocks and delete
// ranges) both go through it. The text mixes ASCII, 2- and 3-byte UTF-8,
// surrogate pairs, lone surrogates and runs longer than the writer's
// buffer; maps and arrays add blocks it does not take (the general path).
// WEFT_TXN_UPDATE_SEEDS sets the count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/transaction.h"
#include "core/write_update.h"
#include "encoding/update_codec.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft {
namespace {

// The update of `txn` from the general writers.
UpdateBytes general_update(const Doc& doc, const Transaction& txn) {
  const bool fast = fast_v1_writer_enabled;
  fast_v1_writer_enabled = false;
  auto enc = make_update_encoder(UpdateFormat::kV1);
  write_transaction_structs(*enc, doc.store(), txn.moved);
  txn.delete_set.write(*enc);
  fast_v1_writer_enabled = fast;
  return enc->finish();
}

struct Peer {
  Peer(uint64_t client, bool gc) : doc(DocOptions{client, "", gc}) {
    doc.on_update([this](const UpdateBytes& u, const Transaction& txn) {
      ASSERT_EQ(u, general_update(doc, txn)) << "transaction " << updates.size();
      updates.push_back(u);
    });
  }
  Doc doc;
  std::vector<UpdateBytes> updates;  // not yet sent to the others
};

const std::u16string kPieces[] = {
    u"a",          u"hello",        u"x y\n",  u"\u00e9t\u00e9", u"\u4e16\u754c",
    u"\U0001F600", u"a\U0001F44Db", u"\xD83D", u"\xDE00z",       u"\u0800\u07ff\u007f",
};

std::u16string random_text(std::mt19937_64& rng) {
  if (rng() % 40 == 0) {  // ASCII around the longest one-byte length prefix (127 bytes)
    return std::u16string(126 + rng() % 4, u'k');
  }
  if (rng() % 40 == 0) {  // a run longer than the writer's buffer, or past a one-byte length
    std::u16string s;
    const size_t n = rng() % 2 == 0 ? 200 : 130;
    for (size_t k = 0; k < n; k++) s += rng() % 3 == 0 ? u'\u4e16' : u'q';
    return s;
  }
  return kPieces[rng() % std::size(kPieces)];
}

void run_seed(uint64_t seed, bool gc) {
  std::mt19937_64 rng(seed);
  std::vector<std::unique_ptr<Peer>> peers;
  for (uint64_t k = 0; k < 3; k++) peers.push_back(std::make_unique<Peer>(100 + 7 * seed + k, gc));
  for (int step = 0; step < 150; step++) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc) + " step " +
                 std::to_string(step));
    Peer& peer = *peers[rng() % peers.size()];
    TextRef text = peer.doc.get_text("t");
    const uint64_t r = rng() % 20;
    if (r < 3) {
      // Sends this peer's updates to another one, merged or one by one.
      Peer& other = *peers[rng() % peers.size()];
      if (&other == &peer || peer.updates.empty()) continue;
      if (rng() % 2 == 0) {
        const std::vector<std::span<const uint8_t>> parts(peer.updates.begin(), peer.updates.end());
        auto merged = merge_updates(parts, UpdateFormat::kV1);
        ASSERT_TRUE(merged.is_ok());
        ASSERT_TRUE(other.doc.apply_update(*merged).is_ok());
      } else {
        for (const UpdateBytes& u : peer.updates) ASSERT_TRUE(other.doc.apply_update(u).is_ok());
      }
      if (::testing::Test::HasFatalFailure()) return;
      continue;
    }
    peer.doc.transact([&](Transaction&) {
      const int edits = rng() % 6 == 0 ? 3 : 1;
      for (int e = 0; e < edits; e++) {
        const uint64_t len = text.length();
        const uint64_t op = rng() % 10;
        if (op < 5 || len == 0) {
          // Mostly at the end (typing continues the last block).
          const uint64_t at = rng() % 2 == 0 ? len : rng() % (len + 1);
          ASSERT_TRUE(text.insert(at, std::u16string_view(random_text(rng))).is_ok());
        } else if (op < 8) {
          const uint64_t at = rng() % len;
          ASSERT_TRUE(text.remove_range(at, 1 + rng() % std::min<uint64_t>(len - at, 5)).is_ok());
        } else if (op == 8) {
          peer.doc.get_map("m").set(std::string(1, static_cast<char>('a' + rng() % 3)),
                                    Any(static_cast<int>(rng() % 100)));
        } else {
          ArrayRef a = peer.doc.get_array("a");
          ASSERT_TRUE(a.insert(rng() % (a.length() + 1), {Any(1), Any("two")}).is_ok());
        }
      }
    });
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Everyone gets everything, twice (the second time changes nothing).
  for (int round = 0; round < 2; round++) {
    for (auto& from : peers) {
      for (auto& to : peers) {
        if (from == to) continue;
        auto sv = to->doc.encode_state_vector();
        auto diff = from->doc.encode_state_as_update(sv);
        ASSERT_TRUE(diff.is_ok());
        ASSERT_TRUE(to->doc.apply_update(*diff).is_ok());
      }
    }
  }
  // (Texts may differ where a peer typed the halves of a pair as lone
  // surrogates: the wire carries each as U+FFFD, as in yjs.)
  for (auto& p : peers) {
    EXPECT_EQ(p->doc.encode_state_vector(), peers[0]->doc.encode_state_vector());
    EXPECT_FALSE(p->doc.has_pending());
  }
}

TEST(TransactionUpdate, SmallWriterMatchesGeneralWriters) {
  const char* env = std::getenv("WEFT_TXN_UPDATE_SEEDS");
  const uint64_t seeds = env != nullptr ? std::strtoull(env, nullptr, 10) : 40;
  for (uint64_t seed = 0; seed < seeds; seed++) {
    for (bool gc : {true, false}) {
      run_seed(seed, gc);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// A transaction's work follows the clients it changes, not the document's
// (StructStore's journal): in a document of 3,000 clients, a transaction
// that types and applies another client's update lists exactly those two
// clients, with their states before; the transaction stays local, as in
// yjs. A transaction an observer opens while another is cleaned up gets its
// own before-state.
TEST(TransactionUpdate, MovedClientsAreTheTouchedOnes) {
  Doc doc(DocOptions{1, "", true});
  TextRef text = doc.get_text("t");
  for (uint64_t c = 0; c < 3000; c++) {
    doc.set_client_id(1000 + c);
    ASSERT_TRUE(text.insert(text.length(), std::u16string_view(u"x")));
  }
  Doc other(DocOptions{9, "", true});
  ASSERT_TRUE(other.apply_update(*doc.encode_state_as_update()));
  UpdateBytes remote;
  other.on_update([&](const UpdateBytes& u, const Transaction&) { remote = u; });
  ASSERT_TRUE(other.get_text("t").insert(0, std::u16string_view(u"r😀")));
  ASSERT_FALSE(remote.empty());

  doc.set_client_id(5);
  std::vector<std::vector<ClientMove>> moved;
  std::vector<UpdateBytes> updates;
  doc.on_update([&](const UpdateBytes& u, const Transaction& txn) {
    moved.push_back(txn.moved);
    updates.push_back(u);
  });
  auto same = [](const std::vector<ClientMove>& got, std::vector<std::pair<uint64_t, uint64_t>> want) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); i++) {
      if (got[i].client != want[i].first || got[i].before != want[i].second) return false;
    }
    return true;
  };
  doc.transact([&](Transaction& txn) {
    ASSERT_TRUE(text.insert(0, std::u16string_view(u"a")));
    ASSERT_TRUE(doc.apply_update(remote));
    EXPECT_EQ(txn.before(5), 0u);
    EXPECT_EQ(txn.before(9), 0u);
    EXPECT_EQ(txn.before(1000), 1u);
    EXPECT_TRUE(txn.local) << "an update applied inside a local transaction made it remote";
  });
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_TRUE(same(moved[0], {{5, 0}, {9, 0}}));
  // Local: the cleanup does not take client 5's own new blocks for another
  // peer's (which would change the client id).
  EXPECT_EQ(doc.client_id(), 5u);

  bool nested = false;
  text.observe([&](const Event&, Transaction&) {
    if (nested) return;
    nested = true;
    ASSERT_TRUE(text.insert(0, std::u16string_view(u"n")));
  });
  ASSERT_TRUE(text.insert(0, std::u16string_view(u"b")));
  ASSERT_EQ(moved.size(), 3u);
  EXPECT_TRUE(same(moved[1], {{5, 1}}));  // "b"
  EXPECT_TRUE(same(moved[2], {{5, 2}}));  // "n", typed in the observer
  // The updates, in order, give a peer the same document.
  Doc peer(DocOptions{11, "", true});
  ASSERT_TRUE(peer.apply_update(*other.encode_state_as_update()));
  for (const UpdateBytes& u : updates) ASSERT_TRUE(peer.apply_update(u));
  EXPECT_EQ(peer.get_text("t").to_string(), text.to_string());
  EXPECT_EQ(peer.encode_state_vector(), doc.encode_state_vector());
}

}  // namespace
}  // namespace weft
