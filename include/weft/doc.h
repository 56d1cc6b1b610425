// Doc: a Yjs-compatible document (yjs src/utils/Doc.js).
//
// A Doc is single-threaded: call it from one thread at a time (the server
// keeps each room on one strand). Every change runs in a transaction;
// methods of the type handles open one implicitly when none is active, and
// Doc::transact groups several changes into one (one update event).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "weft/status.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft {

class StructStore;
class Branch;
class Transaction;

// A non-owning reference to a callable taking Transaction&: what
// Doc::transact needs, since it calls fn before returning. Unlike
// std::function it never copies the callable to the heap.
class TransactionFn {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TransactionFn> &&
                                                    std::is_invocable_v<F&, Transaction&>>>
  TransactionFn(F&& fn)  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : fn_(const_cast<void*>(static_cast<const void*>(std::addressof(fn)))),
        call_([](void* f, Transaction& txn) { (*static_cast<std::remove_reference_t<F>*>(f))(txn); }) {}
  void operator()(Transaction& txn) const { call_(fn_, txn); }

 private:
  void* fn_;
  void (*call_)(void*, Transaction&);
};

struct DocOptions {
  uint64_t client_id = 0;  // 0: a random 32-bit id, as Yjs generates
  std::string guid;        // empty: a random guid
  bool gc = true;          // garbage-collect deleted content (off for snapshots / time travel)
};

class Doc {
 public:
  explicit Doc(DocOptions options = {});
  // A doc with a fixed client id (tests, tools).
  explicit Doc(uint64_t client_id, bool gc = true);
  ~Doc();
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;

  uint64_t client_id() const { return client_id_; }
  void set_client_id(uint64_t id) { client_id_ = id; }
  const std::string& guid() const { return guid_; }
  bool gc_enabled() const { return gc_; }

  // Root types, created on first use. Asking for a root under a different
  // kind than it was declared with is a programming error (Yjs throws).
  TextRef get_text(const std::string& name);
  ArrayRef get_array(const std::string& name);
  MapRef get_map(const std::string& name);
  XmlFragmentRef get_xml_fragment(const std::string& name);
  // Names of all root types, including those only seen in updates.
  std::vector<std::string> root_names() const;
  // A root as it is, declared or not (nullptr when unknown).
  Branch* root(const std::string& name) const;

  // Runs fn in a transaction (joining the current one if any).
  void transact(TransactionFn fn, const std::string& origin);
  // The same without an origin (no std::string made per call).
  void transact(TransactionFn fn) { transact(fn, kNoOrigin); }

  // Y.applyUpdate. The update is validated completely before anything
  // changes; a malformed update returns an error and leaves the doc as it was.
  Status apply_update(std::span<const uint8_t> update, UpdateFormat format = UpdateFormat::kV1,
                      const std::string& origin = {});
  // Y.encodeStateAsUpdate(doc, sv): empty sv means everything.
  Result<UpdateBytes> encode_state_as_update(std::span<const uint8_t> state_vector = {},
                                             UpdateFormat format = UpdateFormat::kV1) const;
  UpdateBytes encode_state_vector() const;
  // True while updates wait for missing dependencies (structs or deletes).
  bool has_pending() const;

  // Doc-level update events: the transaction's update (v1 / v2) after each
  // transaction that changed something.
  using UpdateHandler = std::function<void(const UpdateBytes& update, const Transaction& txn)>;
  uint64_t on_update(UpdateHandler handler);
  uint64_t on_update_v2(UpdateHandler handler);
  using TransactionHandler = std::function<void(Transaction& txn)>;
  uint64_t on_after_transaction(TransactionHandler handler);
  void unobserve(uint64_t subscription);

  // The document as one canonical JSON object keyed by root name (keys
  // sorted); `types` fixes the kind of roots, others are inferred.
  std::string to_canonical_json(const std::map<std::string, TypeRef>& types = {}) const;

  // Internal: used by the core's own modules.
  StructStore& store() { return *store_; }
  const StructStore& store() const { return *store_; }
  Transaction* current_transaction() { return txn_; }
  Branch* get_or_create_root(const std::string& name, std::optional<TypeRef> kind);
  uint64_t next_subscription_id() { return ++last_subscription_; }

 private:
  friend class TransactionRunner;
  void cleanup_transaction(Transaction& txn);
  // apply_update of a huge state into an empty document, part by part (core/load_in_parts.cc).
  bool can_load_in_parts(size_t update_bytes) const;
  Status apply_in_parts(std::span<const uint8_t> update, UpdateFormat format, const std::string& origin);
  // Back to no blocks (roots named in `roots_before` kept, emptied; others removed).
  void reset_to_empty(const std::vector<std::string>& roots_before);

  static inline const std::string kNoOrigin;
  uint64_t client_id_;
  std::string guid_;
  bool gc_;
  std::unique_ptr<StructStore> store_;
  std::map<std::string, std::unique_ptr<Branch>> roots_;
  Transaction* txn_ = nullptr;
  std::vector<std::unique_ptr<Transaction>> cleanups_;
  std::unique_ptr<Transaction> spare_txn_;  // reused by the next transaction
  std::map<uint64_t, UpdateHandler> update_handlers_;
  std::map<uint64_t, UpdateHandler> update_v2_handlers_;
  std::map<uint64_t, TransactionHandler> after_transaction_handlers_;
  uint64_t last_subscription_ = 0;
  bool loading_in_parts_ = false;
};

// What handlers may read of a transaction: its origin (empty = none) and
// whether it was local (false while applying a remote update).
const std::string& transaction_origin(const Transaction& txn);
bool transaction_is_local(const Transaction& txn);

// A 32-bit random client id, as Yjs's random.uint32().
uint64_t generate_client_id();

}  // namespace weft
