#include "api/admin_ingest.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "ingest/byte_source.h"
#include "ingest/test_util.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend::api {
namespace {

constexpr std::string_view kToken = "admin-secret-token";
constexpr int64_t kNow = 1769990461;  // 2026-02-02T00:01:01Z

// A request with its own storage, alive for the whole test.
struct TestRequest {
  std::string query, body;
  std::map<std::string, std::string> headers;
  http::Request Get() const {
    http::Request r;
    r.method = "POST";
    r.path = kAdminIngestPath;
    r.query = query;
    r.body = body;
    r.request_id = "req-1";
    r.header = [this](std::string_view name) -> std::string_view {
      for (const auto& [k, v] : headers) {
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(),
                       [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
          return v;
        }
      }
      return {};
    };
    return r;
  }
};

TestRequest Authorized(std::string body, std::string query = "") {
  TestRequest r;
  r.body = std::move(body);
  r.query = std::move(query);
  r.headers["Authorization"] = "Bearer " + std::string(kToken);
  return r;
}

struct Answer {
  http::Response response;
  std::thread::id thread;
};

// Calls `handler` and waits (bounded) for its Respond.
Answer Call(const http::Handler& handler, const TestRequest& request) {
  auto promise = std::make_shared<std::promise<Answer>>();
  std::future<Answer> future = promise->get_future();
  handler(request.Get(), [promise](http::Response r) {
    promise->set_value(Answer{std::move(r), std::this_thread::get_id()});
  });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "no response";
    return {};
  }
  return future.get();
}

simdjson::dom::element ParseBody(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(body).get(doc), simdjson::SUCCESS) << body;
  return doc;
}

// A run_ingest that records its calls and answers a fixed report.
struct FakeIngest {
  struct Call {
    std::string name, body, batch_id;
    bool skip_invalid;
    std::thread::id thread;
  };
  std::mutex mu;
  std::vector<Call> calls;
  Result<ingest::IngestReport> answer = ingest::IngestReport{};
  AdminIngestDeps Deps() {
    AdminIngestDeps d{gateway::AdminAuth(kToken), nullptr};
    d.run_ingest = [this](std::string_view name, std::string_view body,
                          const ingest::IngestOptions& o) -> Result<ingest::IngestReport> {
      std::lock_guard<std::mutex> lock(mu);
      calls.push_back({std::string(name), std::string(body), o.batch_id, o.skip_invalid,
                       std::this_thread::get_id()});
      return answer;
    };
    return d;
  }
};

TEST(AdminIngestTest, RefusesMissingWrongAndCustomerTokens) {
  FakeIngest fake;
  http::Handler handler = MakeAdminIngestHandler(fake.Deps());
  TestRequest none;
  none.body = "{}";
  EXPECT_EQ(Call(handler, none).response.status, 401);
  TestRequest wrong = Authorized("{}");
  wrong.headers["Authorization"] = "Bearer not-the-token";
  EXPECT_EQ(Call(handler, wrong).response.status, 401);
  TestRequest customer = Authorized("{}");
  customer.headers["Authorization"] = "Bearer sk_live_0123456789abcdef0123456789abcdef";
  EXPECT_EQ(Call(handler, customer).response.status, 401);
  EXPECT_TRUE(fake.calls.empty());
}

TEST(AdminIngestTest, PassesBatchIdAndSkipInvalidAndRunsOffTheCallingThread) {
  FakeIngest fake;
  ingest::IngestReport report;
  report.batch_id = "b-7";
  report.records = 10;
  report.rejected = 2;
  report.cells = 3;
  report.errors = {{4, "region: unknown region \"UK\""}, {9, "broken JSON: x"}};
  fake.answer = report;
  http::Handler handler = MakeAdminIngestHandler(fake.Deps());

  TestRequest q = Authorized("line\n", "batch_id=b-7&skip_invalid=true");
  q.headers["Idempotency-Key"] = "ignored-when-query-has-one";
  Answer a = Call(handler, q);
  ASSERT_EQ(a.response.status, 200) << a.response.body;
  EXPECT_NE(a.thread, std::this_thread::get_id());
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0].body, "line\n");
  EXPECT_EQ(fake.calls[0].batch_id, "b-7");
  EXPECT_TRUE(fake.calls[0].skip_invalid);
  EXPECT_NE(fake.calls[0].thread, std::this_thread::get_id());

  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseBody(parser, a.response.body);
  EXPECT_EQ(int64_t(doc["code"]), 0);
  EXPECT_EQ(std::string_view(doc["requestId"]), "req-1");
  simdjson::dom::element data = doc["data"];
  EXPECT_EQ(std::string_view(data["batch_id"]), "b-7");
  EXPECT_TRUE(bool(data["applied"]));
  EXPECT_FALSE(bool(data["already_applied"]));
  EXPECT_EQ(int64_t(data["records"]), 10);
  EXPECT_EQ(int64_t(data["rejected"]), 2);
  EXPECT_EQ(int64_t(data["cells"]), 3);
  simdjson::dom::array errors = data["errors"];
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(int64_t(errors.at(0)["line"]), 4);
  EXPECT_EQ(std::string_view(errors.at(0)["reason"]), "region: unknown region \"UK\"");

  TestRequest h = Authorized("x");
  h.headers["Idempotency-Key"] = " key-1 ";
  EXPECT_EQ(Call(handler, h).response.status, 200);
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[1].batch_id, "key-1");
  EXPECT_FALSE(fake.calls[1].skip_invalid);

  EXPECT_EQ(Call(handler, Authorized("x")).response.status, 200);
  EXPECT_EQ(fake.calls[2].batch_id, "");  // the ingester's content hash
}

