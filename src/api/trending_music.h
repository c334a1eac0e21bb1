// GET /v1/tiktok/trending/music (docs/api.md §1-§3, §6): the paid endpoint.
//
// Order (gateway/gateway.h): Admit (401 / 403 / 429) -> parse the query (400) ->
// Reserve (402) -> render from the current snapshot -> Commit (durable charge) -> respond.
// A request that fails costs nothing: after Reserve, a failure releases the reservation
// (Commit releases it itself when the ledger write fails, and the answer is a 500).
//
// Every authenticated response carries RateLimit-Policy, RateLimit and
// X-Credits-Remaining; a 429 also carries Retry-After.
#pragma once

#include <memory>
#include <string_view>

#include "api/keyed_response.h"
#include "api/snapshot.h"
#include "gateway/gateway.h"
#include "http/handler.h"

namespace soundtrend::api {

inline constexpr std::string_view kTrendingMusicPath = "/v1/tiktok/trending/music";
inline constexpr int64_t kTrendingMusicCost = 2;

// `gateway` and `snapshots` must outlive the handler. The handler may respond from the
// thread that completes the gateway's Commit.
http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway,
                                       const SnapshotHolder& snapshots);

}  // namespace soundtrend::api
