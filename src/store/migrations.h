// Schema migrations by version, shared by every backend (store/sqlite/, store/postgres/).
//
// A backend's schema is a directory of numbered SQL files, `NNNN_what.sql` (0001, 0002, ...
// with no gap), embedded into the binary with st_embed_files. A database records the
// versions applied to it; opening one applies nothing silently except on an EMPTY database
// (then every migration runs, which is how a database is created), refuses one whose
// schema is newer than this binary knows, and asks for `soundtrend migrate` when it is
// older. To change a schema, add the next numbered file (never edit one that has landed):
// see docs in README "Schema migrations".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/embedded_file.h"
#include "common/status.h"

namespace soundtrend::store {

struct Migration {
  int64_t version = 0;    // NNNN of the file name
  std::string_view name;  // the file name
  std::string_view sql;
};

// The migrations of `files` (names `NNNN_what.sql`; other names are ignored), in version
// order. InvalidArgument for a gap, a duplicate version or no migration at all.
Result<std::vector<Migration>> ParseMigrations(std::span<const EmbeddedFile> files);

// What to do with a database whose schema is at `current` (0: empty) when this binary knows
// migrations up to `latest`: Ok (up to date), or the refusal. `migrating`: the caller runs
// the missing migrations (soundtrend migrate, or an empty database), so older is fine.
Status CheckSchemaVersion(int64_t current, int64_t latest, bool migrating,
                          std::string_view database);

}  // namespace soundtrend::store