TEST(AdminIngestTest, BadQueryAndEncodingAre400WithoutIngest) {
  FakeIngest fake;
  http::Handler handler = MakeAdminIngestHandler(fake.Deps());
  EXPECT_EQ(Call(handler, Authorized("x", "skip_invalid=maybe")).response.status, 400);
  EXPECT_EQ(Call(handler, Authorized("x", "batch_id=")).response.status, 400);
  EXPECT_EQ(Call(handler, Authorized("x", "batch_id=a%23b")).response.status, 400);
  TestRequest gz = Authorized("not gzip");
  gz.headers["Content-Encoding"] = "gzip";
  Answer a = Call(handler, gz);
  EXPECT_EQ(a.response.status, 400);
  EXPECT_NE(a.response.body.find("Content-Encoding"), std::string::npos);
  TestRequest br = Authorized("x");
  br.headers["Content-Encoding"] = "br";
  EXPECT_EQ(Call(handler, br).response.status, 400);
  EXPECT_TRUE(fake.calls.empty());
}

TEST(AdminIngestTest, FailuresMapTo400Or500) {
  FakeIngest fake;
  http::Handler handler = MakeAdminIngestHandler(fake.Deps());
  fake.answer = Status::InvalidArgument("body: line 3: record longer than 1 MiB");
  Answer bad = Call(handler, Authorized("x"));
  EXPECT_EQ(bad.response.status, 400);
  EXPECT_NE(bad.response.body.find("longer than"), std::string::npos);
  fake.answer = Status::IoError("disk on fire /secret/path");
  Answer io = Call(handler, Authorized("x"));
  EXPECT_EQ(io.response.status, 500);
  EXPECT_EQ(io.response.body.find("secret"), std::string::npos);
}

TEST(AdminIngestTest, RequestsRunOneAtATimeInArrivalOrder) {
  std::mutex mu;
  std::vector<std::string> order;
  int running = 0, max_running = 0;
  AdminIngestDeps deps{gateway::AdminAuth(kToken), nullptr};
  deps.run_ingest = [&](std::string_view, std::string_view body,
                        const ingest::IngestOptions&) -> Result<ingest::IngestReport> {
    {
      std::lock_guard<std::mutex> lock(mu);
      max_running = std::max(max_running, ++running);
      order.emplace_back(body);
    }
    std::lock_guard<std::mutex> lock(mu);
    --running;
    return ingest::IngestReport{};
  };
  http::Handler handler = MakeAdminIngestHandler(std::move(deps));
  std::vector<TestRequest> requests;
  for (int i = 0; i < 20; ++i) requests.push_back(Authorized(std::to_string(i)));
  std::vector<std::future<int>> answers;
  for (const TestRequest& r : requests) {
    auto p = std::make_shared<std::promise<int>>();
    answers.push_back(p->get_future());
    handler(r.Get(), [p](http::Response resp) { p->set_value(resp.status); });
  }
  for (auto& f : answers) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(f.get(), 200);
  }
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], std::to_string(i));
  EXPECT_EQ(max_running, 1);
}

class AdminIngestStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqliteChartStore(dir_.path() + "/charts.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    AdminIngestDeps deps{gateway::AdminAuth(kToken), nullptr};
    deps.run_ingest = [this](std::string_view name, std::string_view body,
                             const ingest::IngestOptions& options) {
      ingest::IngestOptions o = options;
      o.on_batch_applied = [this](const Batch& b) { applied_.push_back(b.id); };
      return IngestBody(*store_, clock_, name, body, o);
    };
    handler_ = MakeAdminIngestHandler(std::move(deps));
  }
  ingest::testing::TempDir dir_;
  FakeClock clock_{kNow * 1000000};
  std::unique_ptr<store::ChartStore> store_;
  std::vector<std::string> applied_;
  http::Handler handler_;
};

