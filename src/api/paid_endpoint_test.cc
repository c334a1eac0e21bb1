#include "api/paid_endpoint.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "api/test_doubles.h"
#include "common/gzip.h"
#include "common/loop_executor.h"

namespace soundtrend::api {
namespace {

constexpr std::string_view kPath = "/v1/test/paid";

// An event loop the test drives: posted tasks run when the test says so, on its thread.
class ManualLoop final : public LoopExecutor {
 public:
  void Post(std::function<void()> task) override {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  // Runs every task posted so far; returns how many ran.
  int RunPending() {
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
    return static_cast<int>(tasks.size());
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
};

struct RecordedOutcome {
  std::string key_id, endpoint, request_id;
  int status;
  int64_t cost, time_micros;
  std::thread::id thread;
};

class RecordingListener final : public OutcomeListener {
 public:
  void OnOutcome(const KeyedOutcome& o) noexcept override {
    outcomes.push_back({std::string(o.key_id), std::string(o.endpoint), std::string(o.request_id),
                        o.status, o.cost, o.time_micros, std::this_thread::get_id()});
  }
  std::vector<RecordedOutcome> outcomes;  // the test's loop thread only
};

class PaidEndpointTest : public ::testing::Test {
 protected:
  PaidEndpointTest() : clock_(1'700'000'000'000'000) {
    gateway_->AddKey({"sk_good", "key_good", 10});
    gateway_->AddKey({"sk_poor", "key_poor", 1});
    gateway_->AddKey({"sk_forbidden", "key_forbidden", 10, /*forbidden=*/true});
    gateway_->AddKey({"sk_limited", "key_limited", 10, false, /*rate_limited=*/true});
    gateway_->AddKey({"sk_slow", "key_slow", 10, false, false, /*pending_admit=*/true,
                      /*pending_reserve=*/true});
    gateway_->AddKey({"sk_slow_limited", "key_slow_limited", 10, false, /*rate_limited=*/true,
                      /*pending_admit=*/true});
    gateway_->AddKey({"sk_cut_off", "key_cut_off", 10, false, false, false, false,
                      /*reserve_unavailable=*/true});
  }

  http::Handler Make(int64_t cost, std::shared_ptr<testing::FakeGateway> gw = nullptr) {
    PaidEndpoint endpoint{std::string(kPath), cost,
                          [this](const PaidRequest& request, http::Response& ok) {
                            ++handler_calls_;
                            EXPECT_EQ(request.http.path, kPath);
                            if (throw_) throw std::runtime_error("boom");
                            if (handler_result_.status != 200) return handler_result_;
                            ok.headers.emplace_back("X-Handler", "1");
                            // Appended, as the real endpoints write their pages.
                            ok.body += R"({"code":0,"message":"success","data":{},"requestId":")";
                            ok.body += request.http.request_id;
                            ok.body += "\"}";
                            if (gzip_page_) {  // as the trending endpoint answers gzip
                              ok.body = gzip::Compress(ok.body);
                              ok.headers.emplace_back("Content-Encoding", "gzip");
                              ok.headers.emplace_back("Vary", "Accept-Encoding");
                            }
                            return HandlerResult::Ok();
                          }};
    PaidEndpointDeps deps;
    deps.gateway = gw ? gw : gateway_;
    deps.outcomes = &listener_;
    deps.clock = &clock_;
    return MakePaidHandler(std::move(endpoint), std::move(deps));
  }

  // Calls `handler` on the test's loop and runs the loop (and the fake gateway's threads)
  // until the response arrives. `rounds` counts the loop turns it took (0 = answered in
  // the handler's call).
  http::Response Call(const http::Handler& handler, std::string authorization,
                      std::string request_id = "rid-1", int* rounds = nullptr,
                      std::shared_ptr<testing::FakeGateway> gw = nullptr,
                      std::string* body_buffer = nullptr) {
    http::Request request;
    request.body_buffer = body_buffer;
    request.method = "GET";
    request.path = kPath;
    request.request_id = request_id;
    request.header = [&](std::string_view name) -> std::string_view {
      return name == "Authorization" ? std::string_view(authorization) : std::string_view{};
    };
    std::optional<http::Response> got;
    int calls = 0;
    std::thread::id responder;
    SetCurrentLoopExecutor(&loop_);
    handler(request, [&](http::Response r) {
      ++calls;
      responder = std::this_thread::get_id();
      got = std::move(r);
    });
    int turns = 0;
    for (; !got && turns < 10; ++turns) {
      (gw ? gw : gateway_)->JoinThreads();  // the round trip's answer, posted to the loop
      loop_.RunPending();
    }
    SetCurrentLoopExecutor(nullptr);
    if (rounds != nullptr) *rounds = turns;
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(responder, std::this_thread::get_id()) << "answered off the request's loop";
    return got ? std::move(*got) : http::Response{};  // moved: the body keeps its capacity
  }

  static std::string Header(const http::Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "<absent>";
  }

  static std::string Message(const http::Response& r) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(r.body);
    EXPECT_EQ(int64_t(doc["code"]), r.status == 200 ? 0 : r.status);
    return std::string(std::string_view(doc["message"]));
  }

