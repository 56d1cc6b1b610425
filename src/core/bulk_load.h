// The end of a load into an empty document (apply_update.cc): the garbage
// collection and block merging that the transaction cleanup would do with
// one walk per delete range and one per new block, done in one walk over
// every client's blocks.
#pragma once

namespace weft {

class Transaction;

// Collects every deleted block's content (with `gc`) and merges every pair of
// neighbouring blocks that can merge, as Doc::cleanup_transaction's
// try_gc_delete_set, try_merge_delete_set and new-block merge pass would for
// a transaction that created every block of the store. The caller then sets
// txn.bulk_loaded so that the cleanup skips those walks.
//
// Requires: every block of the store was integrated by this transaction, and
// nothing between the end of this transaction's changes and its cleanup can
// look at blocks or change them (no observers, no after-transaction handlers,
// no formatted text whose cleanup would run first).
void collect_and_merge_loaded(Transaction& txn, bool gc);

}  // namespace weft
