// A small synchronous HTTP/1.1 client over Beast for the contract tests: one connection,
// reused across requests (keep-alive) until the server closes it.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace soundtrend::contract {

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
  explicit TestClient(uint16_t port) : stream_(ioc_) {
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
    return Read();
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
};

}  // namespace soundtrend::contract
