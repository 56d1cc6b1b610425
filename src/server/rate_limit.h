// A token bucket for per-connection message rates: `burst` tokens at
// most, refilled at `rate` per second; each message takes one. Time comes
// in as an argument so tests need no clock. Not thread-safe: one per
// connection, used on that connection's strand.
#pragma once

#include <algorithm>
#include <chrono>

namespace weft::server {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // rate <= 0: unlimited (take() always succeeds). Starts full.
  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

  // Takes one token; false when the bucket is empty (the message is over the limit).
  bool take(Clock::time_point now) {
    if (rate_ <= 0) return true;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    if (elapsed > 0) {
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace weft::server
