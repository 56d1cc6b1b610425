#include "testdata/tombstone_updates.h"

#include <algorithm>
#include <random>
#include <string>

#include "encoding/update_codec.h"
#include "encoding/wire.h"
#include "weft/doc.h"

namespace weft::testdata {

UpdateBytes make_tombstone_update(uint64_t count, const TombstoneUpdateOptions& options) {
  constexpr uint64_t kClients[2] = {1, 2};
  auto enc = make_update_encoder(UpdateFormat::kV1);
  const uint64_t per_client[2] = {(count + 1) / 2, count / 2};
  enc->rest().write_var_uint(per_client[1] > 0 ? 2 : (count > 0 ? 1 : 0));
  for (int c = 1; c >= 0; c--) {  // clients in descending order, as Yjs writes them
    if (per_client[c] == 0) continue;
    enc->rest().write_var_uint(per_client[c]);
    enc->write_client(kClients[c]);
    enc->rest().write_var_uint(0);
    for (uint64_t clock = 0; clock < per_client[c]; clock++) {
      const uint64_t k = 2 * clock + static_cast<uint64_t>(c);
      const uint8_t kString = 4;
      if (k == 0) {
        enc->write_info(kString);
        enc->write_parent_info(true);
        enc->write_string(options.root);
      } else {
        enc->write_info(kString | 0x80);
        const bool bad = options.bad_origin && c == 0 && clock == per_client[0] - 1;
        enc->write_left_id(bad ? ID{kClients[0], per_client[0] + 5} : ID{kClients[(k - 1) % 2], (k - 1) / 2});
      }
      enc->write_string(std::u16string_view(u"x"));
    }
  }
  DeleteSet ds;
  if (options.deleted) {
    for (int c = 0; c < 2; c++) {
      if (per_client[c] > 0) ds.add(kClients[c], 0, per_client[c]);
    }
  }
  ds.write(*enc);
  return enc->finish();
}

UpdateBytes make_edited_tombstone_update(uint64_t count, uint64_t seed) {
  // 64 clients take turns typing a piece at a random place (each piece an
  // item of its own: no two are neighbours in both clocks and places), then
  // all but about one unit in 50 is deleted, in ranges from the end. BMP
  // pieces only, so that no range splits a surrogate pair.
  Doc doc(DocOptions{.client_id = 1, .guid = {}, .gc = true});
  TextRef text = doc.get_text("text");
  std::mt19937_64 rng(seed);
  static constexpr std::u16string_view kPieces[] = {u"a", u"bc", u"déf", u"世界", u"ü"};
  for (uint64_t i = 0; i < count; i++) {
    doc.set_client_id(1 + rng() % 64);
    (void)text.insert(rng() % (text.length() + 1), kPieces[rng() % 5]);
  }
  for (uint64_t end = text.length(); end > 1;) {
    const uint64_t n = std::min<uint64_t>(end - 1, 49);
    (void)text.remove_range(end - 1 - n, n);
    end -= n + 1;
  }
  return *doc.encode_state_as_update();
}

UpdateBytes make_sessions_tombstone_update(uint64_t count, uint64_t seed) {
  // Nothing is deleted until the end: typing next to a stretch of tombstones
  // passes the stretch on every keystroke (yjs' minimizeAttributeChanges does
  // too), which would make this quadratic.
  static constexpr uint64_t kSessionUnits = 1000;
  Doc doc(DocOptions{.client_id = 1, .guid = {}, .gc = true});
  TextRef text = doc.get_text("text");
  std::mt19937_64 rng(seed);
  static constexpr std::u16string_view kChars[] = {u"a", u"é", u"世", u"x", u"ü"};
  for (uint64_t i = 0; i < count; i += kSessionUnits) {
    doc.set_client_id(1000 + i / kSessionUnits);
    const uint64_t at = rng() % (text.length() + 1);
    // One transaction a session: each costs a pass over every client's
    // clock (as in yjs), and there are count / 1000 clients.
    doc.transact([&](Transaction&) {
      for (uint64_t j = 0; j < kSessionUnits && i + j < count; j++) (void)text.insert(at, kChars[rng() % 5]);
    });
  }
  doc.set_client_id(999);
  if (text.length() > kSessionUnits) (void)text.remove_range(kSessionUnits, text.length() - kSessionUnits);
  return *doc.encode_state_as_update();
}

}  // namespace weft::testdata
