#include "api/admin_ingest.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "api/admin_keys.h"
#include "common/json_writer.h"
#include "http/error.h"

namespace soundtrend::api {
namespace {

constexpr std::string_view kAdminUnauthorized = "admin token is invalid";
constexpr size_t kMaxBatchIdBytes = 200;

// One thread running queued jobs in FIFO order; drains the queue before it stops.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stop_ and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the members above exist
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

http::Response BadParameter(std::string_view name, std::string_view rule,
                            std::string_view request_id) {
  return http::ErrorResponse(
      400, "Invalid parameter: " + std::string(name) + " " + std::string(rule), request_id);
}

std::string ReportJson(const ingest::IngestReport& r) {
  const bool applied = !r.refused && !r.already_applied;
  std::string out = "{\"batch_id\":";
  json::AppendString(out, r.batch_id);
  out += ",\"applied\":";
  json::AppendBool(out, applied);
  out += ",\"already_applied\":";
  json::AppendBool(out, r.already_applied);
  auto num = [&](std::string_view name, int64_t v) {
    out += ",\"";
    out += name;
    out += "\":";
    json::AppendInt(out, v);
  };
  num("records", r.records);
  num("rejected", r.rejected);
  num("sounds", r.sounds);
  num("cells", r.cells);
  num("videos", r.videos);
  out += ",\"errors\":[";
  for (size_t i = 0; i < r.errors.size(); ++i) {
    if (i) out += ',';
    out += "{\"line\":";
    json::AppendInt(out, r.errors[i].line);
    out += ",\"reason\":";
    json::AppendString(out, r.errors[i].reason);
    out += '}';
  }
  out += "]}";
  return out;
}

// The refusal of a batch with invalid records: 400 with the report as data.
http::Response RefusedResponse(const ingest::IngestReport& r, std::string_view request_id) {
  std::string message = "Invalid batch: " + std::to_string(r.rejected) + " invalid record" +
                        (r.rejected == 1 ? "" : "s") + ", nothing stored";
  for (size_t i = 0; i < r.errors.size() && i < 3; ++i) {
    message += "; line " + std::to_string(r.errors[i].line) + ": " + r.errors[i].reason;
  }
  http::Response resp;
  resp.status = 400;
  resp.body = "{\"code\":400,\"data\":";
  resp.body += ReportJson(r);
  resp.body += ",\"message\":";
  json::AppendString(resp.body, message);
  resp.body += ",\"requestId\":";
  json::AppendString(resp.body, request_id);
  resp.body += '}';
  return resp;
}

// The input-level failures a client can fix (format, gzip, over-long record) are 400;
// storage and the rest are 500 with the details in the log only.
http::Response FailureResponse(const Status& status, std::string_view request_id) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kCorruption:
    case Status::Code::kFailedPrecondition:
      return http::ErrorResponse(400, "Invalid body: " + status.message(), request_id);
    default:
      spdlog::error("POST {} failed (request {}): {}", kAdminIngestPath, request_id,
                    status.message());
      return http::ErrorResponse(500, http::kInternalErrorMessage, request_id);
  }
}

struct Job {
  std::string_view body;  // valid until respond is called
  std::string request_id;
  ingest::IngestOptions options;
  http::Respond respond;
};

}  // namespace

http::Handler MakeAdminIngestHandler(AdminIngestDeps deps) {
  auto shared = std::make_shared<const AdminIngestDeps>(std::move(deps));
  auto worker = std::make_shared<Worker>();
  return [shared, worker](const http::Request& request, http::Respond respond) {
    const AdminIngestDeps& d = *shared;
    if (!d.auth.IsAuthorized(request.header("Authorization"))) {
      respond(http::ErrorResponse(401, kAdminUnauthorized, request.request_id));
      return;
    }
    Job job;
    job.body = request.body;
    job.request_id = std::string(request.request_id);
    std::optional<std::string> skip = FindQueryValue(request.query, "skip_invalid");
    if (skip) {
      if (*skip == "true" || *skip == "1") {
        job.options.skip_invalid = true;
      } else if (!(*skip == "false" || *skip == "0")) {
        respond(BadParameter("skip_invalid", "must be true or false", request.request_id));
        return;
      }
    }
    std::optional<std::string> batch_id = FindQueryValue(request.query, "batch_id");
    if (!batch_id) {
      std::string_view key = Trim(request.header("Idempotency-Key"));
      if (!key.empty()) batch_id = std::string(key);
    }
    if (batch_id) {
      bool ok = !batch_id->empty() && batch_id->size() <= kMaxBatchIdBytes;
      for (char c : *batch_id) ok = ok && c > ' ' && c < 0x7f && c != '#';
      if (!ok) {
        respond(BadParameter("batch_id",
                             "must be 1 to 200 printable ASCII characters without spaces or '#'",
                             request.request_id));
        return;
      }
      job.options.batch_id = *batch_id;
    }
    std::string_view encoding = Trim(request.header("Content-Encoding"));
    const bool gzip_magic = job.body.size() >= 2 &&
                            static_cast<unsigned char>(job.body[0]) == 0x1f &&
                            static_cast<unsigned char>(job.body[1]) == 0x8b;
    if (EqualsIgnoreCase(encoding, "gzip") || EqualsIgnoreCase(encoding, "x-gzip")) {
      if (!gzip_magic) {
        respond(http::ErrorResponse(
            400, "Invalid body: Content-Encoding is gzip but the body is not", request.request_id));
        return;
      }
    } else if (!encoding.empty() && !EqualsIgnoreCase(encoding, "identity")) {
      respond(http::ErrorResponse(400, "Invalid body: Content-Encoding must be gzip or identity",
                                  request.request_id));
      return;
    }
    job.respond = std::move(respond);
    worker->Post([shared, job = std::move(job)]() mutable {
      Result<ingest::IngestReport> report =
          shared->run_ingest ? shared->run_ingest("body", job.body, job.options)
                             : Result<ingest::IngestReport>(
                                   Status::Internal("admin ingest: no run_ingest configured"));
      http::Response response;
      if (!report.ok()) {
        response = FailureResponse(report.status(), job.request_id);
      } else if (report->refused) {
        response = RefusedResponse(*report, job.request_id);
      } else {
        response = GatewaySuccessResponse(ReportJson(*report), job.request_id);
      }
      job.respond(std::move(response));
    });
  };
}

void AddAdminIngestRoute(http::Router& router, AdminIngestDeps deps) {
  // The token is checked before the body (up to 256 MiB) is read.
  http::RouteOptions options = AdminRouteOptions(deps.auth, kAdminIngestBodyLimit);
  router.Add("POST", std::string(kAdminIngestPath), MakeAdminIngestHandler(std::move(deps)),
             options);
}

Result<ingest::IngestReport> IngestBody(store::ChartStore& store, const Clock& clock,
                                        std::string_view name, std::string_view body,
                                        const ingest::IngestOptions& options) {
  ingest::Ingester ingester(store, clock, options);
  return ingester.IngestBuffer(name, body, ingest::InputFormat::kNdjson);
}

}  // namespace soundtrend::api
