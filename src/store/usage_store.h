// UsageStore: per-key, per-day request counters and the latest requests of every key, for
// the customer's overview in the dashboard (issue 14). Every serving node records what it
// answered and adds it here, so that the figures are the whole cluster's.
//
// Contracts:
// - Add is one transaction: the counts of each (key_id, day) are ADDED to the stored ones
//   (two nodes adding theirs give the sum; the same (key, day) twice in one call too), and
//   the requests are stored, after which each key touched keeps only its `keep_recent`
//   newest (by time, then request id). Either all of a call is stored or nothing.
// - Daily returns the stored counts of `key_id` for days in [from, to], day ascending; days
//   without a count are absent.
// - Recent returns up to `limit` of the key's stored requests, newest first (time, then
//   request id, both descending).
// - A second store object on the same location sees the first one's writes at once.
// Implementations are safe to call from one thread at a time unless they say otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/day.h"
#include "common/status.h"

namespace soundtrend::store {

struct DailyUsage {
  std::string key_id;
  Day day = 0;
  int64_t ok = 0;                   // 2xx
  int64_t payment_required = 0;     // 402
  int64_t rate_limited = 0;         // 429
  int64_t other_client_errors = 0;  // any other 4xx
  int64_t server_errors = 0;        // 5xx
  int64_t credits = 0;              // credits charged
  friend bool operator==(const DailyUsage&, const DailyUsage&) = default;
};

struct RequestRecord {
  std::string key_id;
  int64_t time_micros = 0;
  std::string endpoint;
  int status = 0;
  int64_t cost = 0;  // credits charged (0 unless charged)
  std::string request_id;
  friend bool operator==(const RequestRecord&, const RequestRecord&) = default;
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;
  virtual Status Add(std::span<const DailyUsage> counts, std::span<const RequestRecord> requests,
                     size_t keep_recent) = 0;
  virtual Result<std::vector<DailyUsage>> Daily(std::string_view key_id, Day from, Day to) = 0;
  virtual Result<std::vector<RequestRecord>> Recent(std::string_view key_id, size_t limit) = 0;
};

}  // namespace soundtrend::store