  FakeClock clock_;
  std::shared_ptr<testing::FakeGateway> gateway_ = std::make_shared<testing::FakeGateway>();
  ManualLoop loop_;
  RecordingListener listener_;
  int handler_calls_ = 0;
  bool throw_ = false;
  bool gzip_page_ = false;
  HandlerResult handler_result_;
};

TEST_F(PaidEndpointTest, SuccessIsChargedOnceWithHeadersAndOneOutcome) {
  http::Handler h = Make(2);
  int rounds = -1;
  http::Response r = Call(h, "Bearer sk_good", "rid-ok", &rounds);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(rounds, 0);  // the fast path: answered within the handler's call
  EXPECT_EQ(r.key_id, "key_good");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "8");
  EXPECT_EQ(Header(r, "RateLimit-Policy"), "\"default\";q=10;w=1");
  EXPECT_EQ(Header(r, "RateLimit"), "\"default\";r=9;t=1");
  EXPECT_EQ(Header(r, "Retry-After"), "<absent>");
  EXPECT_EQ(Header(r, "X-Handler"), "1");  // the handler's own header, kept
  EXPECT_EQ(gateway_->charged_request_ids(), std::vector<std::string>{"rid-ok"});
  EXPECT_EQ(gateway_->after_answers(), 1);
  ASSERT_EQ(listener_.outcomes.size(), 1u);
  const RecordedOutcome& o = listener_.outcomes[0];
  EXPECT_EQ(o.key_id, "key_good");
  EXPECT_EQ(o.endpoint, kPath);
  EXPECT_EQ(o.request_id, "rid-ok");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.cost, 2);
  EXPECT_EQ(o.time_micros, clock_.NowMicros());
  EXPECT_EQ(o.thread, std::this_thread::get_id());
}

TEST_F(PaidEndpointTest, AdmissionRefusalsComeBeforeTheHandlerAndCostNothing) {
  http::Handler h = Make(2);
  struct Case {
    const char* auth;
    int status;
    const char* message;
    const char* credits;
  };
  for (const Case& c :
       {Case{"", 401, "apiKey is null", "<absent>"},
        Case{"Bearer sk_nope", 401, "apiKey is invalid", "<absent>"},
        Case{"Bearer sk_forbidden", 403, "apiKey is not allowed to access this endpoint", "10"},
        Case{"Bearer sk_limited", 429, "qps limit exceeded", "10"}}) {
    http::Response r = Call(h, c.auth);
    EXPECT_EQ(r.status, c.status) << c.auth;
    EXPECT_EQ(Message(r), c.message) << c.auth;
    EXPECT_EQ(Header(r, "X-Credits-Remaining"), c.credits) << c.auth;
    EXPECT_EQ(Header(r, "Retry-After"), c.status == 429 ? "1" : "<absent>") << c.auth;
  }
  EXPECT_EQ(handler_calls_, 0);
  EXPECT_EQ(gateway_->commits(), 0);
  // Outcomes for the requests with a known key (403, 429): no cost.
  ASSERT_EQ(listener_.outcomes.size(), 2u);
  EXPECT_EQ(listener_.outcomes[0].key_id, "key_forbidden");
  EXPECT_EQ(listener_.outcomes[0].status, 403);
  EXPECT_EQ(listener_.outcomes[1].status, 429);
  EXPECT_EQ(listener_.outcomes[1].cost, 0);
}

