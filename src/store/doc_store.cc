#include "store/doc_store.h"

#include <memory>

namespace weft {

std::future<Result<Seq>> DocStore::append_future(std::string_view room, Bytes update) {
  auto promise = std::make_shared<std::promise<Result<Seq>>>();
  std::future<Result<Seq>> future = promise->get_future();
  append(room, std::move(update), [promise](Result<Seq> r) { promise->set_value(std::move(r)); });
  return future;
}

Result<Seq> DocStore::append_sync(std::string_view room, Bytes update) {
  if (on_writer_thread())
    return Status(ErrorCode::kInvalidArgument, "append_sync called from a store callback");
  return append_future(room, std::move(update)).get();
}

Status DocStore::compact_sync(std::string_view room, Bytes snapshot, Seq up_to_seq) {
  if (on_writer_thread())
    return Status(ErrorCode::kInvalidArgument, "compact_sync called from a store callback");
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  compact(room, std::move(snapshot), up_to_seq, [promise](Status s) { promise->set_value(std::move(s)); });
  return future.get();
}

}  // namespace weft
