#include "http/error.h"

#include "common/json_writer.h"

namespace soundtrend::http {

std::string ErrorBody(int status, std::string_view message, std::string_view request_id) {
  std::string body;
  body.reserve(64 + message.size() + request_id.size());
  body += "{\"code\":";
  json::AppendInt(body, status);
  body += ",\"data\":null,\"message\":";
  json::AppendString(body, message);
  body += ",\"requestId\":";
  json::AppendString(body, request_id);
  body += '}';
  return body;
}

Response ErrorResponse(int status, std::string_view message, std::string_view request_id) {
  Response r;
  r.status = status;
  r.body = ErrorBody(status, message, request_id);
  return r;
}

std::string_view DefaultMessage(int status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 408:
      return "Request timeout";
    case 413:
      return "Request body too large";
    case 431:
      return "Request header fields too large";
    case 500:
      return kInternalErrorMessage;
    case 503:
      return "Service unavailable";
    default:
      return "Error";
  }
}

}  // namespace soundtrend::http
