// soundtrend migrate: brings the schema of --db up to date (app/stores.h): PostgreSQL by
// its numbered migrations (creating the schema in an empty database); SQLite stores bring
// their tables up to date when opened.
#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "app/stores.h"

namespace soundtrend::app {

void AddMigrateCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = app.add_subcommand(
      "migrate", "create or upgrade the database schema of --db (PostgreSQL: by version)");
  cmd->callback([&global] {
    Result<MigrateReport> report = MigrateDatabase(global.db_path);
    if (!report.ok()) {
      std::cerr << "migrate: " << report.status().message() << "\n";
      throw CLI::RuntimeError(1);
    }
    if (BackendOf(global.db_path) == Backend::kSqlite) {
      std::printf("%s: SQLite tables up to date\n", global.db_path.c_str());
    } else if (report->applied == 0) {
      std::printf("schema version %lld: up to date\n", static_cast<long long>(report->to_version));
    } else {
      std::printf("schema version %lld -> %lld (%d migrations applied)\n",
                  static_cast<long long>(report->from_version),
                  static_cast<long long>(report->to_version), report->applied);
    }
  });
}

}  // namespace soundtrend::app
