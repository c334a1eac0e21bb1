// Placeholder until the serve module lands; replaced by its implementer.
#include "app/commands.h"

namespace soundtrend::app {

void AddServeCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("serve", "(not yet available)");
  cmd->callback([] { throw CLI::RuntimeError("serve: not yet available", 2); });
}

}  // namespace soundtrend::app
