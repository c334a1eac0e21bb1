// The service's OpenAPI 3.1 document and the documents derived from it.
//
// The document is data: src/api/openapi/openapi.json, compiled into the binary
// (st_embed_files). It is the single description of every endpoint, the customer ones
// and /admin/v1/*, with examples (x-codeSamples in curl, Python and JavaScript; an example
// for every response); /docs (HTML) and /llms.txt are generated from it when the server
// starts, so they cannot drift apart. Its `servers` entry is the relative URL "/", right
// for whichever host and port serve it. To add a route: add its path to openapi.json
// (parameters with patterns the server enforces, every status it answers with an
// example, x-codeSamples), then run the checks in tests/openapi (redocly lint, and the
// contract tests' exchanges validated against the document).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::api {

// The OpenAPI 3.1 document, JSON (the bytes of openapi/openapi.json).
std::string_view OpenApiDocument();

// A readable, self-contained HTML page describing every operation of `openapi_json`
// (parameters, request bodies, responses and their schemas). InvalidArgument when the
// document does not parse.
Result<std::string> RenderDocsHtml(std::string_view openapi_json);

// A plain-text summary for language models (llms.txt convention): what the service is,
// how to authenticate, and one line per operation with its parameters.
Result<std::string> RenderLlmsTxt(std::string_view openapi_json);

}  // namespace soundtrend::api
