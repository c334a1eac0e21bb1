#include "common/process_counters.h"

#include <mutex>
#include <vector>

namespace soundtrend {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<const ProcessCounter*> counters;
};
Registry& TheRegistry() {
  static Registry* registry = new Registry();  // never destroyed: counters are static too
  return *registry;
}

}  // namespace

ProcessCounter::ProcessCounter(const char* name, const char* help) : name_(name), help_(help) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  r.counters.push_back(this);
}

std::string RenderProcessCounters() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  std::string out;
  for (const ProcessCounter* c : r.counters) {
    out += "# HELP ";
    out += c->name();
    out += ' ';
    out += c->help();
    out += "\n# TYPE ";
    out += c->name();
    out += " counter\n";
    out += c->name();
    out += ' ';
    out += std::to_string(c->value());
    out += '\n';
  }
  return out;
}

}  // namespace soundtrend
