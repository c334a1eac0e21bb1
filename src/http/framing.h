// Request framing rules of RFC 9112 that Beast's parser leaves to the server, checked once
// the header is read and before any byte of a body is. Pure functions: no I/O, no state.
//
// Policy (as nginx does; RFC 9112 sections in brackets). Every refusal closes the
// connection, since what follows on it can no longer be framed reliably:
//   - Transfer-Encoding [6.1, 6.3]: accepted only as exactly `chunked` (case-insensitive,
//     one field line). A final coding other than chunked (`gzip`, `identity`,
//     `chunked, gzip`) is 400: the body length cannot be determined. `chunked` after other
//     codings (`gzip, chunked`) is 501: framed, but a coding the server does not implement.
//     Transfer-Encoding in an HTTP/1.0 request, together with Content-Length, or on two
//     field lines is 400.
//   - Content-Length on more than one field line is 400 (Beast itself refuses a malformed
//     or conflicting value).
//   - Host [3.2]: an HTTP/1.1 request without Host, or any request with two, is 400.
//   - Authorization: two field lines are 400 (which one a proxy and the server would each
//     use is not defined).
//   - Request target [3.2]: origin-form (`/path?query`) as it is; absolute-form
//     (`http://host/path?query`, any case of `http`/`https`) is served as its path and
//     query (the Host header is then ignored, as 3.2.2 asks); asterisk-form only for
//     OPTIONS; anything else is 400.
#pragma once

#include <string_view>

namespace soundtrend::http {

// What the server counts while it walks the header's fields.
struct HeaderSummary {
  unsigned version = 11;                 // 10 for HTTP/1.0, 11 for HTTP/1.1
  unsigned host_lines = 0;               // Host field lines
  unsigned authorization_lines = 0;      // Authorization field lines
  unsigned content_length_lines = 0;     // Content-Length field lines
  unsigned transfer_encoding_lines = 0;  // Transfer-Encoding field lines
  std::string_view transfer_encoding;    // the value of the last Transfer-Encoding line
};

struct FramingVerdict {
  int status = 0;            // 0: acceptable; otherwise 400 or 501 (close after it)
  std::string_view message;  // for the error envelope (static text)
  bool ok() const { return status == 0; }
};

FramingVerdict CheckFraming(const HeaderSummary& header);

// The path and query a request target names, or ok=false (400) for a target the server
// does not serve. Views point into `target` (or at static storage for "/" when an
// absolute-form target has no path).
struct RequestTarget {
  bool ok = false;
  std::string_view path;
  std::string_view query;  // without '?'
};
RequestTarget ParseRequestTarget(std::string_view method, std::string_view target);

}  // namespace soundtrend::http
