// Placeholder until the ingest module lands; replaced by its implementer.
#include "app/commands.h"

namespace soundtrend::app {

void AddIngestCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("ingest", "(not yet available)");
  cmd->callback([] { throw CLI::RuntimeError("ingest: not yet available", 2); });
}

}  // namespace soundtrend::app
