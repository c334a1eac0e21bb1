// GET /v1/tiktok/trending/music (SPEC §1-§3, §6): the paid endpoint.
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

#include "api/snapshot.h"
#include "gateway/gateway.h"
#include "http/handler.h"

namespace soundtrend::api {

inline constexpr std::string_view kTrendingMusicPath = "/v1/tiktok/trending/music";
inline constexpr int64_t kTrendingMusicCost = 2;

// The SPEC §2 messages.
inline constexpr std::string_view kMsgKeyNull = "apiKey is null";
inline constexpr std::string_view kMsgKeyInvalid = "apiKey is invalid";
inline constexpr std::string_view kMsgQuota = "apiKey quota is not enough";
inline constexpr std::string_view kMsgForbidden = "apiKey is not allowed to access this endpoint";
inline constexpr std::string_view kMsgQps = "qps limit exceeded";

// `gateway` and `snapshots` must outlive the handler. The handler may respond from the
// thread that completes the gateway's Commit.
http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway,
                                       const SnapshotHolder& snapshots);

// The headers an authenticated response carries (RateLimit-Policy, RateLimit,
// X-Credits-Remaining when there is an account, Retry-After for kRateLimited). Exposed for
// the other paid/keyed endpoints.
void AddGatewayHeaders(const gateway::Admission& admission, gateway::Gateway& gateway,
                       http::Response& response);

}  // namespace soundtrend::api
