// POST /admin/v1/ingest: the same NDJSON records as `soundtrend ingest` (docs/formats.md),
// uploaded as the request body.
//
//   POST /admin/v1/ingest[?batch_id=ID][&skip_invalid=true]
//   Authorization: Bearer <admin token>          (customer keys are refused: 401)
//   Content-Encoding: gzip                        (optional; a body starting with the gzip
//                                                  magic bytes is also read as gzip)
//   Idempotency-Key: ID                           (optional; the query's batch_id wins)
//   body: NDJSON records
//
// The admin token is checked once the header is read, before the body is: a wrong token is
// answered 401 without reading (or buffering) a byte of it.
// The batch id defaults to "sha256:<hex>" of the body's content (decompressed when gzip). Loading
// the same batch id again changes nothing and answers applied=false, already_applied=true.
// Responses use the docs/api.md §2 envelope:
//   200 data {"batch_id","applied","already_applied","records","rejected","sounds","cells",
//             "videos","errors":[{"line","reason"}]}   (errors: the first 100 rejected)
//   400 a batch with an invalid record and no skip_invalid: nothing stored; the message
//       names the first errors and `data` carries the same object as a 200 (applied=false)
//   400 bad query or a body that is not readable (corrupt gzip)
//   401 wrong or missing admin token; 500 storage failure (details in the log only).
//
// Threading: the ingest never runs on the HTTP event loop. The handler object owns one
// worker thread; requests are queued FIFO and run one at a time, and Respond is called
// from the worker. The worker stops (after finishing the queue) when the last copy of the
// handler is destroyed.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "gateway/admin_auth.h"
#include "http/handler.h"
#include "http/router.h"
#include "ingest/ingester.h"
#include "store/chart_store.h"

namespace soundtrend::api {

inline constexpr std::string_view kAdminIngestPath = "/admin/v1/ingest";
inline constexpr size_t kAdminIngestBodyLimit = size_t{256} << 20;  // 256 MiB

struct AdminIngestDeps {
  gateway::AdminAuth auth{""};
  // Ingests one body (NDJSON, plain or gzip) with `options` (batch_id, skip_invalid set by
  // the handler). Called on the handler's worker thread, one call at a time. This is
  // where the server serializes store access and feeds applied batches to the publisher
  // (by wrapping options.on_batch_applied); IngestBody below does the ingest itself.
  std::function<Result<ingest::IngestReport>(std::string_view name, std::string_view body,
                                             const ingest::IngestOptions& options)>
      run_ingest;
};

// The handler for POST /admin/v1/ingest (see above). Copies share one worker thread.
http::Handler MakeAdminIngestHandler(AdminIngestDeps deps);

// Registers the handler on kAdminIngestPath with body limit kAdminIngestBodyLimit.
void AddAdminIngestRoute(http::Router& router, AdminIngestDeps deps);

// The plain ingest of one request body into `store`: an ingest::Ingester over the body as
// NDJSON (gzip detected by its magic bytes). For run_ingest implementations.
Result<ingest::IngestReport> IngestBody(store::ChartStore& store, const Clock& clock,
                                        std::string_view name, std::string_view body,
                                        const ingest::IngestOptions& options);

}  // namespace soundtrend::api
