#include "http/metrics.h"

#include <fmt/format.h>

#include "common/process_counters.h"

namespace soundtrend::http {

Metrics::Metrics(const Clock& clock) : clock_(clock) { SetRoutes({}); }

void Metrics::SetRoutes(std::vector<std::string> routes) {
  labels_ = std::move(routes);
  labels_.push_back("unmatched");
  counters_ = std::make_unique<RouteCounters[]>(labels_.size());
}

void Metrics::Record(size_t route_index, int status, int64_t latency_nanos) {
  if (route_index >= labels_.size()) route_index = labels_.size() - 1;
  RouteCounters& c = counters_[route_index];
  size_t slot = kStatuses.size();
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) {
      slot = i;
      break;
    }
  }
  c.by_status[slot].fetch_add(1, std::memory_order_relaxed);
  const double seconds = static_cast<double>(latency_nanos) / 1e9;
  size_t bucket = kLatencyBuckets.size();
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      bucket = i;
      break;
    }
  }
  c.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  c.latency_sum_nanos.fetch_add(static_cast<uint64_t>(latency_nanos > 0 ? latency_nanos : 0),
                                std::memory_order_relaxed);
}

MetricsTotals Metrics::Totals() const {
  MetricsTotals t;
  for (size_t r = 0; r < labels_.size(); ++r) {
    const RouteCounters& c = counters_[r];
    for (size_t s = 0; s <= kStatuses.size(); ++s) {
      const uint64_t v = c.by_status[s].load(std::memory_order_relaxed);
      t.requests += v;
      if (s == kStatuses.size()) continue;  // "other": no class known
      if (kStatuses[s] >= 500) {
        t.server_errors += v;
      } else if (kStatuses[s] >= 400) {
        t.client_errors += v;
      }
    }
    for (size_t b = 0; b < t.buckets.size(); ++b) {
      t.buckets[b] += c.buckets[b].load(std::memory_order_relaxed);
    }
    t.latency_sum_nanos += c.latency_sum_nanos.load(std::memory_order_relaxed);
  }
  return t;
}

void Metrics::SetSnapshotBuiltMicros(int64_t micros) {
  snapshot_built_micros_.store(micros, std::memory_order_relaxed);
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(4096);
  out += "# HELP soundtrend_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE soundtrend_http_requests_total counter\n";
  for (size_t r = 0; r < labels_.size(); ++r) {
    const RouteCounters& c = counters_[r];
    for (size_t s = 0; s <= kStatuses.size(); ++s) {
      const uint64_t v = c.by_status[s].load(std::memory_order_relaxed);
      if (v == 0) continue;
      const std::string status = s < kStatuses.size() ? std::to_string(kStatuses[s]) : "other";
      out += fmt::format("soundtrend_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                         labels_[r], status, v);
    }
  }
  out +=
      "# HELP soundtrend_http_request_duration_seconds Time from request read to response "
      "written.\n";
  out += "# TYPE soundtrend_http_request_duration_seconds histogram\n";
  for (size_t r = 0; r < labels_.size(); ++r) {
    const RouteCounters& c = counters_[r];
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kLatencyBuckets.size(); ++b)
      cumulative += c.buckets[b].load(std::memory_order_relaxed);
    if (cumulative == 0) continue;
    uint64_t running = 0;
    for (size_t b = 0; b < kLatencyBuckets.size(); ++b) {
      running += c.buckets[b].load(std::memory_order_relaxed);
      out += fmt::format(
          "soundtrend_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
          labels_[r], kLatencyBuckets[b], running);
    }
    out += fmt::format(
        "soundtrend_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
        labels_[r], cumulative);
    out +=
        fmt::format("soundtrend_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", labels_[r],
                    static_cast<double>(c.latency_sum_nanos.load(std::memory_order_relaxed)) / 1e9);
    out += fmt::format("soundtrend_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       labels_[r], cumulative);
  }
  out +=
      "# HELP soundtrend_accept_errors_total Failed accept() calls (EMFILE/ENFILE pause "
      "accepting).\n";
  out += "# TYPE soundtrend_accept_errors_total counter\n";
  out += fmt::format("soundtrend_accept_errors_total {}\n", accept_errors());
  out +=
      "# HELP soundtrend_body_budget_refusals_total Requests refused with 503: the budget for "
      "buffered request bodies was spent.\n";
  out += "# TYPE soundtrend_body_budget_refusals_total counter\n";
  out += fmt::format("soundtrend_body_budget_refusals_total {}\n", body_budget_refusals());
  out += "# HELP soundtrend_buffered_body_bytes Request body bytes held in memory now.\n";
  out += "# TYPE soundtrend_buffered_body_bytes gauge\n";
  out += fmt::format("soundtrend_buffered_body_bytes {}\n",
                     buffered_body_bytes_.load(std::memory_order_relaxed));
  out += "# HELP soundtrend_open_connections Client connections open now.\n";
  out += "# TYPE soundtrend_open_connections gauge\n";
  out += fmt::format("soundtrend_open_connections {}\n", open_connections());
  const int64_t built = snapshot_built_micros_.load(std::memory_order_relaxed);
  out +=
      "# HELP soundtrend_snapshot_age_seconds Seconds since the served chart snapshot was "
      "built (-1 when none).\n";
  out += "# TYPE soundtrend_snapshot_age_seconds gauge\n";
  out += fmt::format("soundtrend_snapshot_age_seconds {}\n",
                     built == 0 ? -1.0 : static_cast<double>(clock_.NowMicros() - built) / 1e6);
  out += RenderProcessCounters();  // e.g. soundtrend_pg_round_trips_total
  for (const auto& append : expositions_) append(out);
  return out;
}

}  // namespace soundtrend::http
