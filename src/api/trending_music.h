// GET /v1/tiktok/trending/music (docs/api.md §1-§3, §6): the paid endpoint.
//
// Order (gateway/gateway.h): Admit (401 / 403 / 429) -> parse the query and render from the
// current snapshot (400) -> Reserve (402) -> Commit (durable charge) -> respond.
// A request that fails costs nothing: after Reserve, a failure releases the reservation
// (Commit releases it itself when the ledger write fails, and the answer is a 500).
//
// Every authenticated response carries RateLimit-Policy, RateLimit and
// X-Credits-Remaining; a 429 also carries Retry-After.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "api/keyed_response.h"
#include "api/snapshot.h"
#include "api/sound_detail.h"
#include "gateway/gateway.h"
#include "http/handler.h"

namespace soundtrend::api {

inline constexpr std::string_view kTrendingMusicPath = "/v1/tiktok/trending/music";
inline constexpr int64_t kTrendingMusicCost = 2;

// The endpoint's answer without the gateway's part: parse (400), resolve as_of against the
// snapshot (400 with the range, docs/api.md §9), the body for the query's rank_type (docs/api.md
// §8). gzip_accepted: the body may be gzip (then *gzipped is set).
DetailAnswer AnswerTrendingMusic(const ServingSnapshot& snapshot, std::string_view raw_query,
                                 std::string_view request_id, std::string& body,
                                 bool gzip_accepted = false, bool* gzipped = nullptr);

// A charged endpoint's answer: DetailAnswer{200} with the body (and any header of its own)
// written into `ok`, or an error.
using EndpointAnswer =
    std::function<DetailAnswer(const http::Request& request, http::Response& ok)>;

// `gateway` and `snapshots` must outlive the handler. The handler may respond from the
// thread that completes the gateway's Commit.
http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway,
                                       const SnapshotHolder& snapshots);
// GET /v1/tiktok/trending/music/detail (api/sound_detail.h), the same order of checks.
http::Handler MakeSoundDetailHandler(std::shared_ptr<gateway::Gateway> gateway,
                                     const SnapshotHolder& snapshots);

}  // namespace soundtrend::api
