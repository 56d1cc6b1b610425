// Errors as values. Every function that can fail on input returns a Status or
// a Result<T>; nothing in the encoding and core layers throws past its module.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace weft {

enum class ErrorCode {
  kOk = 0,
  kTruncated,        // input ended inside a value
  kOutOfRange,       // a number beyond what the format allows (varUint > 2^53-1, ...)
  kMalformed,        // bytes that no valid encoder produces (unknown tag, bad UTF-8, ...)
  kUnsupported,      // a valid but unsupported feature (yrs weak links, ...)
  kInvalidArgument,  // a caller error (index out of bounds, wrong type, ...)
  kIo,               // file or socket failure
};

const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "malformed: unknown content ref 12"
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-ok Status.
//   Result<uint64_t> r = dec.read_var_uint();
//   if (!r) return r.status();
//   use(*r);
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }
  Result(ErrorCode code, std::string message) : v_(Status(code, std::move(message))) {}

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return is_ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

inline const Status& to_status(const Status& s) { return s; }
template <typename T>
Status to_status(const Result<T>& r) {
  return r.status();
}

}  // namespace weft

#define WEFT_CONCAT_INNER_(a, b) a##b
#define WEFT_CONCAT_(a, b) WEFT_CONCAT_INNER_(a, b)

// Returns the Status of `expr` (a Status or Result) from the enclosing function if it failed.
#define WEFT_RETURN_IF_ERROR(expr)                            \
  do {                                                        \
    const ::weft::Status weft_s_ = ::weft::to_status((expr)); \
    if (!weft_s_.is_ok()) return weft_s_;                     \
  } while (0)

// `WEFT_ASSIGN_OR_RETURN(auto x, f());` declares x from a Result or returns its Status.
#define WEFT_ASSIGN_OR_RETURN(lhs, expr)                                                 \
  auto WEFT_CONCAT_(weft_r_, __LINE__) = (expr);                                         \
  if (!WEFT_CONCAT_(weft_r_, __LINE__)) return WEFT_CONCAT_(weft_r_, __LINE__).status(); \
  lhs = std::move(*WEFT_CONCAT_(weft_r_, __LINE__))
