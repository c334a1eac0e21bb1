#include "api/trending_music.h"

#include <spdlog/spdlog.h>

#include "api/query.h"
#include "common/gzip.h"
#include "http/error.h"

namespace soundtrend::api {

http::Handler MakeTrendingMusicHandler(std::shared_ptr<gateway::Gateway> gateway_ptr,
                                       const SnapshotHolder& snapshots) {
  return [gw = std::move(gateway_ptr), &snapshots](const http::Request& request,
                                                   http::Respond respond) {
    gateway::Gateway& gateway = *gw;
    gateway::Admission admission =
        gateway.Admit(request.header("Authorization"), kTrendingMusicPath);
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
    auto query = ParseTrendingQuery(request.query);
    if (!query.ok()) return reject(400, query.status().message());
    if (!gateway.Reserve(*admission.account, kTrendingMusicCost)) return reject(402, kMsgQuota);

    http::Response ok;
    ok.key_id = admission.key_id;
    if (request.body_buffer != nullptr) ok.body.swap(*request.body_buffer);  // reuse its memory
    ok.body.clear();
    try {
      // gzip when the client takes it (docs/api.md §13): assembled from the edition's
      // precompressed items; a search page is rendered per request and sent as it is.
      const ServingSnapshot& snapshot = *snapshots.Current();
      if (request.header && gzip::AcceptsGzip(request.header("Accept-Encoding")) &&
          snapshot.AnswerTrendingGzip(*query, request.request_id, ok.body)) {
        ok.headers.emplace_back("Content-Encoding", "gzip");
      } else {
        snapshot.AnswerTrending(*query, request.request_id, ok.body);
      }
      ok.headers.emplace_back("Vary", "Accept-Encoding");
    } catch (const std::exception& e) {
      gateway.Release(*admission.account, kTrendingMusicCost);
      spdlog::error("trending music render failed: {} request_id={}", e.what(), request.request_id);
      return reject(500, http::kInternalErrorMessage);
    }
    // The headers now: X-Credits-Remaining is the balance right after this request's
    // reservation (its own update, no second read of a value every loop writes).
    AddGatewayHeaders(admission, gateway, ok);
    gateway::ChargeInfo charge{std::string(request.request_id), std::string(kTrendingMusicPath),
                               kTrendingMusicCost};
    // Alive until `done` returns (Gateway::Commit); the shared count is not touched again.
    const gateway::KeyAccount* account = admission.account.get();
    // The gateway outlives every request it answers (the handler holds it): a plain pointer
    // here spares two atomic updates of its shared count, which every loop touches.
    gateway.Commit(
        std::move(admission.account), std::move(charge),
        [gw = &gateway, account, ok = std::move(ok), request_id = request.request_id,
         respond = std::move(respond)](Status status) mutable {
          // request_id views the request, valid until `respond` is called.
          if (status.ok()) return respond(std::move(ok));
          spdlog::error("charge failed: {} request_id={}", status.ToString(), request_id);
          http::Response r = http::ErrorResponse(500, http::kInternalErrorMessage, request_id);
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

}  // namespace soundtrend::api
