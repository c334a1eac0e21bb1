#include "api/trending_music.h"

#include <spdlog/spdlog.h>

#include "api/query.h"
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
      snapshots.Current()->AnswerTrending(*query, request.request_id, ok.body);
    } catch (const std::exception& e) {
      gateway.Release(*admission.account, kTrendingMusicCost);
      spdlog::error("trending music render failed: {} request_id={}", e.what(), request.request_id);
      return reject(500, http::kInternalErrorMessage);
    }
    gateway::ChargeInfo charge{std::string(request.request_id), std::string(kTrendingMusicPath),
                               kTrendingMusicCost};
    std::string request_id(request.request_id);
    auto account = admission.account;
    // The gateway outlives every request it answers (the handler holds it): a plain pointer
    // here spares two atomic updates of its shared count, which every loop touches.
    gateway.Commit(
        std::move(account), std::move(charge),
        [gw = &gateway, admission = std::move(admission), ok = std::move(ok), request_id,
         respond = std::move(respond)](Status status) mutable {
          if (!status.ok()) {
            spdlog::error("charge failed: {} request_id={}", status.ToString(), request_id);
            http::Response r = http::ErrorResponse(500, http::kInternalErrorMessage, request_id);
            r.key_id = admission.key_id;
            AddGatewayHeaders(admission, *gw, r);
            return respond(std::move(r));
          }
          AddGatewayHeaders(admission, *gw, ok);
          respond(std::move(ok));
        });
  };
}

}  // namespace soundtrend::api
