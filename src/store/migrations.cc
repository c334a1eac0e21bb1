#include "store/migrations.h"

#include <algorithm>
#include <charconv>

namespace soundtrend::store {

Result<std::vector<Migration>> ParseMigrations(std::span<const EmbeddedFile> files) {
  std::vector<Migration> out;
  for (const EmbeddedFile& f : files) {
    std::string_view name = f.name;
    if (name.size() < 10 || name.substr(name.size() - 4) != ".sql" || name[4] != '_') continue;
    int64_t version = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + 4, version);
    if (ec != std::errc() || end != name.data() + 4) continue;
    out.push_back({version, name, f.data});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  if (out.empty()) return Status::InvalidArgument("no migration files");
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].version != static_cast<int64_t>(i) + 1) {
      return Status::InvalidArgument("migration " + std::string(out[i].name) +
                                     (i > 0 && out[i].version == out[i - 1].version
                                          ? ": duplicate version"
                                          : ": versions must run 0001, 0002, ... without a gap"));
    }
  }
  return out;
}

Status CheckSchemaVersion(int64_t current, int64_t latest, bool migrating,
                          std::string_view database) {
  if (current > latest) {
    return Status::FailedPrecondition(
        "the database " + std::string(database) + " has schema version " + std::to_string(current) +
        ", newer than this soundtrend knows (" + std::to_string(latest) +
        "): run a newer soundtrend (it was migrated by one)");
  }
  if (current < latest && current > 0 && !migrating) {
    return Status::FailedPrecondition("the database " + std::string(database) +
                                      " has schema version " + std::to_string(current) +
                                      ", older than this soundtrend's (" + std::to_string(latest) +
                                      "): run `soundtrend migrate` first");
  }
  return Status::Ok();
}

}  // namespace soundtrend::store
