// The dashboard's pages and the /docs page: the Vite build of web/ (web/dist), loaded from a
// directory when the server starts and served from memory by http/static_assets.h.
//
//   /dashboard        -> 308 to /dashboard/
//   /dashboard/...    -> the built files (assets/ content-hashed and immutable; index.html
//                        for the app's own routes, revalidated)
//   /docs             -> docs.html (the API reference, rendered in the browser from
//                        /openapi.json)
// Every page carries kContentSecurityPolicy and the other kPageHeaders.
//
// Without a build (no index.html in the directory, e.g. a build without npm): /dashboard/...
// answers 503 with a short page saying how to build it, and /docs keeps the server-rendered
// reference (api::MakeDocsHandler).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/router.h"

namespace soundtrend::dashboard {

// No inline script or style anywhere, nothing from another origin but images (sound covers
// are the platform's URLs), no framing, no plugins, forms only to ourselves.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// The headers of every page (HTML) the site serves.
std::vector<std::pair<std::string, std::string>> PageHeaders();

struct SiteStatus {
  bool built = false;  // the web build was found and is served
  size_t files = 0;
  std::string message;  // what was loaded, or why not (for the log)
};

// Registers the routes above, serving the build found in `web_dir` (empty: none).
SiteStatus AddSiteRoutes(http::Router& router, const std::string& web_dir);

}  // namespace soundtrend::dashboard
