// Placeholder until the build module lands; replaced by its implementer.
#include "app/commands.h"

namespace soundtrend::app {

void AddBuildCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("build", "(not yet available)");
  cmd->callback([] { throw CLI::RuntimeError("build: not yet available", 2); });
}

}  // namespace soundtrend::app
