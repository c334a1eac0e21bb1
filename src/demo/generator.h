// The demo platform: a seeded generator of a believable short-video platform's catalog
// and usage, streamed to a sink.
//
// Model (all of it derived from `DemoOptions::seed`; no wall clock, no global state):
//  - Sounds get a Zipf-like base popularity (a random rank r gives weight ~ 1/r^0.9), a
//    launch day and a lifecycle curve: they ramp up over a few days, peak, then fade with a
//    long tail (at most a year). Ordinary sounds launch uniformly from a year before the
//    span to its last day, so the span is in the steady state (as many active sounds on its
//    first day as on its last). About 0.6% are viral sounds (fast rise, high peak, fade
//    over weeks, in half the regions or more) and about 4% are evergreens (launched long
//    before, fading very slowly).
//  - Breakouts in one region: every region sees a steady number of breakouts a day (a
//    sound, new or old, rising within days to 0.1-1.5% of the region's uses, then fading),
//    so that each region's 7-day surging chart (docs/api.md §8) holds ~15-40 sounds on any day,
//    large markets and small ones alike.
//  - Each sound has a home region and spreads to other regions (first its cluster, e.g.
//    Latin America or the Nordics, then the world) with a delay of days; more popular
//    sounds reach more regions.
//  - Each region has a daily volume of uses (market size, weekly seasonality with busier
//    weekends, slow growth, +-1.5% noise); what the breakouts do not take is shared among
//    the sounds active there in proportion to (popularity x lifecycle x regional
//    affinity)^0.75 (so a day's top sound takes about a tenth of a region's uses, not most
//    of them); counts are drawn from a Poisson law around that mean times a slow drift of
//    the cell (sigma 8%, smooth over ~8 days), so a sound with ~1,000 uses a day moves by a
//    few percent from one day to the next, like a real count (per-cell randomness comes
//    from a counter-based hash of (seed, clip, region, day), so a cell's value does not
//    depend on iteration order).
//  - ~30% of sounds are commercial, ~5% promoted; ~10% are "original sound - <user>";
//    some are variants ("(Sped Up)", "(Remix)", a user's "original sound") sharing the
//    song_id of an earlier sound. Titles and artists come from word lists and include
//    non-ASCII names. Clip, song and video ids are 19-digit numbers shaped like the real
//    ones ((unix seconds << 32) | random bits).
//
// Raw uses versus daily counts: for the last `raw_days` days, a share `raw_fraction` of the
// (clip, region, day) cells (chosen by hash) is given as individual uses (one RawUse per
// use, with a video id, cover and views); every other cell is given as one DailyUses.
// A cell is never in both, so a consumer can add both streams without double counting.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/day.h"
#include "common/records.h"
#include "common/regions.h"
#include "common/status.h"

namespace soundtrend::demo {

// Platform-wide uses per day at scale 1.0 with all 71 regions (before seasonality).
constexpr double kBaseUsesPerDayAllRegions = 420000;

struct DemoOptions {
  uint64_t seed = 42;
  int32_t sounds = 5000;  // catalog size, 1..50,000,000 (5000: full charts in all 71 regions)
  int32_t days = 240;     // generated days, ending on end_day (inclusive), >= 1
  Day end_day = 0;        // the last generated day (a closed UTC day); must be set
  double scale = 1.0;     // multiplies the uses per day of every region, > 0
  std::vector<RegionId> regions;  // regions to generate; empty = all 71
  int32_t raw_days = 14;          // trailing days whose cells may be given as raw uses
  double raw_fraction = 0.1;      // share of those days' cells given as raw uses, [0, 1]
};

// OK, or InvalidArgument naming the bad option.
Status ValidateOptions(const DemoOptions& options);

// One use of a sound by a video. `time` is unix seconds within the cell's day.
struct RawUse {
  uint64_t clip_id = 0;
  RegionId region = 0;
  int64_t time = 0;
  uint64_t video_id = 0;
  int64_t views = 0;
};

// Cover URL of a sound: https://cdn.soundtrend.example/cover/<clip_id>.jpeg
std::string SoundCoverUrl(uint64_t clip_id);
// Cover URL of a video: https://cdn.soundtrend.example/video/<video_id>.jpeg
std::string VideoCoverUrl(uint64_t video_id);
// The VideoRecord a raw use describes (cover from VideoCoverUrl).
VideoRecord ToVideoRecord(const RawUse& use);

// Receives the generated platform. Calls come from the thread running Generate, in this
// order: every sound (OnSound), then each day in increasing order (OnDay). A non-OK
// Status from the sink stops generation and is returned by Generate.
class DemoSink {
 public:
  virtual ~DemoSink() = default;
  virtual Status OnSound(const SoundRecord& sound) = 0;
  // One day. `daily` holds the pre-aggregated cells of the day (each (clip, region) at
  // most once, uses >= 1); `raw` the individual uses of the cells chosen as raw, grouped
  // by cell. No (clip, region) appears in both. The spans are valid during the call only.
  virtual Status OnDay(Day day, std::span<const DailyUses> daily, std::span<const RawUse> raw) = 0;
};

struct DemoSummary {
  int64_t sounds = 0;
  int64_t days = 0;
  int64_t daily_cells = 0;  // DailyUses records emitted
  int64_t raw_cells = 0;    // cells given as raw uses
  int64_t raw_uses = 0;     // RawUse records emitted
  int64_t total_uses = 0;   // uses in daily cells + raw uses
};

// Generates the platform described by `options` into `sink`. Deterministic: the same
// options give the same calls with the same data. Single-threaded; memory is O(sounds +
// cells of one day).
Result<DemoSummary> Generate(const DemoOptions& options, DemoSink& sink);

}  // namespace soundtrend::demo
