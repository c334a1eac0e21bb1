// A small synchronous HTTP/1.1 client over Beast for the contract tests: one connection,
// reused across requests (keep-alive) until the server closes it.
//
// Recording: when the environment names a directory in ST_EXCHANGE_DIR, every exchange
// made with Request (method, target, headers and bodies of the request and of its
// response) is appended as one JSON line to <dir>/exchanges-<pid>.ndjson, for
// tests/openapi/validate_exchanges.mjs to check against the OpenAPI document. Bodies that
// are not UTF-8 (gzip) are stored in base64.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.h"

namespace soundtrend::contract {

namespace exchange_log {

inline std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    for (int shift : {18, 12, 6}) out += kAlphabet[(v >> shift) & 63];
    out += '=';
  }
  return out;
}

inline void AppendBody(std::string& out, std::string_view field, std::string_view body) {
  out += ",\"";
  out += field;
  if (json::IsValidUtf8(body)) {
    out += "\":";
    json::AppendString(out, body);
  } else {
    out += "_base64\":\"";
    out += Base64(body);
    out += '"';
  }
}

template <typename Headers>
void AppendHeaders(std::string& out, std::string_view field, const Headers& headers) {
  out += ",\"";
  out += field;
  out += "\":{";
  bool first = true;
  for (const auto& [name, value] : headers) {
    if (!json::IsValidUtf8(name) || !json::IsValidUtf8(value)) continue;
    if (!first) out += ',';
    first = false;
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json::AppendString(out, lower);
    out += ':';
    json::AppendString(out, value);
  }
  out += '}';
}

// Appends one line to the process's log file when ST_EXCHANGE_DIR is set.
inline void Write(const std::string& line) {
  static const int fd = [] {
    const char* dir = std::getenv("ST_EXCHANGE_DIR");
    if (dir == nullptr || *dir == 0) return -1;
    const std::string path =
        std::string(dir) + "/exchanges-" + std::to_string(::getpid()) + ".ndjson";
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }();
  if (fd >= 0) {
    const ssize_t n = ::write(fd, line.data(), line.size());
    (void)n;
  }
}

inline bool Enabled() {
  const char* dir = std::getenv("ST_EXCHANGE_DIR");
  return dir != nullptr && *dir != 0;
}

}  // namespace exchange_log

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = false;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "<absent>" : it->second;
  }
};

class TestClient {
 public:
  // `record`: false for a server with routes of the test's own (not the service's): its
  // exchanges are not recorded for the OpenAPI check.
  explicit TestClient(uint16_t port, bool record = true) : stream_(ioc_), record_(record) {
    stream_.expires_after(std::chrono::seconds(20));  // a hung server fails the test
    stream_.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  Reply Request(const std::string& method, const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                std::string body = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [n, v] : headers) req.set(n, v);
    req.body() = std::move(body);
    if (!req.body().empty() || method == "POST") req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(20));
    http::write(stream_, req);
    Reply reply = Read(method == "HEAD");
    if (record_ && exchange_log::Enabled()) {
      std::string line = "{\"method\":";
      json::AppendString(line, method);
      line += ",\"target\":";
      json::AppendString(line, json::IsValidUtf8(target) ? target : "<not utf-8>");
      std::vector<std::pair<std::string, std::string>> sent;
      for (const auto& f : req) sent.emplace_back(f.name_string(), f.value());
      exchange_log::AppendHeaders(line, "request_headers", sent);
      exchange_log::AppendBody(line, "request_body", req.body());
      line += ",\"status\":";
      json::AppendInt(line, reply.status);
      exchange_log::AppendHeaders(line, "response_headers", reply.headers);
      exchange_log::AppendBody(line, "response_body", reply.body);
      line += "}\n";
      exchange_log::Write(line);
    }
    return reply;
  }

  Reply Get(const std::string& target, const std::string& key = "") {
    if (key.empty()) return Request("GET", target);
    return Request("GET", target, {{"Authorization", "Bearer " + key}});
  }

  // Writes raw bytes (to send what a well-behaved client would not).
  void WriteRaw(const std::string& bytes) {
    boost::asio::write(stream_.socket(), boost::asio::buffer(bytes));
  }

  // Reads the response to a HEAD request: header only, whatever Content-Length says.
  Reply ReadHeadResponse() { return Read(/*head=*/true); }

  Reply Read(bool head = false) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head);
    stream_.expires_after(std::chrono::seconds(20));
    http::read(stream_, buffer_, parser);
    auto& res = parser.get();
    Reply r;
    r.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(res.body());
    r.keep_alive = res.keep_alive();
    return r;
  }

  // True when the server has closed the connection (a read returns EOF).
  bool ServerClosed() {
    char c;
    boost::beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(20));
    stream_.socket().read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool record_ = true;
};

}  // namespace soundtrend::contract
