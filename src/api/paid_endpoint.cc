#include "api/paid_endpoint.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <utility>

#include "api/keyed_response.h"
#include "common/log_throttle.h"
#include "common/loop_executor.h"
#include "http/error.h"

namespace soundtrend::api {
namespace {

struct EndpointState {
  PaidEndpoint endpoint;
  PaidEndpointDeps deps;
};

// One request on its way through the wrapper: on the caller's stack while the gateway
// answers at once, moved to the heap (Detach) when it waits for a round trip.
struct Call {
  // The handler's: it outlives every request it answers (routes are fixed while the server
  // runs, and the server finishes its requests before it stops). A plain pointer spares
  // every request two updates of a count all loops share.
  const EndpointState* state = nullptr;
  const http::Request* request = nullptr;  // valid until `respond` is called
  http::Respond respond;
  LoopExecutor* loop = nullptr;  // where the request arrived (null: not on a loop)
  // The request's body_buffer while the server's handler call lasts (null once detached).
  std::string* body_buffer = nullptr;
  gateway::Admission admission;
  http::Response ok;  // the 200 being built

  gateway::Gateway& gw() const { return *state->deps.gateway; }
  const PaidEndpoint& endpoint() const { return state->endpoint; }
};

void Admitted(Call& c);
void Reserved(Call& c, gateway::ReserveOutcome outcome);
void Committed(Call& c, const Status& status);

// Moves the connection's previous body (its capacity) into the 200 being built, once.
void TakeBodyBuffer(Call& c) {
  if (c.body_buffer == nullptr) return;
  c.ok.body.swap(*c.body_buffer);
  c.body_buffer = nullptr;
}

// The request's state on the heap, for a continuation that runs later. The connection's
// body buffer may only be taken during the server's call of the handler: it is taken now
// (into the 200's body, which keeps its capacity), so that a request answered later does
// not grow a large page from nothing either.
std::shared_ptr<Call> Detach(Call& c) {
  TakeBodyBuffer(c);
  return std::make_shared<Call>(std::move(c));
}

// Runs `step` on the request's loop (the gateway's callbacks come from any thread): at once
// when the callback already runs there (a shared rate limit's answer comes on the loop that
// asked), else posted to it.
template <typename Step>
void OnLoop(const std::shared_ptr<Call>& c, Step step) {
  if (c->loop != nullptr && c->loop == CurrentLoopExecutor()) return step(*c);
  PostOrRun(c->loop, [c, step = std::move(step)]() mutable { step(*c); });
}

void Finish(Call& c, http::Response response, int64_t charged) {
  response.key_id = c.admission.key_id;
  if (c.state->deps.outcomes != nullptr && !c.admission.key_id.empty()) {
    c.state->deps.outcomes->OnOutcome({c.admission.key_id, c.endpoint().path, c.request->request_id,
                                       response.status, charged, c.state->deps.clock->NowMicros()});
  }
  c.respond(std::move(response));
}

void Reject(Call& c, int status, std::string_view message) {
  http::Response r = http::ErrorResponse(status, message, c.request->request_id);
  AddGatewayHeaders(c.admission, c.gw(), r);
  if (status == 503) {
    r.headers.emplace_back("Retry-After", std::to_string(kUnavailableRetryAfterSeconds));
  }
  Finish(c, std::move(r), 0);
}

void Start(Call& c) {
  c.admission = c.gw().Admit(c.request->header("Authorization"), c.endpoint().path);
  if (c.admission.outcome != gateway::AdmitOutcome::kPending) return Admitted(c);
  // A shared rate limit answers later.
  std::shared_ptr<Call> heap = Detach(c);
  gateway::Admission pending = std::move(heap->admission);
  heap->gw().FinishAdmit(std::move(pending), [heap](gateway::Admission admission) {
    OnLoop(heap, [admission = std::move(admission)](Call& c) mutable {
      c.admission = std::move(admission);
      Admitted(c);
    });
  });
}

void Admitted(Call& c) {
  if (c.admission.outcome != gateway::AdmitOutcome::kOk) {
    const AdmissionRejection rejection = RejectionOf(c.admission.outcome);
    return Reject(c, rejection.status, rejection.message);
  }
  const http::Request& request = *c.request;
  // The connection's previous body keeps its capacity (a large page is not allocated anew).
  TakeBodyBuffer(c);
  c.ok.body.clear();
  HandlerResult result;
  try {
    result = c.endpoint().handler(PaidRequest{request, *c.admission.account}, c.ok);
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {} request_id={}", c.endpoint().path, e.what(), request.request_id);
    return Reject(c, 500, http::kInternalErrorMessage);
  }
  if (result.status != 200) return Reject(c, result.status, result.message);
  if (c.endpoint().cost == 0) {
    AddGatewayHeaders(c.admission, c.gw(), c.ok);
    return Finish(c, std::move(c.ok), 0);
  }
  const gateway::ReserveOutcome reserved = c.gw().Reserve(*c.admission.account, c.endpoint().cost);
  if (reserved != gateway::ReserveOutcome::kPending) return Reserved(c, reserved);
  // The credits are not in this node's hands yet (a new lease): the gateway answers later.
  std::shared_ptr<Call> heap = Detach(c);
  heap->gw().FinishReserve(heap->admission.account, heap->endpoint().cost,
                           [heap](gateway::ReserveOutcome outcome) {
                             OnLoop(heap, [outcome](Call& c) { Reserved(c, outcome); });
                           });
}

void Reserved(Call& c, gateway::ReserveOutcome outcome) {
  switch (outcome) {
    case gateway::ReserveOutcome::kReserved:
      break;
    case gateway::ReserveOutcome::kNoCredit:
      return Reject(c, 402, kMsgQuota);
    case gateway::ReserveOutcome::kUnavailable:
      return Reject(c, 503, kMsgUnavailable);
    case gateway::ReserveOutcome::kPending:  // FinishReserve never gives it
      spdlog::error("{}: the gateway left a reservation pending request_id={}", c.endpoint().path,
                    c.request->request_id);
      return Reject(c, 500, http::kInternalErrorMessage);
  }
  // The headers now: X-Credits-Remaining is the balance right after this request's
  // reservation (its own update, no second read of a value every loop writes).
  AddGatewayHeaders(c.admission, c.gw(), c.ok);
  const gateway::ChargeRef charge{c.request->request_id, c.endpoint().path, c.endpoint().cost};
  if (std::optional<Status> now = c.gw().CommitNow(*c.admission.account, charge)) {
    gateway::Gateway& gw = c.gw();
    Committed(c, *now);
    gw.AfterAnswer();  // the response is on its way: the gateway's deferred work now
    return;
  }
  // Durable only once another thread has written it (the ledger thread): answer then.
  std::shared_ptr<Call> heap = Detach(c);
  gateway::ChargeInfo info{std::string(charge.request_id), std::string(charge.endpoint),
                           charge.cost};
  heap->gw().Commit(heap->admission.account, std::move(info), [heap](Status status) {
    OnLoop(heap, [status = std::move(status)](Call& c) { Committed(c, status); });
  });
}

void Committed(Call& c, const Status& status) {
  if (status.ok()) return Finish(c, std::move(c.ok), c.endpoint().cost);
  // At most one line a second: when the ledger's disk fails, every request does.
  static LogThrottle throttle(1'000'000'000);
  if (std::optional<int64_t> left_out = throttle.Occur(c.state->deps.clock->MonotonicNanos())) {
    spdlog::error("charge failed: {} request_id={} ({} such errors not logged)", status.ToString(),
                  c.request->request_id, *left_out);
  }
  // The plain JSON error of every other failure, with the gateway's headers (the balance
  // after the release): none of the page it replaces (its Content-Encoding would label this
  // body gzip).
  Reject(c, 500, http::kInternalErrorMessage);
}

}  // namespace

http::Handler MakePaidHandler(PaidEndpoint endpoint, PaidEndpointDeps deps) {
  auto state =
      std::make_shared<const EndpointState>(EndpointState{std::move(endpoint), std::move(deps)});
  return [state](const http::Request& request, http::Respond respond) {
    Call c;
    c.state = state.get();
    c.request = &request;
    c.respond = std::move(respond);
    c.loop = CurrentLoopExecutor();
    c.body_buffer = request.body_buffer;
    Start(c);
  };
}

}  // namespace soundtrend::api
