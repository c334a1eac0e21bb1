#include "api/openapi.h"

#include <simdjson.h>

#include <algorithm>
#include <vector>

#include "embedded/openapi.h"

namespace soundtrend::api {

std::string_view OpenApiDocument() {
  const EmbeddedFile* file = embedded::openapi::Find("openapi.json");
  return file != nullptr ? file->data : std::string_view("{}");
}

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

void AppendHtmlEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
}

// Escaped text with `code` spans and paragraphs (blank lines) rendered.
void AppendProse(std::string& out, std::string_view s) {
  bool in_code = false;
  std::string text;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '`') {
      AppendHtmlEscaped(out, text);
      text.clear();
      out += in_code ? "</code>" : "<code>";
      in_code = !in_code;
    } else if (s[i] == '\n' && i + 1 < s.size() && s[i + 1] == '\n') {
      AppendHtmlEscaped(out, text);
      text.clear();
      out += "</p><p>";
      ++i;
    } else {
      text.push_back(s[i]);
    }
  }
  AppendHtmlEscaped(out, text);
  if (in_code) out += "</code>";
}

std::string_view StringOr(element e, const char* key, std::string_view fallback = {}) {
  std::string_view v;
  if (e[key].get(v) == simdjson::SUCCESS) return v;
  return fallback;
}

std::string RefName(std::string_view ref) {
  const size_t slash = ref.rfind('/');
  return std::string(slash == std::string_view::npos ? ref : ref.substr(slash + 1));
}

// A schema as a short type expression: "string", "integer | null", "array of Sound"...
std::string TypeOf(element schema) {
  std::string_view ref;
  if (schema["$ref"].get(ref) == simdjson::SUCCESS) return RefName(ref);
  array one_of;
  if (schema["oneOf"].get(one_of) == simdjson::SUCCESS) {
    std::string out;
    for (element alt : one_of) {
      if (!out.empty()) out += " | ";
      out += TypeOf(alt);
    }
    return out;
  }
  std::string out;
  element type;
  if (schema["type"].get(type) == simdjson::SUCCESS) {
    if (type.is_array()) {
      for (element t : array(type)) {
        if (!out.empty()) out += " | ";
        out += std::string_view(t);
      }
    } else if (type.is_string()) {
      out = std::string(std::string_view(type));
    }
  }
  element items;
  if (out == "array" && schema["items"].get(items) == simdjson::SUCCESS) {
    out = "array of " + TypeOf(items);
  }
  array values;
  if (schema["enum"].get(values) == simdjson::SUCCESS) {
    out += " (";
    bool first = true;
    for (element v : values) {
      if (!first) out += ", ";
      first = false;
      out += simdjson::minify(v);
    }
    out += ')';
  }
  return out.empty() ? "any" : out;
}

// Follows a "$ref" to a components entry (responses), or returns the element itself.
element Resolve(element root, element e) {
  std::string_view ref;
  if (e["$ref"].get(ref) != simdjson::SUCCESS) return e;
  // "#/components/<kind>/<name>"
  if (ref.rfind("#/", 0) != 0) return e;
  element cur = root;
  size_t start = 2;
  while (start <= ref.size()) {
    size_t end = ref.find('/', start);
    if (end == std::string_view::npos) end = ref.size();
    element next;
    if (cur[ref.substr(start, end - start)].get(next) != simdjson::SUCCESS) return e;
    cur = next;
    start = end + 1;
  }
  return cur;
}

std::string Anchor(std::string_view method, std::string_view path) {
  std::string out(method);
  for (char c : path) out.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-');
  return out;
}

struct Operation {
  std::string_view path;
  std::string_view method;
  element op;
};

std::vector<Operation> Operations(element root) {
  std::vector<Operation> ops;
  object paths;
  if (root["paths"].get(paths) != simdjson::SUCCESS) return ops;
  for (auto [path, item] : paths) {
    object methods;
    if (item.get(methods) != simdjson::SUCCESS) continue;
    for (auto [method, op] : methods) ops.push_back(Operation{path, method, op});
  }
  return ops;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool RequiresAuth(element root, element op, std::string* scheme) {
  array security;
  if (op["security"].get(security) != simdjson::SUCCESS &&
      root["security"].get(security) != simdjson::SUCCESS) {
    return false;
  }
  for (element requirement : security) {
    object o;
    if (requirement.get(o) != simdjson::SUCCESS) continue;
    for (auto [name, scopes] : o) {
      *scheme = std::string(name);
      return true;
    }
  }
  return false;
}

void AppendSchemaTable(std::string& html, element schema) {
  object props;
  if (schema["properties"].get(props) != simdjson::SUCCESS) {
    html += "<p>Type: <code>";
    AppendHtmlEscaped(html, TypeOf(schema));
    html += "</code></p>";
    return;
  }
  std::vector<std::string_view> required;
  array req;
  if (schema["required"].get(req) == simdjson::SUCCESS)
    for (element r : req) required.push_back(std::string_view(r));
  html += "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>";
  for (auto [name, prop] : props) {
    html += "<tr><td><code>";
    AppendHtmlEscaped(html, name);
    html += "</code></td><td><code>";
    AppendHtmlEscaped(html, TypeOf(prop));
    html += "</code></td><td>";
    bool is_required = false;
    for (auto r : required) is_required |= r == name;
    html += is_required ? "yes" : "no";
    html += "</td><td>";
    AppendProse(html, StringOr(prop, "description"));
    html += "</td></tr>";
  }
  html += "</table>";
}

}  // namespace