const std::string kBody =
    R"({"type":"sound","clip_id":"1","song_id":"2","title":"T","author":"A","duration":3})"
    "\n"
    R"({"type":"use","clip_id":"1","region":"US","time":1769904000,"video_id":"5","views":9})"
    "\n"
    R"({"type":"use","clip_id":"1","region":"US","time":1769904100})"
    "\n"
    R"({"type":"daily","clip_id":"1","region":"FR","day":"2026-02-01","uses":4})"
    "\n";

TEST_F(AdminIngestStoreTest, AppliesOnceThenReportsAlreadyApplied) {
  Answer first = Call(handler_, Authorized(kBody));
  ASSERT_EQ(first.response.status, 200) << first.response.body;
  simdjson::dom::parser parser;
  simdjson::dom::element data = ParseBody(parser, first.response.body)["data"];
  EXPECT_EQ(std::string_view(data["batch_id"]), "sha256:" + ingest::Sha256Hex(kBody));
  EXPECT_TRUE(bool(data["applied"]));
  EXPECT_EQ(int64_t(data["records"]), 4);
  EXPECT_EQ(int64_t(data["sounds"]), 1);
  EXPECT_EQ(int64_t(data["cells"]), 2);
  EXPECT_EQ(int64_t(data["videos"]), 1);
  EXPECT_EQ(applied_.size(), 1u);

  // The same body gzip-compressed under the same explicit id... and the plain one again.
  TestRequest gz = Authorized(ingest::testing::Gzip(kBody));
  gz.headers["Content-Encoding"] = "gzip";
  gz.headers["Idempotency-Key"] = "gz-1";
  Answer g = Call(handler_, gz);
  ASSERT_EQ(g.response.status, 200) << g.response.body;
  EXPECT_TRUE(bool(ParseBody(parser, g.response.body)["data"]["applied"]));
  Answer again = Call(handler_, gz);
  data = ParseBody(parser, again.response.body)["data"];
  EXPECT_FALSE(bool(data["applied"]));
  EXPECT_TRUE(bool(data["already_applied"]));
  Answer plain_again = Call(handler_, Authorized(kBody));
  EXPECT_TRUE(bool(ParseBody(parser, plain_again.response.body)["data"]["already_applied"]));
  EXPECT_EQ(applied_.size(), 2u);
  Result<store::StoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->daily_cells, 2);
  int64_t uses = 0;
  ASSERT_TRUE(store_
                  ->ForEachDailyUses([&](const DailyUses& d) {
                    uses += d.uses;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(uses, 2 * (2 + 4));  // two batches (plain and gzip), each stored once
}

TEST_F(AdminIngestStoreTest, InvalidRecordRefusesTheBatchWith400AndTheErrors) {
  const std::string body = kBody + R"({"type":"use","clip_id":"1","region":"UK","time":1769904000})"
                                   "\n{oops\n";
  Answer a = Call(handler_, Authorized(body));
  ASSERT_EQ(a.response.status, 400) << a.response.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseBody(parser, a.response.body);
  EXPECT_EQ(int64_t(doc["code"]), 400);
  EXPECT_NE(std::string_view(doc["message"]).find("line 5: region: unknown region"),
            std::string_view::npos);
  simdjson::dom::element data = doc["data"];
  EXPECT_FALSE(bool(data["applied"]));
  EXPECT_EQ(int64_t(data["rejected"]), 2);
  simdjson::dom::array errors = data["errors"];
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(int64_t(errors.at(0)["line"]), 5);
  EXPECT_EQ(int64_t(errors.at(1)["line"]), 6);
  EXPECT_EQ(store_->Stats()->batches, 0);
  EXPECT_TRUE(applied_.empty());

  Answer skip = Call(handler_, Authorized(body, "skip_invalid=true"));
  ASSERT_EQ(skip.response.status, 200) << skip.response.body;
  data = ParseBody(parser, skip.response.body)["data"];
  EXPECT_TRUE(bool(data["applied"]));
  EXPECT_EQ(int64_t(data["records"]), 6);
  EXPECT_EQ(int64_t(data["rejected"]), 2);
  EXPECT_EQ(store_->Stats()->daily_cells, 2);
}

}  // namespace
}  // namespace soundtrend::api
