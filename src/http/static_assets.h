// Static files (a built web app) served from memory.
//
// StaticAssets is an immutable set of files loaded once, when the server starts (from a
// directory, or from files given in memory). For every file it keeps, computed once at load
// time: its content type (by extension), its gzip form (when the file is text and gzip
// saves at least a tenth; compressed once, never per request), an ETag and its caching
// policy:
//   - files under `assets/` are content-hashed by the build (Vite names them
//     `assets/NAME-HASH.EXT`): `Cache-Control: public, max-age=31536000, immutable`;
//   - every other file (the HTML pages): `Cache-Control: no-cache` (the browser revalidates
//     with If-None-Match and gets a 304 while the file is the same).
//
// MakeStaticHandler serves them under a URL prefix: gzip when the request accepts it
// (Accept-Encoding, q > 0), `Vary: Accept-Encoding` on compressible files, 304 for a
// matching If-None-Match, `X-Content-Type-Options: nosniff` always, plus the caller's
// headers (e.g. Content-Security-Policy) on HTML. A path with no file: the fallback file
// when one is set (a single-page app's index.html, for its client-side routes; never for
// paths under `assets/`), else 404 (the JSON error envelope). Thread-safe: read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/handler.h"

namespace soundtrend::http {

struct StaticFile {
  std::string name;  // path relative to the root, '/'-separated: "assets/index-abc.js"
  std::string content_type;
  std::string body;
  std::string gzip_body;  // empty: served uncompressed only
  std::string etag;       // quoted strong ETag
  std::string cache_control;
  bool html = false;
};

class StaticAssets {
 public:
  // Every regular file under `dir`, recursively (hidden files and directories skipped).
  // NotFound when `dir` is not a directory; IoError when a file cannot be read.
  static Result<std::shared_ptr<const StaticAssets>> LoadDirectory(const std::string& dir);
  // The given (name, bytes) pairs; for tests and embedded files.
  static std::shared_ptr<const StaticAssets> FromFiles(
      std::vector<std::pair<std::string, std::string>> files);

  // The file called `name` ("index.html", "assets/x.js"), or null.
  const StaticFile* Find(std::string_view name) const;
  const std::vector<StaticFile>& files() const { return files_; }  // sorted by name

 private:
  std::vector<StaticFile> files_;
};

// The content type soundtrend serves a file with, from its name's extension
// ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view name);

// True when `accept_encoding` (an Accept-Encoding header value) accepts gzip: a "gzip"
// (or "x-gzip", or "*") token whose q is not 0.
bool AcceptsGzip(std::string_view accept_encoding);

struct StaticHandlerOptions {
  // The URL prefix the files live under, starting and ending with '/' ("/dashboard/").
  // Request path PREFIX + NAME serves file NAME; the prefix itself serves `index`.
  std::string url_prefix = "/";
  std::string index = "index.html";
  // Served (status 200, its own caching) for a path under the prefix with no file, except
  // under assets/; empty: 404.
  std::string fallback;
  // Added to every HTML response (Content-Security-Policy, Referrer-Policy, ...).
  std::vector<std::pair<std::string, std::string>> html_headers;
};

// Serves `assets` under options.url_prefix (register it with Router::AddPrefix).
Handler MakeStaticHandler(std::shared_ptr<const StaticAssets> assets, StaticHandlerOptions options);

// Serves the single file `name` of `assets` whatever the path (for an exact route such as
// "/docs"), with the same headers, gzip and revalidation as above. 404 when absent.
Handler MakeStaticFileHandler(std::shared_ptr<const StaticAssets> assets, std::string name,
                              std::vector<std::pair<std::string, std::string>> html_headers);

}  // namespace soundtrend::http
