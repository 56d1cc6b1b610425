// Observer calls at the end of a transaction (yjs YEvent, AbstractType._callObserver).
#pragma once

namespace weft {

class Branch;
class Transaction;

// True when the type or one of its ancestors has an observer or deep observer.
bool has_listeners(const Branch* type);

// Builds an Event per changed type that has observers (or deep observers
// above it) and calls them: type observers first, then deep observers with
// the events of their subtree sorted by path length.
void call_observers(Transaction& txn);

// After a transaction that inserted formatting markers, removes markers
// made redundant (yjs cleanupYTextAfterTransaction); runs for declared Y.Text
// and XmlText types only, as in Yjs.
void cleanup_text_after_transaction(Transaction& txn);

}  // namespace weft
