// soundtrend migrate: brings the schema of --db up to date (app/stores.h), by its numbered
// migrations (creating the schema in an empty database), for PostgreSQL and SQLite alike.
#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "app/database.h"
#include "app/stores.h"

namespace soundtrend::app {

void AddMigrateCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd =
      app.add_subcommand("migrate", "create or upgrade the database schema of --db (by version)");
  cmd->callback([&global] {
    if (BackendOf(global.db_path) == Backend::kSqlite) {
      // A file path: refused when a directory; its folder made, as `ingest` would.
      Result<DbCheck> check = CheckDatabase(global.db_path, DbAccess::kCreate);
      if (!check.ok()) {
        std::cerr << "migrate: " << check.status().message() << "\n";
        throw CLI::RuntimeError(1);
      }
      ReportCreated("migrate", global.db_path, *check);
    }
    Result<MigrateReport> report = MigrateDatabase(global.db_path);
    if (!report.ok()) {
      std::cerr << "migrate: " << report.status().message() << "\n";
      throw CLI::RuntimeError(1);
    }
    if (report->applied == 0) {
      std::printf("schema version %lld: up to date\n", static_cast<long long>(report->to_version));
    } else {
      std::printf("schema version %lld -> %lld (%d migrations applied)\n",
                  static_cast<long long>(report->from_version),
                  static_cast<long long>(report->to_version), report->applied);
    }
    if (report->adopted) {
      std::printf("(a database made before schema versions: adopted, its data kept)\n");
    }
  });
}

}  // namespace soundtrend::app
