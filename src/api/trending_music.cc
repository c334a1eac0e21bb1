#include "api/trending_music.h"

#include "api/query.h"
#include "common/gzip.h"

namespace soundtrend::api {

namespace {

HandlerResult ResultOf(DetailAnswer answer) {
  if (answer.status == 200) return HandlerResult::Ok();
  return HandlerResult::Error(answer.status, std::move(answer.message));
}

}  // namespace

DetailAnswer AnswerTrendingMusic(const ServingSnapshot& snapshot, std::string_view raw_query,
                                 std::string_view request_id, std::string& body, bool gzip_accepted,
                                 bool* gzipped) {
  if (gzipped != nullptr) *gzipped = false;
  auto query = ParseTrendingQuery(raw_query);
  if (!query.ok()) return {400, std::string(query.status().message())};
  const engine::ChartSet* charts = snapshot.charts();
  if (query->as_of || query->as_of_malformed) {
    auto day = ResolveAsOf(query->as_of, query->as_of_malformed,
                           charts ? charts->first_day() : std::nullopt, charts ? charts->day() : 0);
    if (!day.ok()) return {400, std::string(day.status().message())};
    query->as_of = *day;
  }
  // gzip when the client takes it (docs/api.md §13): assembled from the edition's
  // precompressed items; a search page is rendered per request and sent as it is.
  if (gzip_accepted && snapshot.AnswerTrendingGzip(*query, request_id, body)) {
    if (gzipped != nullptr) *gzipped = true;
  } else {
    snapshot.AnswerTrending(*query, request_id, body);
  }
  return {};
}

PaidEndpoint TrendingMusicEndpoint(const SnapshotHolder& snapshots) {
  return {std::string(kTrendingMusicPath), kTrendingMusicCost,
          [&snapshots](const PaidRequest& request, http::Response& ok) {
            const http::Request& http = request.http;
            const bool accepts = http.header && gzip::AcceptsGzip(http.header("Accept-Encoding"));
            bool gzipped = false;
            DetailAnswer answer = AnswerTrendingMusic(*snapshots.Current(), http.query,
                                                      http.request_id, ok.body, accepts, &gzipped);
            if (gzipped) ok.headers.emplace_back("Content-Encoding", "gzip");
            ok.headers.emplace_back("Vary", "Accept-Encoding");
            return ResultOf(std::move(answer));
          }};
}

PaidEndpoint SoundDetailEndpoint(const SnapshotHolder& snapshots) {
  return {std::string(kSoundDetailPath), kSoundDetailCost,
          [&snapshots](const PaidRequest& request, http::Response& ok) {
            return ResultOf(AnswerSoundDetail(*snapshots.Current(), request.http.query,
                                              request.http.request_id, ok.body));
          }};
}

http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway,
                                       const SnapshotHolder& snapshots, OutcomeListener* outcomes) {
  PaidEndpointDeps deps;
  deps.gateway = std::move(gateway);
  deps.outcomes = outcomes;
  return MakePaidHandler(TrendingMusicEndpoint(snapshots), std::move(deps));
}

http::Handler MakeSoundDetailHandler(std::shared_ptr<gateway::Gateway> gateway,
                                     const SnapshotHolder& snapshots, OutcomeListener* outcomes) {
  PaidEndpointDeps deps;
  deps.gateway = std::move(gateway);
  deps.outcomes = outcomes;
  return MakePaidHandler(SoundDetailEndpoint(snapshots), std::move(deps));
}

}  // namespace soundtrend::api
