#include "api/trending_music.h"

#include <spdlog/spdlog.h>

#include "api/query.h"
#include "common/clock.h"
#include "common/gzip.h"
#include "common/log_throttle.h"
#include "http/error.h"

namespace soundtrend::api {

namespace {

// The part every charged endpoint shares (until api/paid_endpoint lands): Admit (401 /
// 403 / 429) -> `answer` (400 / 404, or the body) -> Reserve (402) -> Commit (the charge
// durable) -> respond, with the gateway headers on every authenticated response.
http::Handler MakeChargedHandler(std::shared_ptr<gateway::Gateway> gateway_ptr,
                                 std::string_view path, int64_t cost, EndpointAnswer answer) {
  return [gw = std::move(gateway_ptr), path, cost, answer = std::move(answer)](
             const http::Request& request, http::Respond respond) {
    gateway::Gateway& gateway = *gw;
    gateway::Admission admission = gateway.Admit(request.header("Authorization"), path);
    auto reject = [&](int status, std::string_view message) {
      http::Response r = http::ErrorResponse(status, message, request.request_id);
      r.key_id = admission.key_id;
      AddGatewayHeaders(admission, gateway, r);
      respond(std::move(r));
    };
    if (admission.outcome != gateway::AdmitOutcome::kOk) {
      const AdmissionRejection rejection = RejectionOf(admission.outcome);
      return reject(rejection.status, rejection.message);
    }
    http::Response ok;
    ok.key_id = admission.key_id;
    if (request.body_buffer != nullptr) ok.body.swap(*request.body_buffer);  // reuse its memory
    ok.body.clear();
    // The answer is rendered before the reservation: a 400 or 404 never touches credit,
    // and an answer that throws costs nothing.
    DetailAnswer result;
    try {
      result = answer(request, ok);
    } catch (const std::exception& e) {
      spdlog::error("{} render failed: {} request_id={}", path, e.what(), request.request_id);
      return reject(500, http::kInternalErrorMessage);
    }
    if (result.status != 200) return reject(result.status, result.message);
    if (!gateway.Reserve(*admission.account, cost)) return reject(402, kMsgQuota);
    // The headers now: X-Credits-Remaining is the balance right after this request's
    // reservation (its own update, no second read of a value every loop writes).
    AddGatewayHeaders(admission, gateway, ok);
    gateway::ChargeInfo charge{std::string(request.request_id), std::string(path), cost};
    // Alive until `done` returns (Gateway::Commit); the shared count is not touched again.
    const gateway::KeyAccount* account = admission.account.get();
    // The gateway outlives every request it answers (the handler holds it): a plain pointer
    // here spares two atomic updates of its shared count, which every loop touches.
    gateway.Commit(std::move(admission.account), std::move(charge),
                   [gw = &gateway, account, ok = std::move(ok), request_id = request.request_id,
                    respond = std::move(respond)](Status status) mutable {
                     // request_id views the request, valid until `respond` is called.
                     if (status.ok()) return respond(std::move(ok));
                     // At most one line a second: when the ledger's disk fails, every request does.
                     static LogThrottle throttle(1'000'000'000);
                     if (std::optional<int64_t> left_out =
                             throttle.Occur(SystemClock::Instance().MonotonicNanos())) {
                       spdlog::error("charge failed: {} request_id={} ({} such errors not logged)",
                                     status.ToString(), request_id, *left_out);
                     }
                     http::Response r =
                         http::ErrorResponse(500, http::kInternalErrorMessage, request_id);
                     r.key_id = std::move(ok.key_id);
                     r.headers = std::move(ok.headers);  // with the balance after the release
                     for (auto& [name, value] : r.headers) {
                       if (name == kCreditsRemainingHeader) {
                         value = std::to_string(gw->Balance(*account));
                       }
                     }
                     respond(std::move(r));
                   });
  };
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

http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway,
                                       const SnapshotHolder& snapshots) {
  return MakeChargedHandler(
      std::move(gateway), kTrendingMusicPath, kTrendingMusicCost,
      [&snapshots](const http::Request& request, http::Response& ok) {
        const bool accepts = request.header && gzip::AcceptsGzip(request.header("Accept-Encoding"));
        bool gzipped = false;
        DetailAnswer answer = AnswerTrendingMusic(*snapshots.Current(), request.query,
                                                  request.request_id, ok.body, accepts, &gzipped);
        if (gzipped) ok.headers.emplace_back("Content-Encoding", "gzip");
        ok.headers.emplace_back("Vary", "Accept-Encoding");
        return answer;
      });
}

http::Handler MakeSoundDetailHandler(std::shared_ptr<gateway::Gateway> gateway,
                                     const SnapshotHolder& snapshots) {
  return MakeChargedHandler(std::move(gateway), kSoundDetailPath, kSoundDetailCost,
                            [&snapshots](const http::Request& request, http::Response& ok) {
                              return AnswerSoundDetail(*snapshots.Current(), request.query,
                                                       request.request_id, ok.body);
                            });
}

}  // namespace soundtrend::api
