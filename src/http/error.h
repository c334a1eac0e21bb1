// The one place where an error becomes an HTTP response (docs/api.md §2 envelope).
//
// Every error the service sends, from the server itself (404, 405, 413, 431, 500) or from
// a handler (400, 401, 402, 403, 429), is built here, so the envelope is always
// {"code":N,"data":null,"message":"...","requestId":"..."} with HTTP status N.
#pragma once

#include <string>
#include <string_view>

#include "http/handler.h"

namespace soundtrend::http {

// The message every 500 carries; details go to the log only.
inline constexpr std::string_view kInternalErrorMessage = "Internal server error";

// The JSON envelope body for an error.
std::string ErrorBody(int status, std::string_view message, std::string_view request_id);

// A complete error response: status, JSON content type, envelope body.
Response ErrorResponse(int status, std::string_view message, std::string_view request_id);

// The canonical message for a status the server produces on its own (404, 405, 408,
// 413, 431, 500...). Handlers pass their own, contract-given messages (docs/api.md §2) instead.
std::string_view DefaultMessage(int status);

}  // namespace soundtrend::http
