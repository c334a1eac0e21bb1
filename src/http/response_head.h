// The status line and header block of a response, as bytes on the wire. The server writes
// them and the body as one gather write; building them here (instead of through Beast's
// response serializer) costs one append per header into a buffer the connection reuses.
#pragma once

#include <string>
#include <string_view>

#include "http/handler.h"

namespace soundtrend::http {

struct ResponseHeadFields {
  std::string_view date;        // IMF-fixdate, e.g. "Sun, 29 Nov 2026 18:00:00 GMT"
  std::string_view request_id;  // X-Request-Id
  bool keep_alive = true;       // false: "Connection: close"
  size_t content_length = 0;    // of the body a GET would carry (also for HEAD)
  std::string_view server;      // the Server header's value; empty: no Server header
};

// Replaces `out` with "HTTP/1.1 <status> <reason>\r\n", then Date, Server (when
// set), Content-Type (the
// response's, unless empty), X-Request-Id, the response's extra headers in order,
// Connection: close when not keep-alive, Content-Length (not for 304 and 204, which have no
// body), and the blank line. An extra header whose name or value
// holds CR or LF (header injection) is left out.
void AppendResponseHead(const Response& response, const ResponseHeadFields& fields,
                        std::string& out);

}  // namespace soundtrend::http
