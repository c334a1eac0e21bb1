// The OpenAPI 3.1 document: the one description of every endpoint (see openapi.h).
#include "api/openapi.h"

namespace soundtrend::api {

namespace {

constexpr std::string_view kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "soundtrend",
    "version": "0.1.0",
    "summary": "Self-hosted per-region charts of trending TikTok sounds.",
    "description": "soundtrend computes per-region charts of trending sounds from usage data and serves them with the same contract as the public `GET /v1/tiktok/trending/music` endpoint: a client written against that reference works unchanged with only the base URL and the key swapped.\n\nAuthentication: `Authorization: Bearer sk_live_...` on customer endpoints; `Authorization: Bearer <admin token>` on `/admin/v1/*`.\n\nEvery response, errors included, is JSON with a `requestId` equal to the `X-Request-Id` header. Errors have HTTP status = `code`, `data` null and a clear `message`."
  },
  "servers": [{"url": "http://127.0.0.1:8080", "description": "Local soundtrend"}],
  "tags": [
    {"name": "Charts", "description": "Trending music charts (paid, 2 credits per successful request)."},
    {"name": "Account", "description": "The calling key's own account."},
    {"name": "Admin", "description": "Key, credit, ledger and data management; admin token required."},
    {"name": "Operations", "description": "Health, metrics and documentation; no authentication."}
  ],
  "paths": {
    "/v1/tiktok/trending/music": {
      "get": {
        "tags": ["Charts"],
        "summary": "Trending Music",
        "description": "The current chart of trending sounds for one region and period, with usage counts, movement and a daily (7, 30 days) or weekly (120 days) popularity trend. Costs 2 credits per successful request; failed requests cost nothing. Checks, in order: key (401), endpoint permission (403), rate limit (429), parameters (400), balance (402).",
        "operationId": "getTrendingMusic",
        "security": [{"apiKey": []}],
        "parameters": [
          {"name": "search_keyword", "in": "query", "required": false, "description": "`FALSE` (any case) or empty: no search. Any other string: search titles and authors of every sound used in the region during the window (case- and accent-insensitive); results keep their full-ranking `rank` and have `is_search: true`.", "schema": {"type": "string", "default": "FALSE"}, "example": "FALSE"},
          {"name": "page", "in": "query", "required": false, "description": "Page number, integer >= 1. A page past the end is an empty list with `has_more: false`.", "schema": {"type": "string", "pattern": "^[0-9]+$", "default": "1"}, "example": "1"},
          {"name": "limit", "in": "query", "required": false, "description": "Page size, integer >= 1; values above 20 are served as 20.", "schema": {"type": "string", "pattern": "^[0-9]+$", "default": "20"}, "example": "20"},
          {"name": "period", "in": "query", "required": false, "description": "Chart window in days.", "schema": {"type": "string", "enum": ["7", "30", "120"], "default": "7"}, "example": "7"},
          {"name": "region", "in": "query", "required": false, "description": "Region code (any case), one of `GET /v1/tiktok/regions`. `GB`, not `UK`.", "schema": {"type": "string", "default": "US"}, "example": "US"},
          {"name": "new_to_top_100", "in": "query", "required": false, "description": "`true`: only sounds never on this region and period's top 100 before the current window. Any case.", "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}, "example": "false"},
          {"name": "commercial_music", "in": "query", "required": false, "description": "`true`: only sounds in the commercial music library (`if_cml`). Any case.", "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}, "example": "false"}
        ],
        "responses": {
          "200": {
            "description": "The requested page of the chart.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
              "RateLimit": {"$ref": "#/components/headers/RateLimit"},
              "X-Credits-Remaining": {"$ref": "#/components/headers/X-Credits-Remaining"}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TrendingMusicResponse"}}}
          },
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "402": {"$ref": "#/components/responses/PaymentRequired"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "500": {"$ref": "#/components/responses/InternalError"}
        },
        "x-codeSamples": [
          {"lang": "curl", "label": "cURL", "source": "curl --request GET \\\n  --url 'http://127.0.0.1:8080/v1/tiktok/trending/music?search_keyword=FALSE&page=1&limit=20&period=7&region=US&new_to_top_100=false&commercial_music=false' \\\n  --header 'Authorization: Bearer <YOUR_API_KEY>'"}
        ]
      }
    },
    "/v1/tiktok/regions": {
      "get": {
        "tags": ["Charts"],
        "summary": "Regions",
        "description": "The 71 chart regions: code and English name. Free, no key needed.",
        "operationId": "getRegions",
        "security": [],
        "responses": {
          "200": {"description": "The region table.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RegionsResponse"}}}},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/v1/account": {
      "get": {
        "tags": ["Account"],
        "summary": "Account",
        "description": "The calling key's balance, limits and usage. Free; subject to the key's rate limit; allowed for every valid key whatever its endpoint list.",
        "operationId": "getAccount",
        "security": [{"apiKey": []}],
        "responses": {
          "200": {
            "description": "The key's account.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
              "RateLimit": {"$ref": "#/components/headers/RateLimit"},
              "X-Credits-Remaining": {"$ref": "#/components/headers/X-Credits-Remaining"}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AccountResponse"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/admin/v1/keys": {
      "get": {
        "tags": ["Admin"],
        "summary": "List keys",
        "description": "Every key (never the key itself nor its hash).",
        "operationId": "listKeys",
        "security": [{"adminToken": []}],
        "responses": {
          "200": {"description": "The keys.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KeyListResponse"}}}},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      },
      "post": {
        "tags": ["Admin"],
        "summary": "Create a key",
        "description": "Creates a key. The key (`sk_live_...`) is in this response only; the server stores its SHA-256.",
        "operationId": "createKey",
        "security": [{"adminToken": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewKey"}}}},
        "responses": {
          "200": {"description": "The new key.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatedKeyResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/admin/v1/keys/revoke": {
      "post": {
        "tags": ["Admin"],
        "summary": "Revoke a key",
        "description": "Revokes a key at once: its next request gets 401 `apiKey is invalid`.",
        "operationId": "revokeKey",
        "security": [{"adminToken": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KeyIdBody"}}}},
        "responses": {
          "200": {"description": "Revoked.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RevokedResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/admin/v1/credits/grant": {
      "post": {
        "tags": ["Admin"],
        "summary": "Grant credits",
        "description": "Adds credits to a key. Idempotent by `grant_id`: the same grant applied twice adds once (`applied: false` the second time); reusing a grant id with another key or amount is a 409.",
        "operationId": "grantCredits",
        "security": [{"adminToken": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Grant"}}}},
        "responses": {
          "200": {"description": "The grant and the new balance.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GrantResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/admin/v1/ledger": {
      "get": {
        "tags": ["Admin"],
        "summary": "A key's ledger",
        "description": "The latest `limit` ledger entries of a key (grants, charges), oldest first.",
        "operationId": "getLedger",
        "security": [{"adminToken": []}],
        "parameters": [
          {"name": "key_id", "in": "query", "required": true, "description": "The key's public id.", "schema": {"type": "string"}},
          {"name": "limit", "in": "query", "required": false, "description": "Entries to return, integer >= 1.", "schema": {"type": "string", "pattern": "^[0-9]+$", "default": "100"}}
        ],
        "responses": {
          "200": {"description": "Ledger entries.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LedgerResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/admin/v1/ledger.csv": {
      "get": {
        "tags": ["Admin"],
        "summary": "Ledger export (CSV)",
        "description": "Every ledger entry, of one key or of all keys, as CSV.",
        "operationId": "exportLedger",
        "security": [{"adminToken": []}],
        "parameters": [
          {"name": "key_id", "in": "query", "required": false, "description": "Only this key's entries.", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "CSV with a header line.", "content": {"text/csv": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/admin/v1/ingest": {
      "post": {
        "tags": ["Admin"],
        "summary": "Ingest usage data",
        "description": "Loads NDJSON records (the formats of `soundtrend ingest`: sounds, daily uses, raw uses, videos; see docs/formats.md) from the request body, plain or gzip, as one batch applied all-or-nothing and at most once. The batch id is `batch_id`, else the `Idempotency-Key` header, else `sha256:<hex>` of the body; loading the same id again changes nothing (`already_applied: true`). New data is published to the charts within moments (only closed days are charted). Body limit 256 MiB; `Expect: 100-continue` is supported.",
        "operationId": "ingest",
        "security": [{"adminToken": []}],
        "parameters": [
          {"name": "batch_id", "in": "query", "required": false, "description": "The batch's idempotency id (at most 200 bytes).", "schema": {"type": "string"}},
          {"name": "skip_invalid", "in": "query", "required": false, "description": "`true`: store the valid records and report the invalid ones; `false`: a batch with any invalid record is refused whole (400, nothing stored).", "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}},
          {"name": "Idempotency-Key", "in": "header", "required": false, "description": "The batch id when `batch_id` is not given.", "schema": {"type": "string"}},
          {"name": "Content-Encoding", "in": "header", "required": false, "description": "`gzip` for a gzip body (a body starting with the gzip magic bytes is read as gzip anyway).", "schema": {"type": "string", "enum": ["gzip", "identity"]}}
        ],
        "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string", "description": "One JSON record per line."}}}},
        "responses": {
          "200": {"description": "The batch was applied, or had been applied before.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResponse"}}}},
          "400": {"description": "Refused: an invalid record without `skip_invalid` (nothing stored; `data` is the report, with the first 100 errors), a bad parameter, or an unreadable body (`data` null).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestRefusal"}}}},
          "401": {"$ref": "#/components/responses/AdminUnauthorized"},
          "413": {"description": "The body exceeds 256 MiB.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/healthz": {
      "get": {
        "tags": ["Operations"],
        "summary": "Health",
        "description": "Liveness: 200 while the server runs, with the day of the chart being served.",
        "operationId": "getHealth",
        "security": [],
        "responses": {
          "200": {"description": "Alive.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": ["Operations"],
        "summary": "Prometheus metrics",
        "description": "Requests by route and status, latency histogram, snapshot age, in the Prometheus text format.",
        "operationId": "getMetrics",
        "security": [],
        "responses": {
          "200": {"description": "Prometheus text exposition format 0.0.4.", "content": {"text/plain": {"schema": {"type": "string"}}}}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "tags": ["Operations"],
        "summary": "This OpenAPI document",
        "operationId": "getOpenApi",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1 JSON.", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/docs": {
      "get": {
        "tags": ["Operations"],
        "summary": "HTML documentation",
        "description": "Human-readable reference generated from this document.",
        "operationId": "getDocs",
        "security": [],
        "responses": {"200": {"description": "HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}}
      }
    },
    "/llms.txt": {
      "get": {
        "tags": ["Operations"],
        "summary": "Summary for language models",
        "operationId": "getLlmsTxt",
        "security": [],
        "responses": {"200": {"description": "Plain text.", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    }
  },
  "components": {
    "securitySchemes": {
      "apiKey": {"type": "http", "scheme": "bearer", "description": "Customer API key: `sk_live_` followed by at least 32 base62 characters, shown once at creation."},
      "adminToken": {"type": "http", "scheme": "bearer", "description": "The server's admin token (`--admin-token` or SOUNDTREND_ADMIN_TOKEN). Customer keys are never accepted here."}
    },
    "headers": {
      "X-Request-Id": {"description": "The request's id (UUID v4), equal to `requestId` in the body.", "schema": {"type": "string", "format": "uuid"}},
      "RateLimit-Policy": {"description": "The key's rate-limit policy (IETF httpapi RateLimit headers draft).", "schema": {"type": "string"}},
      "RateLimit": {"description": "The key's remaining rate-limit quota (IETF httpapi RateLimit headers draft).", "schema": {"type": "string"}},
      "X-Credits-Remaining": {"description": "The key's credit balance after this request.", "schema": {"type": "integer"}},
      "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 1}}
    },
    "responses": {
      "BadRequest": {"description": "A parameter is invalid: `Invalid parameter: <name> <rule>`.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"code": 400, "data": null, "message": "Invalid parameter: period must be one of 7, 30, 120", "requestId": "3b515c7d-e2ca-4b32-81dc-3a029504d1d3"}}}},
      "Unauthorized": {"description": "`apiKey is null` (no or malformed Authorization header) or `apiKey is invalid` (unknown, revoked or expired key).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"code": 401, "data": null, "message": "apiKey is null", "requestId": "3b515c7d-e2ca-4b32-81dc-3a029504d1d3"}}}},
      "PaymentRequired": {"description": "`apiKey quota is not enough`: the balance is below the request's cost.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"code": 402, "data": null, "message": "apiKey quota is not enough", "requestId": "3b515c7d-e2ca-4b32-81dc-3a029504d1d3"}}}},
      "Forbidden": {"description": "`apiKey is not allowed to access this endpoint`.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooManyRequests": {"description": "`qps limit exceeded`: the key is over its rate limit; see `Retry-After`.", "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "AdminUnauthorized": {"description": "Missing or wrong admin token (a customer key is never accepted), or the admin API is disabled (no token configured).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Conflict": {"description": "The grant id was used before with another key or amount.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "Unknown path or resource.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "InternalError": {"description": "`Internal server error`; details are in the server log only.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Error": {
        "type": "object",
        "description": "Error envelope; HTTP status = code.",
        "required": ["code", "data", "message", "requestId"],
        "properties": {
          "code": {"type": "integer", "description": "The HTTP status."},
          "data": {"type": "null"},
          "message": {"type": "string", "description": "What went wrong, naming the parameter and the rule for 400."},
          "requestId": {"type": "string", "format": "uuid", "description": "Equal to the X-Request-Id header."}
        }
      },
      "Pagination": {
        "type": "object",
        "required": ["page", "size", "total", "has_more"],
        "properties": {
          "page": {"type": "integer", "minimum": 1, "description": "The page requested."},
          "size": {"type": "integer", "minimum": 1, "maximum": 20, "description": "The page size in effect, after clamping to 20."},
          "total": {"type": "integer", "minimum": 0, "description": "Entries matching the query."},
          "has_more": {"type": "boolean", "description": "page * size < total."}
        }
      },
      "TrendPoint": {
        "type": "object",
        "required": ["time", "value"],
        "properties": {
          "time": {"type": "integer", "description": "Unix seconds at 00:00 UTC of the point's day (120 days: the 7-day bucket's last day)."},
          "value": {"type": "number", "minimum": 0, "maximum": 1, "description": "Uses relative to the window's largest point, two decimals; the largest is 1."}
        }
      },
      "RelatedItem": {
        "type": "object",
        "required": ["item_id", "cover_uri"],
        "properties": {
          "item_id": {"type": "string", "pattern": "^[0-9]+$", "description": "The video's id (a string: ids exceed 2^53)."},
          "cover_uri": {"type": "string", "description": "The video's cover image URL."}
        }
      },
      "Sound": {
        "type": "object",
        "required": ["author", "clip_id", "country_code", "cover", "duration", "if_cml", "is_search", "link", "on_list_times", "promoted", "rank", "rank_diff", "rank_diff_type", "related_items", "song_id", "title", "trend", "url_title", "usage_count"],
        "properties": {
          "author": {"type": "string", "description": "Artist."},
          "clip_id": {"type": "string", "pattern": "^[0-9]+$", "description": "The sound's id on the platform."},
          "country_code": {"type": "string", "description": "The region queried."},
          "cover": {"type": "string", "description": "Cover image URL."},
          "duration": {"type": "integer", "minimum": 0, "description": "Seconds."},
          "if_cml": {"type": "boolean", "description": "In the commercial music library (approved for business use)."},
          "is_search": {"type": "boolean", "description": "True when the request searched."},
          "link": {"type": "string", "description": "https://www.tiktok.com/music/x-<clip_id>"},
          "on_list_times": {"type": ["integer", "null"], "minimum": 0, "description": "Daily editions of this region and period's chart that listed the sound, today's included."},
          "promoted": {"type": "boolean", "description": "Promoted sound."},
          "rank": {"type": "integer", "minimum": 1, "description": "Position in the full ranking, 1 = most used."},
          "rank_diff": {"type": ["integer", "null"], "minimum": 0, "description": "Places moved since the previous window (absolute value); null when new."},
          "rank_diff_type": {"type": "integer", "enum": [1, 2, 3, 4], "description": "1 up, 2 unchanged, 3 down, 4 new (not on the previous window's chart)."},
          "related_items": {"oneOf": [{"type": "array", "maxItems": 4, "items": {"$ref": "#/components/schemas/RelatedItem"}}, {"type": "null"}], "description": "Up to 4 videos that used the sound in the window, most viewed first; null when none is known."},
          "song_id": {"type": "string", "pattern": "^[0-9]+$", "description": "The song's id."},
          "title": {"type": "string", "description": "Song title."},
          "trend": {"type": "array", "items": {"$ref": "#/components/schemas/TrendPoint"}, "description": "Popularity over the window, oldest first: one point per day (7, 30) or per 7-day bucket (120)."},
          "url_title": {"type": "string", "description": "The title as a URL slug (`New Sun` -> `New-Sun`)."},
          "usage_count": {"type": "integer", "minimum": 1, "description": "Videos that used the sound in the region during the window (addition to the reference)."}
        }
      },
      "TrendingMusicData": {
        "type": "object",
        "required": ["pagination", "sound_list"],
        "properties": {
          "pagination": {"$ref": "#/components/schemas/Pagination"},
          "sound_list": {"type": "array", "items": {"$ref": "#/components/schemas/Sound"}}
        }
      },
      "TrendingMusicResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {"$ref": "#/components/schemas/TrendingMusicData"},
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "Region": {
        "type": "object",
        "required": ["code", "name"],
        "properties": {
          "code": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "Two-letter region code."},
          "name": {"type": "string", "description": "English name."}
        }
      },
      "RegionsResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {"type": "object", "required": ["regions"], "properties": {"regions": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}}}},
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "Health": {
        "type": "object",
        "required": ["status", "snapshot_day"],
        "properties": {
          "status": {"type": "string", "const": "ok"},
          "snapshot_day": {"type": ["string", "null"], "format": "date", "description": "The UTC day of the chart being served; null before any data."}
        }
      },
      "AccountResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {"$ref": "#/components/schemas/Account"},
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "Account": {
        "type": "object",
        "required": ["key_id", "name", "balance", "rate_limit", "endpoints", "created_at", "expires_at", "usage"],
        "properties": {
          "key_id": {"type": "string", "description": "The key's public id."},
          "name": {"type": "string"},
          "balance": {"type": "integer", "minimum": 0, "description": "Credits left."},
          "rate_limit": {"$ref": "#/components/schemas/RateLimitSpec"},
          "endpoints": {"type": "array", "items": {"type": "string"}, "description": "Endpoints the key may call."},
          "created_at": {"type": "string", "format": "date-time"},
          "expires_at": {"type": ["string", "null"], "format": "date-time"},
          "usage": {
            "type": "object",
            "required": ["charged_requests", "credits_used", "last_charged_at"],
            "properties": {
              "charged_requests": {"type": "integer", "minimum": 0},
              "credits_used": {"type": "integer", "minimum": 0},
              "last_charged_at": {"type": ["string", "null"], "format": "date-time"}
            }
          }
        }
      },
      "RateLimitSpec": {
        "type": "object",
        "required": ["qps", "burst"],
        "properties": {
          "qps": {"type": "integer", "minimum": 1, "description": "Sustained requests per second."},
          "burst": {"type": "integer", "minimum": 1, "description": "Requests allowed at once."}
        }
      },
      "NewKey": {
        "type": "object",
        "required": ["name"],
        "properties": {
          "name": {"type": "string", "description": "A label for people."},
          "credits": {"type": "integer", "minimum": 0, "description": "Initial credits (a grant)."},
          "qps": {"type": "integer", "minimum": 1, "maximum": 100000},
          "burst": {"type": "integer", "minimum": 1},
          "expires": {"type": ["string", "integer"], "description": "`YYYY-MM-DD` (refused from 00:00 UTC that day) or unix seconds."},
          "endpoints": {"type": "array", "items": {"type": "string"}, "description": "Allowed endpoint paths; default: every customer endpoint."}
        }
      },
      "KeyRecord": {
        "type": "object",
        "required": ["key_id", "name", "qps", "burst", "endpoints", "balance", "created_at", "expires_at", "revoked_at", "charged_requests", "credits_used"],
        "properties": {
          "key_id": {"type": "string"},
          "name": {"type": "string"},
          "qps": {"type": "integer"},
          "burst": {"type": "integer"},
          "endpoints": {"type": "array", "items": {"type": "string"}, "description": "Empty: every customer endpoint."},
          "balance": {"type": "integer", "minimum": 0},
          "created_at": {"type": "string", "format": "date-time"},
          "expires_at": {"type": ["string", "null"], "format": "date-time"},
          "revoked_at": {"type": ["string", "null"], "format": "date-time"},
          "charged_requests": {"type": "integer", "minimum": 0},
          "credits_used": {"type": "integer", "minimum": 0}
        }
      },
      "CreatedKeyResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {
            "type": "object",
            "required": ["key", "key_id", "details"],
            "properties": {
              "key": {"type": "string", "pattern": "^sk_live_[0-9A-Za-z]{32,}$", "description": "The key, shown this once."},
              "key_id": {"type": "string"},
              "details": {"$ref": "#/components/schemas/KeyRecord"}
            }
          },
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "KeyListResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "items": {"$ref": "#/components/schemas/KeyRecord"}}}},
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "KeyIdBody": {
        "type": "object",
        "required": ["key_id"],
        "properties": {"key_id": {"type": "string"}}
      },
      "RevokedResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {"type": "object", "required": ["key_id", "revoked"], "properties": {"key_id": {"type": "string"}, "revoked": {"type": "boolean", "const": true}}},
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "Grant": {
        "type": "object",
        "required": ["key_id", "amount", "grant_id"],
        "properties": {
          "key_id": {"type": "string"},
          "amount": {"type": "integer", "minimum": 1},
          "grant_id": {"type": "string", "description": "Idempotency id of the grant."}
        }
      },
      "GrantResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {
            "type": "object",
            "required": ["key_id", "grant_id", "applied", "balance"],
            "properties": {
              "key_id": {"type": "string"},
              "grant_id": {"type": "string"},
              "applied": {"type": "boolean", "description": "false when this grant id was already applied (nothing added)."},
              "balance": {"type": "integer", "minimum": 0}
            }
          },
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "LedgerEntry": {
        "type": "object",
        "required": ["seq", "time", "key_id", "kind", "reference", "endpoint", "amount", "balance_after"],
        "properties": {
          "seq": {"type": "integer", "description": "Ledger sequence number."},
          "time": {"type": "string", "format": "date-time"},
          "key_id": {"type": "string"},
          "kind": {"type": "string", "enum": ["grant", "charge", "refund"]},
          "reference": {"type": "string", "description": "The grant id, or the charged request's requestId."},
          "endpoint": {"type": "string", "description": "The charged endpoint (empty for grants)."},
          "amount": {"type": "integer", "description": "Credits added (grant) or removed (charge, negative)."},
          "balance_after": {"type": "integer", "minimum": 0}
        }
      },
      "LedgerResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {
            "type": "object",
            "required": ["key_id", "total", "entries"],
            "properties": {
              "key_id": {"type": "string"},
              "total": {"type": "integer", "minimum": 0, "description": "Entries of the key in all."},
              "entries": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerEntry"}}
            }
          },
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "IngestReport": {
        "type": "object",
        "required": ["batch_id", "applied", "already_applied", "records", "rejected", "sounds", "cells", "videos", "errors"],
        "properties": {
          "batch_id": {"type": "string"},
          "applied": {"type": "boolean", "description": "Stored by this request."},
          "already_applied": {"type": "boolean", "description": "The batch id had been applied before; nothing changed."},
          "records": {"type": "integer", "minimum": 0, "description": "Records read."},
          "rejected": {"type": "integer", "minimum": 0, "description": "Invalid records."},
          "sounds": {"type": "integer", "minimum": 0},
          "cells": {"type": "integer", "minimum": 0, "description": "(sound, region, day) usage cells stored."},
          "videos": {"type": "integer", "minimum": 0},
          "errors": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/RecordError"}, "description": "The first invalid records."}
        }
      },
      "RecordError": {
        "type": "object",
        "required": ["line", "reason"],
        "properties": {
          "line": {"type": "integer", "minimum": 0, "description": "1-based line of the record (0: the body as a whole)."},
          "reason": {"type": "string"}
        }
      },
      "IngestResponse": {
        "type": "object",
        "required": ["code", "message", "data", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 0},
          "message": {"type": "string", "const": "success"},
          "data": {"$ref": "#/components/schemas/IngestReport"},
          "requestId": {"type": "string", "format": "uuid"}
        }
      },
      "IngestRefusal": {
        "type": "object",
        "required": ["code", "data", "message", "requestId"],
        "properties": {
          "code": {"type": "integer", "const": 400},
          "data": {"oneOf": [{"$ref": "#/components/schemas/IngestReport"}, {"type": "null"}]},
          "message": {"type": "string"},
          "requestId": {"type": "string", "format": "uuid"}
        }
      }
    }
  }
})json";

}  // namespace

std::string_view OpenApiDocument() { return kDocument; }

}  // namespace soundtrend::api