TEST_F(PaidEndpointTest, HandlerErrorsAreAnsweredAndFree) {
  http::Handler h = Make(2);
  handler_result_ = HandlerResult::Error(400, "Invalid parameter: x must be y");
  http::Response r = Call(h, "Bearer sk_good");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "Invalid parameter: x must be y");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "10");
  EXPECT_NE(Header(r, "RateLimit"), "<absent>");
  EXPECT_EQ(Header(r, "X-Handler"), "<absent>");  // only a 200 keeps the handler's headers
  handler_result_ = HandlerResult::Error(404, "Not found: clip_id");
  EXPECT_EQ(Call(h, "Bearer sk_good").status, 404);
  // A parameter error comes before the balance: a key without credit gets the 400.
  handler_result_ = HandlerResult::Error(400, "Invalid parameter: x must be y");
  EXPECT_EQ(Call(h, "Bearer sk_poor").status, 400);
  handler_result_ = HandlerResult::Ok();
  throw_ = true;
  http::Response boom = Call(h, "Bearer sk_good");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(Message(boom), "Internal server error");
  EXPECT_EQ(boom.body.find("boom"), std::string::npos);
  EXPECT_EQ(gateway_->commits(), 0);
  ASSERT_EQ(listener_.outcomes.size(), 4u);
  for (const auto& o : listener_.outcomes) EXPECT_EQ(o.cost, 0);
  EXPECT_EQ(listener_.outcomes[1].status, 404);
  EXPECT_EQ(listener_.outcomes[3].status, 500);
}

TEST_F(PaidEndpointTest, NoCreditIs402AfterTheHandler) {
  http::Handler h = Make(2);
  http::Response r = Call(h, "Bearer sk_poor");
  EXPECT_EQ(r.status, 402);
  EXPECT_EQ(Message(r), "apiKey quota is not enough");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "1");
  EXPECT_EQ(handler_calls_, 1);
  EXPECT_EQ(gateway_->commits(), 0);
  // Exactly balance / cost successes.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call(h, "Bearer sk_good").status, 200) << i;
  EXPECT_EQ(Call(h, "Bearer sk_good").status, 402);
  EXPECT_EQ(gateway_->commits(), 5);
}

TEST_F(PaidEndpointTest, UndecidableReservationIs503WithRetryAfter) {
  http::Handler h = Make(2);
  http::Response r = Call(h, "Bearer sk_cut_off");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Message(r), "Service temporarily unavailable");
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "10");
  EXPECT_EQ(gateway_->commits(), 0);
}

TEST_F(PaidEndpointTest, FreeKeyedEndpointSkipsReserveAndCommit) {
  http::Handler h = Make(0);
  http::Response r = Call(h, "Bearer sk_poor");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "1");
  EXPECT_EQ(gateway_->commits(), 0);
  ASSERT_EQ(listener_.outcomes.size(), 1u);
  EXPECT_EQ(listener_.outcomes[0].cost, 0);
  EXPECT_EQ(listener_.outcomes[0].status, 200);
}

TEST_F(PaidEndpointTest, FailedChargeIs500AndCostsNothing) {
  http::Handler h = Make(2);
  gateway_->SetCommitStatus(Status::IoError("disk full"));
  http::Response r = Call(h, "Bearer sk_good");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "10");  // after the release
  EXPECT_EQ(r.body.find("disk"), std::string::npos);
  ASSERT_EQ(listener_.outcomes.size(), 1u);
  EXPECT_EQ(listener_.outcomes[0].status, 500);
  EXPECT_EQ(listener_.outcomes[0].cost, 0);
}

// The page was gzip (Content-Encoding, Vary) when its charge failed: the 500 is the plain
// JSON error envelope of every other error (docs/api.md), with the gateway's headers only,
// none of the page it replaced; on the fast path and when the charge is answered later.
TEST_F(PaidEndpointTest, AFailedChargeOfAGzipPageIsAPlainJson500) {
  gzip_page_ = true;
  http::Handler h = Make(2);
  http::Response page = Call(h, "Bearer sk_good", "rid-page");
  ASSERT_EQ(page.status, 200);
  ASSERT_EQ(Header(page, "Content-Encoding"), "gzip");  // the double pages as the real one
  gateway_->SetCommitStatus(Status::IoError("disk full"));
  struct Case {
    const char* auth;
    const char* credits;  // after the release
  };
  for (const auto& [auth, credits] : {Case{"Bearer sk_good", "8"}, Case{"Bearer sk_slow", "10"}}) {
    http::Response r = Call(h, auth, "rid-fail");
    EXPECT_EQ(r.status, 500) << auth;
    EXPECT_EQ(r.content_type, "application/json") << auth;
    EXPECT_EQ(Header(r, "Content-Encoding"), "<absent>") << auth;
    EXPECT_EQ(Header(r, "Vary"), "<absent>") << auth;
    EXPECT_EQ(Header(r, "X-Handler"), "<absent>") << auth;   // as any other error
    EXPECT_EQ(Message(r), "Internal server error") << auth;  // a plain JSON body
    EXPECT_NE(r.body.find(R"("requestId":"rid-fail")"), std::string::npos) << r.body;
    EXPECT_EQ(Header(r, "X-Credits-Remaining"), credits) << auth;
    EXPECT_NE(Header(r, "RateLimit"), "<absent>") << auth;
    int credits_headers = 0;
    for (const auto& [name, value] : r.headers) credits_headers += name == "X-Credits-Remaining";
    EXPECT_EQ(credits_headers, 1) << auth;
  }
  EXPECT_EQ(gateway_->commits(), 1);  // the page's only
}