Result<std::string> RenderDocsHtml(std::string_view openapi_json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(openapi_json);
  element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return Status::InvalidArgument("OpenAPI document does not parse");
  }
  const std::string_view title = StringOr(root["info"], "title", "API");
  std::string html;
  html.reserve(64 * 1024);
  html += "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  AppendHtmlEscaped(html, title);
  html +=
      " API reference</title><style>"
      "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
      "line-height:1.5;color:#222}code{background:#f3f3f3;padding:0 .2em;border-radius:3px}"
      "table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}"
      "th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}"
      "th{background:#fafafa}h3{margin-top:2rem;border-top:1px solid #eee;padding-top:1rem}"
      ".method{font-weight:bold;color:#0a5}</style></head><body><h1>";
  AppendHtmlEscaped(html, title);
  html += " API reference</h1><p>";
  AppendProse(html, StringOr(root["info"], "description"));
  html +=
      "</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1), "
      "<a href=\"/llms.txt\">/llms.txt</a>.</p><h2>Endpoints</h2><ul>";
  const std::vector<Operation> ops = Operations(root);
  for (const Operation& o : ops) {
    html += "<li><a href=\"#" + Anchor(o.method, o.path) + "\"><span class=\"method\">" +
            Upper(o.method) + "</span> ";
    AppendHtmlEscaped(html, o.path);
    html += "</a> — ";
    AppendHtmlEscaped(html, StringOr(o.op, "summary"));
    html += "</li>";
  }
  html += "</ul>";
  for (const Operation& o : ops) {
    html += "<h3 id=\"" + Anchor(o.method, o.path) + "\"><span class=\"method\">" +
            Upper(o.method) + "</span> <code>";
    AppendHtmlEscaped(html, o.path);
    html += "</code> — ";
    AppendHtmlEscaped(html, StringOr(o.op, "summary"));
    html += "</h3><p>";
    AppendProse(html, StringOr(o.op, "description"));
    html += "</p><p>Authentication: ";
    std::string scheme;
    if (RequiresAuth(root, o.op, &scheme)) {
      html += "<code>Authorization: Bearer</code> (";
      AppendHtmlEscaped(html, scheme);
      html += ")";
    } else {
      html += "none";
    }
    html += "</p>";
    array params;
    if (o.op["parameters"].get(params) == simdjson::SUCCESS && params.size() > 0) {
      html +=
          "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th>"
          "<th>default</th><th>description</th></tr>";
      for (element p : params) {
        p = Resolve(root, p);
        html += "<tr><td><code>";
        AppendHtmlEscaped(html, StringOr(p, "name"));
        html += "</code></td><td>";
        AppendHtmlEscaped(html, StringOr(p, "in"));
        html += "</td><td><code>";
        element schema;
        if (p["schema"].get(schema) == simdjson::SUCCESS) AppendHtmlEscaped(html, TypeOf(schema));
        html += "</code></td><td>";
        element def;
        if (p["schema"]["default"].get(def) == simdjson::SUCCESS) {
          html += "<code>";
          AppendHtmlEscaped(html, simdjson::minify(def));
          html += "</code>";
        }
        html += "</td><td>";
        AppendProse(html, StringOr(p, "description"));
        html += "</td></tr>";
      }
      html += "</table>";
    }
    element body;
    if (o.op["requestBody"].get(body) == simdjson::SUCCESS) {
      body = Resolve(root, body);
      html += "<h4>Request body</h4><p>";
      AppendProse(html, StringOr(body, "description"));
      html += "</p>";
      object content;
      if (body["content"].get(content) == simdjson::SUCCESS) {
        for (auto [media, spec] : content) {
          html += "<p><code>";
          AppendHtmlEscaped(html, media);
          html += "</code></p>";
          element schema;
          if (spec["schema"].get(schema) == simdjson::SUCCESS) {
            AppendSchemaTable(html, Resolve(root, schema));
          }
        }
      }
    }
    object responses;
    if (o.op["responses"].get(responses) == simdjson::SUCCESS) {
      html += "<h4>Responses</h4><table><tr><th>status</th><th>body</th><th>meaning</th></tr>";
      for (auto [status, response] : responses) {
        element r = Resolve(root, response);
        html += "<tr><td>";
        AppendHtmlEscaped(html, status);
        html += "</td><td>";
        object content;
        if (r["content"].get(content) == simdjson::SUCCESS) {
          for (auto [media, spec] : content) {
            html += "<code>";
            AppendHtmlEscaped(html, media);
            element schema;
            if (spec["schema"].get(schema) == simdjson::SUCCESS) {
              html += ": ";
              AppendHtmlEscaped(html, TypeOf(schema));
            }
            html += "</code> ";
          }
        }
        html += "</td><td>";
        AppendProse(html, StringOr(r, "description"));
        html += "</td></tr>";
      }
      html += "</table>";
    }
  }
  object schemas;
  if (root["components"]["schemas"].get(schemas) == simdjson::SUCCESS) {
    html += "<h2>Schemas</h2>";
    for (auto [name, schema] : schemas) {
      html += "<h3 id=\"schema-";
      AppendHtmlEscaped(html, name);
      html += "\">";
      AppendHtmlEscaped(html, name);
      html += "</h3><p>";
      AppendProse(html, StringOr(schema, "description"));
      html += "</p>";
      AppendSchemaTable(html, schema);
    }
  }
  html += "</body></html>\n";
  return html;
}

