// GET /v1/tiktok/trending/music/detail (docs/api.md §7): one sound's detail, 2 credits per 200.
//
// The answer is a function of the query and the serving snapshot: parse (400), resolve
// as_of (400 with the available range), look the sound up (404 "sound not found"), then
// the envelope around the snapshot's cached `data` object. Keys, limits and credits are
// the gateway's, in the same order as the list endpoint (see trending_music.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/snapshot.h"
#include "engine/chart_set.h"

namespace soundtrend::api {

inline constexpr std::string_view kSoundDetailPath = "/v1/tiktok/trending/music/detail";
inline constexpr int64_t kSoundDetailCost = 2;
inline constexpr std::string_view kMsgSoundNotFound = "sound not found";

// What a request comes to: 200 (the whole envelope appended to `body`), or 400 / 404 with
// the error envelope's message.
struct DetailAnswer {
  int status = 200;
  std::string message;
};
DetailAnswer AnswerSoundDetail(const ServingSnapshot& snapshot, std::string_view raw_query,
                               std::string_view request_id, std::string& body);

// Appends the docs/api.md §7 `data` object of `detail` for `region` (pure; thread-safe).
void AppendSoundDetailData(std::string& out, const engine::SoundDetail& detail, RegionId region);

}  // namespace soundtrend::api
