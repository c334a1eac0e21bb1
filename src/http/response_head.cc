#include "http/response_head.h"

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <ostream>  // boost/beast/http/status.hpp (Boost 1.74) needs it first

namespace soundtrend::http {
namespace {

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

}  // namespace

void AppendResponseHead(const Response& response, const ResponseHeadFields& fields,
                        std::string& out) {
  out.clear();
  out.append("HTTP/1.1 ");
  AppendNumber(out, static_cast<uint64_t>(response.status));
  out.push_back(' ');
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  AppendHeader(out, "Date", fields.date);
  if (!fields.server.empty()) AppendHeader(out, "Server", fields.server);
  if (!response.content_type.empty()) AppendHeader(out, "Content-Type", response.content_type);
  AppendHeader(out, "X-Request-Id", fields.request_id);
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) continue;
    AppendHeader(out, name, value);
  }
  if (!fields.keep_alive) out.append("Connection: close\r\n");
  // A 304 or 204 has no body and no Content-Length (RFC 9110 8.6).
  if (response.status != 304 && response.status != 204) {
    out.append("Content-Length: ");
    AppendNumber(out, fields.content_length);
    out.append("\r\n");
  }
  out.append("\r\n");
}

}  // namespace soundtrend::http
