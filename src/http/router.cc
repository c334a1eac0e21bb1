#include "http/router.h"

#include <algorithm>

namespace soundtrend::http {

void Router::Add(std::string method, std::string path, Handler handler, RouteOptions options) {
  AddRoute(std::move(method), std::move(path), false, std::move(handler), options);
}

void Router::AddPrefix(std::string method, std::string prefix, Handler handler,
                       RouteOptions options) {
  AddRoute(std::move(method), std::move(prefix), true, std::move(handler), options);
}

void Router::AddRoute(std::string method, std::string path, bool prefix, Handler handler,
                      RouteOptions options) {
  max_body_limit_ = std::max(max_body_limit_, options.body_limit);
  PathEntry* entry = nullptr;
  for (auto& e : entries_)
    if (e.path == path && e.prefix == prefix) entry = &e;
  if (entry == nullptr) {
    entries_.push_back(PathEntry{path, prefix, {}, {}});
    paths_.push_back(prefix ? path + "*" : path);
    entry = &entries_.back();
  }
  const size_t index = static_cast<size_t>(entry - entries_.data());
  for (auto& r : entry->routes) {
    if (r.method == method) {
      r.handler = std::move(handler);
      r.options = options;
      return;
    }
  }
  entry->routes.push_back(
      Route{std::move(path), std::move(method), std::move(handler), options, index, prefix});
  entry->allow.clear();
  bool has_get = false, has_head = false;
  for (const auto& r : entry->routes) {
    if (!entry->allow.empty()) entry->allow += ", ";
    entry->allow += r.method;
    has_get |= r.method == "GET";
    has_head |= r.method == "HEAD";
  }
  if (has_get && !has_head) entry->allow += ", HEAD";
}

const Router::PathEntry* Router::FindPath(std::string_view path) const {
  const PathEntry* best_prefix = nullptr;
  for (const auto& e : entries_) {
    if (!e.prefix) {
      if (e.path == path) return &e;
    } else if (path.starts_with(e.path) &&
               (best_prefix == nullptr || e.path.size() > best_prefix->path.size())) {
      best_prefix = &e;
    }
  }
  return best_prefix;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  const PathEntry* e = FindPath(path);
  if (e == nullptr) return m;
  m.path_index = static_cast<size_t>(e - entries_.data());
  const Route* get = nullptr;
  for (const auto& r : e->routes) {
    if (r.method == method) {
      m.kind = MatchKind::kFound;
      m.route = &r;
      return m;
    }
    if (r.method == "GET") get = &r;
  }
  if (method == "HEAD" && get != nullptr) {
    m.kind = MatchKind::kFound;
    m.route = get;
    return m;
  }
  m.kind = MatchKind::kMethodNotAllowed;
  m.allow = e->allow;
  return m;
}

size_t Router::BodyLimit(std::string_view method, std::string_view path) const {
  Match m = Find(method, path);
  return m.route != nullptr ? m.route->options.body_limit : kDefaultBodyLimit;
}

}  // namespace soundtrend::http
