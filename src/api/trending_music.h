// GET /v1/tiktok/trending/music (docs/api.md §1-§3, §6): the paid endpoint, 2 credits per 200.
//
// The handlers are plain functions: parse the query (400), resolve as_of (400 with the
// range, docs/api.md §9) and answer from the current snapshot. Everything about keys,
// limits, credits and their headers is the paid-endpoint wrapper's (api/paid_endpoint.h):
// Admit (401 / 403 / 429) -> the handler -> Reserve (402) -> Commit (durable charge) -> respond.
// A request that fails costs nothing.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/paid_endpoint.h"
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

// The endpoints for MakePaidHandler (cost 2 each). `snapshots` must outlive them.
PaidEndpoint TrendingMusicEndpoint(const SnapshotHolder& snapshots);
// GET /v1/tiktok/trending/music/detail (api/sound_detail.h).
PaidEndpoint SoundDetailEndpoint(const SnapshotHolder& snapshots);

// MakePaidHandler(XEndpoint(snapshots), {gateway, outcomes}). `snapshots` and `outcomes`
// (optional) must outlive the handler. The handler may respond from the thread that
// completes the gateway's Commit.
http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway,
                                       const SnapshotHolder& snapshots,
                                       OutcomeListener* outcomes = nullptr);
http::Handler MakeSoundDetailHandler(std::shared_ptr<gateway::Gateway> gateway,
                                     const SnapshotHolder& snapshots,
                                     OutcomeListener* outcomes = nullptr);

}  // namespace soundtrend::api