Result<std::string> RenderLlmsTxt(std::string_view openapi_json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(openapi_json);
  element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return Status::InvalidArgument("OpenAPI document does not parse");
  }
  std::string out;
  out += "# ";
  out += StringOr(root["info"], "title", "API");
  out += "\n\n> ";
  out += StringOr(root["info"], "summary");
  out += "\n\n";
  out += StringOr(root["info"], "description");
  out += "\n\nFull reference: /docs (HTML), /openapi.json (OpenAPI 3.1).\n\n## Endpoints\n\n";
  for (const Operation& o : Operations(root)) {
    out += "- " + Upper(o.method) + " " + std::string(o.path) + ": ";
    out += StringOr(o.op, "summary");
    std::string scheme;
    out += RequiresAuth(root, o.op, &scheme) ? " (auth: " + scheme + ")" : " (no auth)";
    out += '\n';
    const std::string_view description = StringOr(o.op, "description");
    if (!description.empty()) {
      out += "  ";
      for (char c : description) {
        out.push_back(c);
        if (c == '\n') out += "  ";
      }
      out += '\n';
    }
    array params;
    if (o.op["parameters"].get(params) == simdjson::SUCCESS) {
      for (element p : params) {
        p = Resolve(root, p);
        out += "  - `";
        out += StringOr(p, "name");
        out += "` (";
        out += StringOr(p, "in");
        element schema;
        if (p["schema"].get(schema) == simdjson::SUCCESS) out += ", " + TypeOf(schema);
        bool required = false;
        if (p["required"].get(required) == simdjson::SUCCESS && required) out += ", required";
        element def;
        if (p["schema"]["default"].get(def) == simdjson::SUCCESS)
          out += ", default " + simdjson::minify(def);
        out += "): ";
        out += StringOr(p, "description");
        out += '\n';
      }
    }
    // A JSON request body: its fields, one line each.
    element body_schema;
    if (o.op["requestBody"]["content"]["application/json"]["schema"].get(body_schema) ==
        simdjson::SUCCESS) {
      body_schema = Resolve(root, body_schema);
      out += "  JSON body:\n";
      object properties;
      if (body_schema["properties"].get(properties) == simdjson::SUCCESS) {
        std::vector<std::string_view> required_fields;
        array required;
        if (body_schema["required"].get(required) == simdjson::SUCCESS) {
          for (element r : required) {
            std::string_view name;
            if (r.get(name) == simdjson::SUCCESS) required_fields.push_back(name);
          }
        }
        for (auto [name, field] : properties) {
          out += "  - `";
          out += name;
          out += "` (" + TypeOf(field);
          if (std::find(required_fields.begin(), required_fields.end(), name) !=
              required_fields.end()) {
            out += ", required";
          }
          out += ")";
          const std::string_view field_description = StringOr(field, "description");
          if (!field_description.empty()) {
            out += ": ";
            out += field_description;
          }
          out += '\n';
        }
      }
    }
  }
  return out;
}

}  // namespace soundtrend::api
