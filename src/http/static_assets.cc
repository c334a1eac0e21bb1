#include "http/static_assets.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/error.h"

namespace soundtrend::http {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

struct TypeOf {
  std::string_view extension;
  std::string_view type;
  bool text;
};
constexpr TypeOf kTypes[] = {
    {".html", "text/html; charset=utf-8", true},
    {".js", "text/javascript; charset=utf-8", true},
    {".mjs", "text/javascript; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json", true},
    {".map", "application/json", true},
    {".svg", "image/svg+xml", true},
    {".txt", "text/plain; charset=utf-8", true},
    {".png", "image/png", false},
    {".jpg", "image/jpeg", false},
    {".webp", "image/webp", false},
    {".ico", "image/x-icon", false},
    {".woff2", "font/woff2", false},
};

const TypeOf* TypeEntry(std::string_view name) {
  for (const TypeOf& t : kTypes) {
    if (name.size() >= t.extension.size() &&
        name.substr(name.size() - t.extension.size()) == t.extension) {
      return &t;
    }
  }
  return nullptr;
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string{};
}

std::string EtagOf(std::string_view data) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64: a cache validator, not a security hash
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, h, 16);
  return "\"" + std::string(buf, end) + "-" + std::to_string(data.size()) + "\"";
}

StaticFile MakeFile(std::string name, std::string body) {
  StaticFile f;
  const TypeOf* type = TypeEntry(name);
  f.content_type = type != nullptr ? type->type : "application/octet-stream";
  f.html = type != nullptr && type->extension == ".html";
  if (type != nullptr && type->text && body.size() >= 256) {
    std::string gz = Gzip(body);
    if (!gz.empty() && gz.size() * 10 <= body.size() * 9) f.gzip_body = std::move(gz);
  }
  f.etag = EtagOf(body);
  f.cache_control = name.starts_with("assets/") ? kImmutable : kRevalidate;
  f.name = std::move(name);
  f.body = std::move(body);
  return f;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// True when an If-None-Match value lists `etag` (weak comparison, RFC 9110 13.1.2).
bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const size_t comma = if_none_match.find(',');
    std::string_view tag = Trim(if_none_match.substr(0, comma));
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

// The ETag of the gzip representation: a distinct strong validator.
std::string GzipEtag(const std::string& etag) { return etag.substr(0, etag.size() - 1) + "-gz\""; }

Response Serve(const StaticFile& file, const Request& request,
               const std::vector<std::pair<std::string, std::string>>& html_headers) {
  Response r;
  r.content_type = file.content_type;
  const bool gzip = !file.gzip_body.empty() && AcceptsGzip(request.header("Accept-Encoding"));
  const std::string etag = gzip ? GzipEtag(file.etag) : file.etag;
  r.headers.emplace_back("Cache-Control", file.cache_control);
  r.headers.emplace_back("ETag", etag);
  if (!file.gzip_body.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (file.html) {
    for (const auto& h : html_headers) r.headers.push_back(h);
  }
  const std::string_view if_none_match = request.header("If-None-Match");
  if (!if_none_match.empty() &&
      (EtagMatches(if_none_match, file.etag) ||
       (!file.gzip_body.empty() && EtagMatches(if_none_match, GzipEtag(file.etag))))) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (gzip) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = file.gzip_body;
  } else {
    r.body = file.body;
  }
  return r;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view name) {
  const TypeOf* t = TypeEntry(name);
  return t != nullptr ? t->type : "application/octet-stream";
}

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    const size_t semi = item.find(';');
    const std::string_view coding = Trim(item.substr(0, semi));
    if (IEquals(coding, "gzip") || IEquals(coding, "x-gzip") || coding == "*") {
      bool zero = false;
      if (semi != std::string_view::npos) {
        std::string_view params = Trim(item.substr(semi + 1));
        if (params.size() >= 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
          std::string_view q = Trim(params.substr(2));
          zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
        }
      }
      if (!zero) return true;
    }
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return false;
}

Result<std::shared_ptr<const StaticAssets>> StaticAssets::LoadDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("no directory " + dir);
  std::vector<std::pair<std::string, std::string>> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
    const std::string leaf = it->path().filename().string();
    if (!leaf.empty() && leaf[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in.good() && !in.eof()) return Status::IoError("cannot read " + it->path().string());
    files.emplace_back(fs::relative(it->path(), dir).generic_string(), std::move(bytes).str());
  }
  return FromFiles(std::move(files));
}

std::shared_ptr<const StaticAssets> StaticAssets::FromFiles(
    std::vector<std::pair<std::string, std::string>> files) {
  auto assets = std::make_shared<StaticAssets>();
  for (auto& [name, body] : files) assets->files_.push_back(MakeFile(name, std::move(body)));
  std::sort(assets->files_.begin(), assets->files_.end(),
            [](const StaticFile& a, const StaticFile& b) { return a.name < b.name; });
  return assets;
}

const StaticFile* StaticAssets::Find(std::string_view name) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), name,
                             [](const StaticFile& f, std::string_view n) { return f.name < n; });
  return it != files_.end() && it->name == name ? &*it : nullptr;
}

Handler MakeStaticHandler(std::shared_ptr<const StaticAssets> assets,
                          StaticHandlerOptions options) {
  return [assets = std::move(assets), options = std::move(options)](const Request& request,
                                                                    Respond respond) {
    std::string_view name = request.path;
    if (name.starts_with(options.url_prefix)) name.remove_prefix(options.url_prefix.size());
    const StaticFile* file = name.empty() ? assets->Find(options.index) : assets->Find(name);
    // A client-side route of the app (no file, not an asset): the app's page.
    if (file == nullptr && !options.fallback.empty() && !name.starts_with("assets/")) {
      file = assets->Find(options.fallback);
    }
    if (file == nullptr) {
      return respond(ErrorResponse(404, DefaultMessage(404), request.request_id));
    }
    respond(Serve(*file, request, options.html_headers));
  };
}

Handler MakeStaticFileHandler(std::shared_ptr<const StaticAssets> assets, std::string name,
                              std::vector<std::pair<std::string, std::string>> html_headers) {
  return [assets = std::move(assets), name = std::move(name),
          html_headers = std::move(html_headers)](const Request& request, Respond respond) {
    const StaticFile* file = assets->Find(name);
    if (file == nullptr) {
      return respond(ErrorResponse(404, DefaultMessage(404), request.request_id));
    }
    respond(Serve(*file, request, html_headers));
  };
}

}  // namespace soundtrend::http
