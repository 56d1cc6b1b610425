// Decoded updates: structs as they travel, delete sets and state vectors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "encoding/content.h"
#include "encoding/id.h"
#include "encoding/update_codec.h"
#include "weft/status.h"

namespace weft {

enum class StructKind : uint8_t { kItem, kGC, kSkip };

// Clocks are JS numbers: a struct or delete range may end at most here.
inline constexpr uint64_t kMaxClockEnd = uint64_t{1} << 53;

// The parent of an item as written on the wire: absent (copied from the
// origin on integration), a root type name, or the ID of the item whose
// content is the parent type.
using WireParent = std::variant<std::monostate, std::string, ID>;

struct WireStruct {
  StructKind kind = StructKind::kItem;
  ID id;
  uint64_t length = 0;
  // Items only:
  std::optional<ID> origin;
  std::optional<ID> right_origin;
  WireParent parent;
  std::optional<std::string> parent_sub;  // read only when the parent is on the wire
  Content content;

  ID last_id() const { return ID{id.client, id.clock + length - 1}; }
  // Writes the struct from `offset` clocks on (Item.write / GC.write / Skip.write).
  void write(UpdateEncoder& enc, uint64_t offset) const;
};

// Reads one struct's body after its info byte, at `clock` of `client`.
// Errors (unknown refs, bad content, clock + length > 2^53) are recorded in
// `dec` (check dec.ok()).
void read_wire_struct(UpdateDecoder& dec, uint8_t info, ID id, WireStruct& out);
// Reads / writes content of the given ref (Item.js readItemContent / Content*.write).
Content read_content(UpdateDecoder& dec, uint8_t info);
void write_content(UpdateEncoder& enc, const Content& c, uint64_t offset);
// What `new ContentDoc(new Doc({guid, ...opts}))` keeps: {gc: false} if gc is
// falsy, {autoLoad: true} if truthy, {meta} if not null, in that order. Fails
// where JS throws (null/undefined opts) and for a `guid` key in opts, which JS
// would let override the guid.
Result<Any> normalize_doc_opts(const Any& opts);

struct DeleteRange {
  uint64_t clock = 0;
  uint64_t len = 0;
  uint64_t end() const { return clock + len; }
};

// Appends [clock, clock + len) to `ranges`, extending the last range when it
// ends at `clock` (sort_and_merge would join them anyway): a client's N
// neighbouring deleted blocks keep one range, not N (a load of a long-edited
// state brings millions).
inline void append_range(std::vector<DeleteRange>& ranges, uint64_t clock, uint64_t len) {
  if (!ranges.empty() && ranges.back().end() == clock) {
    ranges.back().len += len;
  } else {
    ranges.push_back({clock, len});
  }
}

// Deleted clock ranges per client. Ranges stay in the order added until
// sort_and_merge(); the encoder writes clients in descending id order.
class DeleteSet {
 public:
  std::map<uint64_t, std::vector<DeleteRange>>& clients() { return clients_; }
  const std::map<uint64_t, std::vector<DeleteRange>>& clients() const { return clients_; }
  bool empty() const { return clients_.empty(); }

  void add(uint64_t client, uint64_t clock, uint64_t len);
  // Sorts each client's ranges and joins overlapping or touching ones.
  void sort_and_merge();
  // Requires sort_and_merge(); binary search.
  bool contains(ID id) const;
  // Union (ranges appended, then sorted and merged).
  void merge(const DeleteSet& other);

  void write(UpdateEncoder& enc) const;
  // Reads a delete set (a range of length 0 in v2 is an error).
  static DeleteSet read(UpdateDecoder& dec);

  bool operator==(const DeleteSet&) const;

 private:
  std::map<uint64_t, std::vector<DeleteRange>> clients_;
};

// Walks the delete set at `dec`'s position (v1 or v2; a concrete decoder
// or the UpdateDecoder interface) and checks every range against 2^53: the
// one reader behind DeleteSet::read, the merge's and apply_update's. For each
// client with ranges (JS adds no entry for one without): on_client(client,
// capacity) with the declared count capped by the bytes left (so a forged
// count reserves nothing big), on_range(clock, len) per range, then
// on_client_end() (also when the client's ranges end in an error). Stops at
// the first error: the caller checks dec.ok().
template <typename Dec, typename OnClient, typename OnRange, typename OnClientEnd>
void read_delete_set_ranges(Dec& dec, OnClient&& on_client, OnRange&& on_range, OnClientEnd&& on_client_end) {
  const uint64_t num_clients = dec.rest().read_var_uint();
  for (uint64_t i = 0; i < num_clients && dec.ok(); i++) {
    dec.reset_ds_cur_val();
    const uint64_t client = dec.rest().read_var_uint();
    const uint64_t n = dec.rest().read_var_uint();
    if (!dec.ok() || n == 0) continue;
    on_client(client, static_cast<size_t>(std::min<uint64_t>(n, dec.rest().remaining())));
    for (uint64_t k = 0; k < n && dec.ok(); k++) {
      const uint64_t clock = dec.read_ds_clock();
      const uint64_t len = dec.read_ds_len();
      if (!dec.ok()) break;
      if (clock > kMaxClockEnd || len > kMaxClockEnd - clock) {
        dec.fail(ErrorCode::kOutOfRange, "delete range beyond 2^53");
        break;
      }
      on_range(clock, len);
    }
    on_client_end();
  }
}

// client -> next expected clock.
using StateVector = std::map<uint64_t, uint64_t>;
std::vector<uint8_t> encode_state_vector(const StateVector& sv);
Result<StateVector> decode_state_vector(std::span<const uint8_t> bytes);

// A whole update decoded (Y.decodeUpdate): Skips included, in wire order.
struct DecodedUpdate {
  std::vector<WireStruct> structs;
  DeleteSet delete_set;
};
Result<DecodedUpdate> decode_update(std::span<const uint8_t> update, UpdateFormat format);
// A check JS only makes by throwing half-way through applying: an item's
// origin, right origin or parent of its own client must come before it;
// and no struct may be empty (length 0), which JS never writes.
Status validate_struct_refs(const std::vector<WireStruct>& structs);

// Upper bound on structs one update may declare relative to its size; v2
// run-length columns can describe structs without consuming bytes, and this
// keeps a hostile count from spinning or allocating (see docs/formats.md).
inline uint64_t max_structs_for_input(size_t input_bytes) { return 4096 + 64 * uint64_t(input_bytes); }

}  // namespace weft