// Admission and reservation answered later (a shared rate limit, a credit lease), the
// charge made durable by another thread: the request continues on its own loop each time,
// and the loop never waited (the handler returned before any answer).
TEST_F(PaidEndpointTest, SlowPathsContinueOnTheRequestsLoop) {
  auto slow = std::make_shared<testing::FakeGateway>(/*async_commit=*/true);
  slow->AddKey({"sk_slow", "key_slow", 10, false, false, /*pending_admit=*/true,
                /*pending_reserve=*/true});
  http::Handler h = Make(2, slow);
  int rounds = 0;
  http::Response r = Call(h, "Bearer sk_slow", "rid-slow", &rounds, slow);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(rounds, 3);  // admission, reservation, commit: one loop turn each
  EXPECT_EQ(handler_calls_, 1);
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "8");
  EXPECT_EQ(Header(r, "RateLimit"), "\"default\";r=9;t=1");
  EXPECT_EQ(slow->charged_request_ids(), std::vector<std::string>{"rid-slow"});
  EXPECT_EQ(slow->after_answers(), 0);  // only after a CommitNow
  ASSERT_EQ(listener_.outcomes.size(), 1u);
  EXPECT_EQ(listener_.outcomes[0].thread, std::this_thread::get_id());
  EXPECT_EQ(listener_.outcomes[0].cost, 2);
  EXPECT_EQ(listener_.outcomes[0].request_id, "rid-slow");
}

// The connection's previous body lends its capacity to the page, whether the request is
// answered in the handler's call or after round trips (admission, reservation, commit).
TEST_F(PaidEndpointTest, ThePageIsBuiltInTheConnectionsBodyBufferOnEveryPath) {
  auto slow = std::make_shared<testing::FakeGateway>(/*async_commit=*/true);
  slow->AddKey({"sk_slow", "key_slow", 10, false, false, /*pending_admit=*/true,
                /*pending_reserve=*/true});
  slow->AddKey({"sk_good", "key_good", 10});
  http::Handler h = Make(2, slow);
  for (const char* key : {"Bearer sk_good", "Bearer sk_slow"}) {
    std::string buffer;
    buffer.reserve(1 << 16);
    http::Response r = Call(h, key, "rid-buffer", nullptr, slow, &buffer);
    EXPECT_EQ(r.status, 200) << key;
    EXPECT_EQ(r.body, R"({"code":0,"message":"success","data":{},"requestId":"rid-buffer"})")
        << key;
    EXPECT_GE(r.body.capacity(), size_t{1} << 16) << key;
  }
}

TEST_F(PaidEndpointTest, SlowAdmissionCanRefuse) {
  http::Handler h = Make(2);
  int rounds = 0;
  http::Response r = Call(h, "Bearer sk_slow_limited", "rid-x", &rounds);
  EXPECT_EQ(rounds, 1);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_EQ(handler_calls_, 0);
  EXPECT_EQ(gateway_->commits(), 0);
}

TEST_F(PaidEndpointTest, SlowReservationRunsOutExactly) {
  http::Handler h = Make(2);
  int ok = 0, refused = 0;
  for (int i = 0; i < 8; ++i) {
    const int status = Call(h, "Bearer sk_slow", "rid-" + std::to_string(i)).status;
    ok += status == 200;
    refused += status == 402;
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(gateway_->commits(), 5);
}

}  // namespace
}  // namespace soundtrend::api
