// The service's OpenAPI 3.1 document and the documents derived from it.
//
// The document (openapi_document.cc) is the single description of every endpoint, the
// customer ones and /admin/v1/*; /docs (HTML) and /llms.txt are generated from it when
// the server starts, so they cannot drift apart.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::api {

// The OpenAPI 3.1 document, JSON.
std::string_view OpenApiDocument();

// A readable, self-contained HTML page describing every operation of `openapi_json`
// (parameters, request bodies, responses and their schemas). InvalidArgument when the
// document does not parse.
Result<std::string> RenderDocsHtml(std::string_view openapi_json);

// A plain-text summary for language models (llms.txt convention): what the service is,
// how to authenticate, and one line per operation with its parameters.
Result<std::string> RenderLlmsTxt(std::string_view openapi_json);

}  // namespace soundtrend::api
