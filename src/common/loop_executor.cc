#include "common/loop_executor.h"

namespace soundtrend {
namespace {
thread_local LoopExecutor* current_executor = nullptr;
}  // namespace

LoopExecutor* CurrentLoopExecutor() { return current_executor; }

void SetCurrentLoopExecutor(LoopExecutor* executor) { current_executor = executor; }

}  // namespace soundtrend
