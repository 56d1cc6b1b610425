#include "weft/doc.h"

#include <random>

#include "core/branch.h"
#include "core/struct_store.h"
#include "core/transaction.h"
#include "core/write_update.h"

namespace weft {

uint64_t generate_client_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng() & 0xffffffffu;
}

namespace {
std::string generate_guid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const char* hex = "0123456789abcdef";
  std::string s = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (char& c : s) {
    if (c == 'x') c = hex[rng() & 15];
    if (c == 'y') c = hex[8 + (rng() & 3)];
  }
  return s;
}
}  // namespace

Doc::Doc(DocOptions options)
    : client_id_(options.client_id != 0 ? options.client_id : generate_client_id()),
      guid_(options.guid.empty() ? generate_guid() : std::move(options.guid)),
      gc_(options.gc),
      store_(std::make_unique<StructStore>()),
      // Always there except while a transaction is cleaned up (Doc::transact).
      spare_txn_(std::make_unique<Transaction>(*this, std::string(), true)) {}

Doc::Doc(uint64_t client_id, bool gc)
    : Doc([&] {
        DocOptions o;
        o.client_id = client_id;
        o.gc = gc;
        return o;
      }()) {}

Doc::~Doc() {
  // Items own nested branches; roots go first so nothing points into freed items.
  roots_.clear();
  store_.reset();
}

Branch* Doc::get_or_create_root(const std::string& name, std::optional<TypeRef> kind) {
  auto& slot = roots_[name];
  if (!slot) slot = std::make_unique<Branch>(this, kind, name);
  if (kind && !slot->kind) slot->kind = kind;
  return slot.get();
}

Branch* Doc::root(const std::string& name) const {
  auto it = roots_.find(name);
  return it == roots_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Doc::root_names() const {
  std::vector<std::string> names;
  for (const auto& [name, branch] : roots_) names.push_back(name);
  return names;
}

TextRef Doc::get_text(const std::string& name) { return TextRef(get_or_create_root(name, TypeRef::kText)); }
ArrayRef Doc::get_array(const std::string& name) {
  return ArrayRef(get_or_create_root(name, TypeRef::kArray));
}
MapRef Doc::get_map(const std::string& name) { return MapRef(get_or_create_root(name, TypeRef::kMap)); }
XmlFragmentRef Doc::get_xml_fragment(const std::string& name) {
  return XmlFragmentRef(get_or_create_root(name, TypeRef::kXmlFragment));
}

Result<UpdateBytes> Doc::encode_state_as_update(std::span<const uint8_t> state_vector,
                                                UpdateFormat format) const {
  StateVector target;
  static const uint8_t kEmptySv[] = {0};
  if (state_vector.empty()) state_vector = kEmptySv;
  WEFT_ASSIGN_OR_RETURN(target, decode_state_vector(state_vector));
  auto enc = make_update_encoder(format);
  if (format == UpdateFormat::kV1 && target.empty()) enc->rest().reserve(estimate_v1_size(*store_));
  write_state_as_update(*enc, *store_, target);
  UpdateBytes own = enc->finish();
  if (!store_->pending_ds && !store_->pending_structs) return own;
  // Pending data is part of the state (yjs encodeStateAsUpdateV2).
  std::vector<UpdateBytes> parts;
  parts.push_back(std::move(own));
  if (store_->pending_ds) parts.push_back(*store_->pending_ds);
  if (store_->pending_structs) {
    WEFT_ASSIGN_OR_RETURN(auto diff,
                          diff_update(store_->pending_structs->update, state_vector, UpdateFormat::kV2));
    parts.push_back(std::move(diff));
  }
  if (format == UpdateFormat::kV1) {
    for (size_t i = 1; i < parts.size(); i++) {
      WEFT_ASSIGN_OR_RETURN(parts[i], convert_update(parts[i], UpdateFormat::kV2, UpdateFormat::kV1));
    }
  }
  std::vector<std::span<const uint8_t>> spans(parts.begin(), parts.end());
  return merge_updates(spans, format);
}

UpdateBytes Doc::encode_state_vector() const { return weft::encode_state_vector(store_->state_vector()); }

bool Doc::has_pending() const {
  return store_->pending_structs.has_value() || store_->pending_ds.has_value();
}

uint64_t Doc::on_update(UpdateHandler handler) {
  uint64_t id = next_subscription_id();
  update_handlers_[id] = std::move(handler);
  return id;
}

uint64_t Doc::on_update_v2(UpdateHandler handler) {
  uint64_t id = next_subscription_id();
  update_v2_handlers_[id] = std::move(handler);
  return id;
}

uint64_t Doc::on_after_transaction(TransactionHandler handler) {
  uint64_t id = next_subscription_id();
  after_transaction_handlers_[id] = std::move(handler);
  return id;
}

void Doc::unobserve(uint64_t subscription) {
  update_handlers_.erase(subscription);
  update_v2_handlers_.erase(subscription);
  after_transaction_handlers_.erase(subscription);
}

}  // namespace weft
