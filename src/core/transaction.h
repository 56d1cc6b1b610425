// Transaction: the unit of change (yjs src/utils/Transaction.js). Changes made
// inside Doc::transact are collected here; when the outermost transaction
// ends, observers run, deleted content is garbage-collected, neighbouring
// blocks are merged and the update events fire.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "encoding/id.h"
#include "encoding/wire.h"

namespace weft {

class Doc;
class Branch;
struct Event;

class Transaction {
 public:
  Transaction(Doc& doc, std::string origin, bool local);

  Doc& doc;
  std::string origin;  // empty = none; providers put their own tag here
  bool local;          // false while applying a remote update
  StateVector before_state;
  StateVector after_state;
  DeleteSet delete_set;
  // Changed types and the keys changed in their map part (nullopt = the list part).
  std::map<Branch*, std::set<std::optional<std::string>>> changed;
  // Deep observer bookkeeping: events per ancestor type.
  std::map<Branch*, std::vector<Event*>> changed_parent_types;
  // Blocks split or touched during the transaction, merged at cleanup.
  std::vector<ID> merge_structs;
  bool need_formatting_cleanup = false;
  // Subdocuments (guid) added / removed / loaded in this transaction.
  std::vector<std::string> subdocs_added, subdocs_removed, subdocs_loaded;

  void add_changed_type(Branch* type, const std::optional<std::string>& parent_sub);
};

}  // namespace weft
