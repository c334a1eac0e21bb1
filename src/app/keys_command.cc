// Placeholder until the keys module lands; replaced by its implementer.
#include "app/commands.h"

namespace soundtrend::app {

void AddKeysCommands(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("keys", "(not yet available)");
  cmd->callback([] { throw CLI::RuntimeError("keys: not yet available", 2); });
}

}  // namespace soundtrend::app
