// Placeholder until the demo module lands; replaced by its implementer.
#include "app/commands.h"

namespace soundtrend::app {

void AddDemoCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("demo", "(not yet available)");
  cmd->callback([] { throw CLI::RuntimeError("demo: not yet available", 2); });
}

}  // namespace soundtrend::app
