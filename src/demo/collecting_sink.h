// A DemoSink that keeps everything in memory, for tests and small tools.
#pragma once

#include <vector>

#include "demo/generator.h"

namespace soundtrend::demo {

class CollectingSink final : public DemoSink {
 public:
  Status OnSound(const SoundRecord& sound) override {
    if (!days.empty()) return Status::Internal("sound after the first day");
    sounds.push_back(sound);
    return Status::Ok();
  }
  Status OnDay(Day day, std::span<const DailyUses> cells, std::span<const RawUse> uses) override {
    days.push_back(day);
    daily.insert(daily.end(), cells.begin(), cells.end());
    raw.insert(raw.end(), uses.begin(), uses.end());
    return Status::Ok();
  }

  std::vector<SoundRecord> sounds;
  std::vector<Day> days;
  std::vector<DailyUses> daily;
  std::vector<RawUse> raw;
};

}  // namespace soundtrend::demo
