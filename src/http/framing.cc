#include "http/framing.h"

namespace soundtrend::http {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr FramingVerdict kOk{};

}  // namespace

FramingVerdict CheckFraming(const HeaderSummary& h) {
  if (h.host_lines > 1) return {400, "Bad request: more than one Host header"};
  if (h.version >= 11 && h.host_lines == 0) return {400, "Bad request: Host header missing"};
  if (h.authorization_lines > 1) return {400, "Bad request: more than one Authorization header"};
  if (h.content_length_lines > 1) {
    return {400, "Bad request: more than one Content-Length header"};
  }
  if (h.transfer_encoding_lines == 0) return kOk;
  if (h.version < 11) return {400, "Bad request: Transfer-Encoding in an HTTP/1.0 request"};
  if (h.transfer_encoding_lines > 1) {
    return {400, "Bad request: more than one Transfer-Encoding header"};
  }
  if (h.content_length_lines > 0) {
    return {400, "Bad request: both Transfer-Encoding and Content-Length"};
  }
  // The codings, comma-separated; empty list elements are allowed and ignored (RFC 9110
  // 5.6.1). Only the final one decides the framing.
  std::string_view rest = h.transfer_encoding;
  std::string_view last;
  size_t codings = 0;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view element = TrimOws(rest.substr(0, comma));
    if (!element.empty()) {
      last = element;
      ++codings;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!EqualsIgnoreCase(last, "chunked")) {
    return {400, "Bad request: Transfer-Encoding must end with chunked"};
  }
  if (codings > 1) return {501, "Transfer-Encoding other than chunked is not implemented"};
  return kOk;
}

RequestTarget ParseRequestTarget(std::string_view method, std::string_view target) {
  RequestTarget t;
  std::string_view path_and_query;
  if (!target.empty() && target.front() == '/') {
    path_and_query = target;
  } else if (StartsWithIgnoreCase(target, "http://") || StartsWithIgnoreCase(target, "https://")) {
    std::string_view rest = target.substr(target.find("//") + 2);
    const size_t end = rest.find_first_of("/?#");
    if (end == 0) return t;  // no authority
    if (end == std::string_view::npos) {
      t.ok = true;
      t.path = "/";
      return t;
    }
    path_and_query = rest.substr(end);
    if (path_and_query.front() == '#') return t;
    if (path_and_query.front() == '?') {
      t.ok = true;
      t.path = "/";
      t.query = path_and_query.substr(1);
      return t;
    }
  } else if (target == "*" && method == "OPTIONS") {
    t.ok = true;
    t.path = "*";
    return t;
  } else {
    return t;
  }
  if (path_and_query.find('#') != std::string_view::npos) return t;  // no fragment on the wire
  const size_t q = path_and_query.find('?');
  t.ok = true;
  t.path = path_and_query.substr(0, q);
  if (q != std::string_view::npos) t.query = path_and_query.substr(q + 1);
  return t;
}

}  // namespace soundtrend::http
