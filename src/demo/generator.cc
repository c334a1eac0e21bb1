#include "demo/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>
#include <string_view>
#include <unordered_set>

#include "demo/names.h"

namespace soundtrend::demo {
namespace {

// Cluster and rough audience size (millions) of every region; the clusters drive how a
// sound spreads from its home region.
enum Cluster : uint8_t {
  kNorthAmerica,
  kLatam,
  kWesternEurope,
  kNordics,
  kEasternEurope,
  kMena,
  kSouthAsia,
  kSoutheastAsia,
  kEastAsia,
  kOceania,
  kAfrica,
  kCentralAsia,
};

struct RegionProfile {
  std::string_view code;
  Cluster cluster;
  double audience;  // millions
};

constexpr std::array<RegionProfile, kRegionCount> kProfiles = {{
    {"AR", kLatam, 14},
    {"AU", kOceania, 9},
    {"AT", kWesternEurope, 3},
    {"BH", kMena, 1},
    {"BD", kSouthAsia, 35},
    {"BY", kEasternEurope, 4},
    {"BE", kWesternEurope, 4},
    {"BR", kLatam, 90},
    {"BG", kEasternEurope, 2},
    {"KH", kSoutheastAsia, 6},
    {"CA", kNorthAmerica, 11},
    {"CL", kLatam, 9},
    {"CO", kLatam, 15},
    {"HR", kEasternEurope, 1.3},
    {"CZ", kEasternEurope, 4},
    {"DK", kNordics, 2},
    {"EG", kMena, 25},
    {"EE", kEasternEurope, 0.5},
    {"FI", kNordics, 1.7},
    {"FR", kWesternEurope, 22},
    {"DE", kWesternEurope, 20},
    {"GR", kWesternEurope, 4},
    {"HU", kEasternEurope, 3},
    {"IS", kNordics, 0.2},
    {"ID", kSoutheastAsia, 110},
    {"IQ", kMena, 25},
    {"IE", kWesternEurope, 2},
    {"IL", kMena, 3},
    {"IT", kWesternEurope, 19},
    {"JP", kEastAsia, 25},
    {"JO", kMena, 4},
    {"KZ", kCentralAsia, 10},
    {"KW", kMena, 2},
    {"LV", kEasternEurope, 0.7},
    {"LB", kMena, 2},
    {"LT", kEasternEurope, 1},
    {"LU", kWesternEurope, 0.3},
    {"MO", kEastAsia, 0.4},
    {"MY", kSoutheastAsia, 17},
    {"MX", kLatam, 60},
    {"MA", kMena, 10},
    {"MM", kSoutheastAsia, 9},
    {"NL", kWesternEurope, 7},
    {"NZ", kOceania, 2},
    {"NG", kAfrica, 15},
    {"NO", kNordics, 2},
    {"OM", kMena, 2},
    {"PK", kSouthAsia, 40},
    {"PE", kLatam, 12},
    {"PH", kSoutheastAsia, 45},
    {"PL", kEasternEurope, 10},
    {"PT", kWesternEurope, 4},
    {"QA", kMena, 1.5},
    {"RO", kEasternEurope, 8},
    {"SA", kMena, 25},
    {"SG", kSoutheastAsia, 3},
    {"SK", kEasternEurope, 1.5},
    {"ZA", kAfrica, 10},
    {"KR", kEastAsia, 10},
    {"ES", kWesternEurope, 18},
    {"SE", kNordics, 4},
    {"CH", kWesternEurope, 3},
    {"TW", kEastAsia, 6},
    {"TH", kSoutheastAsia, 45},
    {"TR", kMena, 30},
    {"UA", kEasternEurope, 10},
    {"AE", kMena, 8},
    {"GB", kWesternEurope, 23},
    {"US", kNorthAmerica, 150},
    {"UZ", kCentralAsia, 8},
    {"VN", kSoutheastAsia, 60},
}};

// Daily uses of a region at scale 1: a floor so that small markets still have full charts,
// plus a share growing sub-linearly with the audience.
double RegionBaseUses(double audience) { return 1800.0 + 260.0 * std::pow(audience, 0.75); }

// Multipliers by weekday, Monday first: busier evenings at the weekend.
constexpr std::array<double, 7> kWeekday = {0.94, 0.95, 0.97, 1.0, 1.04, 1.08, 1.06};

// Counter-based randomness for per-cell draws (SplitMix64 finalizer).
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t CellHash(uint64_t seed, uint64_t clip, uint32_t region, Day day, uint64_t stream) {
  return Mix(seed ^
             Mix(clip ^ Mix((static_cast<uint64_t>(region) << 40) ^
                            (static_cast<uint64_t>(static_cast<uint32_t>(day)) << 8) ^ stream)));
}
// A uniform double in [0, 1) from 53 bits of `h`.
inline double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }
// An approximately standard normal value (Irwin-Hall of four 16-bit uniforms).
inline double Normalish(uint64_t h) {
  double s = 0;
  for (int i = 0; i < 4; ++i) s += static_cast<double>((h >> (16 * i)) & 0xffff) / 65536.0;
  return (s - 2.0) * 1.7320508075688772;
}

// Poisson draw with mean `lambda` from one uniform `u` (inversion below 30, a normal
// approximation above).
int64_t Poisson(double lambda, double u, uint64_t normal_bits) {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    double p = std::exp(-lambda);
    double cumulative = p;
    int64_t k = 0;
    while (u > cumulative && k < 200) {
      ++k;
      p *= lambda / static_cast<double>(k);
      cumulative += p;
    }
    return k;
  }
  const double v = lambda + std::sqrt(lambda) * Normalish(normal_bits);
  return v <= 0 ? 0 : static_cast<int64_t>(std::llround(v));
}

constexpr uint64_t kStreamCount = 1;
constexpr uint64_t kStreamNoise = 2;
constexpr uint64_t kStreamRaw = 3;
constexpr uint64_t kStreamRegionDay = 4;
constexpr uint64_t kStreamDrift = 5;

// A slow random drift of a (clip, region) cell's level, about standard normal: value noise
// with knots every kDriftKnotDays days, smoothly interpolated, so that consecutive days
// differ by a few percent of its amplitude (a real count at that volume moves by the
// Poisson noise of the count, not by a fresh 20% every day).
constexpr int kDriftKnotDays = 8;
inline double Drift(uint64_t seed, uint64_t clip, uint32_t region, Day day) {
  const Day knot = day >= 0 ? day / kDriftKnotDays : (day - kDriftKnotDays + 1) / kDriftKnotDays;
  const double t = static_cast<double>(day - knot * kDriftKnotDays) / kDriftKnotDays;
  const double s = t * t * (3 - 2 * t);  // smoothstep
  const double a = Normalish(CellHash(seed, clip, region, knot, kStreamDrift));
  const double b = Normalish(CellHash(seed, clip, region, knot + 1, kStreamDrift));
  return a + (b - a) * s;
}

// Ids shaped like the platform's: (unix seconds << 32) | 32 random bits, kept to 19 digits.
uint64_t MakeId(int64_t unix_seconds, std::mt19937_64& rng) {
  constexpr int64_t kMinSeconds = 232830644;   // (1e18 >> 32) + 1
  constexpr int64_t kMaxSeconds = 2328306435;  // (1e19 - 1) >> 32, minus one
  const int64_t s = std::clamp(unix_seconds, kMinSeconds, kMaxSeconds);
  return (static_cast<uint64_t>(s) << 32) | (rng() & 0xffffffffULL);
}

struct RegionEntry {
  RegionId region;
  int16_t delay;  // days after launch before the sound reaches the region
  float weight;   // popularity x affinity
};

// The lifecycle and spread of one sound; `curve(age)` is its relative activity.
struct SoundModel {
  uint64_t clip_id;
  Day launch;
  Day last_active;  // last day any region can see a use
  float rise;       // days to peak
  float inv_decay;  // 1 / fade time constant (days)
  float floor;      // share of the peak kept in the long tail
  float inv_tail;   // 1 / tail time constant (days)
  int32_t life;     // ages beyond this are inactive
  uint32_t regions_begin, regions_end;

  float Curve(int age) const {
    if (age < rise) {
      const float x = (static_cast<float>(age) + 1.0f) / (rise + 1.0f);
      return x * x;
    }
    const float after = static_cast<float>(age) - rise;
    return (1.0f - floor) * std::exp(-after * inv_decay) + floor * std::exp(-after * inv_tail);
  }
};

// A breakout of a sound in one region: a fast rise to a peak of `peak_share` of the
// region's uses of a day, then a fade. New sounds and old ones alike break out (a song that
// trends again); the uses come on top of the sound's ordinary activity there, if any, and
// are taken from the region's other sounds (the region's volume is unchanged).
struct Wave {
  uint64_t clip_id;
  RegionId region;
  Day start;
  float rise;        // days to peak
  float inv_decay;   // 1 / fade time constant (days)
  float floor;       // share of the peak kept in the tail
  float inv_tail;    // 1 / tail time constant (days)
  float peak_share;  // peak uses / the region's uses of the day

  float Curve(int age) const {
    if (age < rise) {
      const float x = (static_cast<float>(age) + 1.0f) / (rise + 1.0f);
      return x * x;
    }
    const float after = static_cast<float>(age) - rise;
    return (1.0f - floor) * std::exp(-after * inv_decay) + floor * std::exp(-after * inv_tail);
  }
};
// Waves end this many days after their start (the tail is then ~1% of the peak).
constexpr int kWaveLife = 100;
// Breakouts starting per region and day. Each stays on its region's 7-day surging chart
// for about kWaveSurgingDays days; the ordinary sounds' own rises put about
// OrdinarySurging(audience) more there (measured: more in large markets), so a region's
// 7-day surging chart holds about kSurgingTarget sounds on any day (like Creative Center's
// breakout list: a few dozen).
constexpr double kSurgingTarget = 28;
constexpr double kWaveSurgingDays = 6;
double OrdinarySurging(double audience) { return 3.5 + 1.3 * std::pow(audience, 0.45); }
double WavesPerRegionDay(double audience) {
  return std::max(0.5, (kSurgingTarget - OrdinarySurging(audience)) / kWaveSurgingDays);
}

struct Platform {
  std::vector<SoundRecord> catalog;
  std::vector<SoundModel> models;
  std::vector<RegionEntry> entries;
  std::vector<Wave> waves;  // by start day
};

// Chooses `count` distinct indices of `weights` without replacement, proportionally.
std::vector<RegionId> WeightedDistinct(std::vector<double> weights, size_t count,
                                       std::mt19937_64& rng) {
  std::vector<RegionId> out;
  count = std::min(count, weights.size());
  for (size_t n = 0; n < count; ++n) {
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    if (total <= 0) break;
    double x = std::uniform_real_distribution<double>(0, total)(rng);
    size_t i = 0;
    for (; i + 1 < weights.size(); ++i) {
      if (x < weights[i]) break;
      x -= weights[i];
    }
    out.push_back(static_cast<RegionId>(i));
    weights[i] = 0;
  }
  return out;
}

// Longest life of an ordinary sound, in days. Ordinary sounds launch uniformly over
// [first day - kHorizon, last day], so the number of active sounds is the same on every day
// of the span (a catalog that only starts before the span would ramp up through it, with
// the first weeks' charts much thinner than the last).
constexpr int32_t kHorizon = 365;

// Schedules the breakouts of every region from kWaveLife days before the span to its end:
// a steady kWavesPerRegionDay a day (not a random count, so that every region's surging
// chart is about as full on every day), each of a sound launched by then (half of them of a
// sound launched in the 30 days before, the others of any sound). Its own random stream,
// so the catalog does not depend on it.
void BuildWaves(const DemoOptions& options, const std::vector<RegionId>& regions, Platform& p) {
  std::mt19937_64 rng(Mix(options.seed ^ 0x5752415645ULL));
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  std::vector<size_t> by_launch(p.models.size());
  std::iota(by_launch.begin(), by_launch.end(), size_t{0});
  std::stable_sort(by_launch.begin(), by_launch.end(),
                   [&](size_t a, size_t b) { return p.models[a].launch < p.models[b].launch; });
  auto launched_by = [&](Day day) {  // sounds launched on or before `day`: a prefix
    return static_cast<size_t>(
        std::upper_bound(by_launch.begin(), by_launch.end(), day,
                         [&](Day d, size_t i) { return d < p.models[i].launch; }) -
        by_launch.begin());
  };
  const Day first_day = options.end_day - options.days + 1;
  std::vector<double> owed(regions.size());
  for (Day day = first_day - kWaveLife; day <= options.end_day; ++day) {
    const size_t launched = launched_by(day);
    const size_t launched_before = launched_by(day - 30);
    if (launched == 0) continue;
    for (size_t k = 0; k < regions.size(); ++k) {
      owed[k] += WavesPerRegionDay(kProfiles[regions[k]].audience);
      for (; owed[k] >= 1; owed[k] -= 1) {
        const bool recent = launched > launched_before && uniform(0, 1) < 0.5;
        const size_t lo = recent ? launched_before : 0;
        const size_t pick = std::uniform_int_distribution<size_t>(lo, launched - 1)(rng);
        Wave w;
        w.clip_id = p.models[by_launch[pick]].clip_id;
        w.region = regions[k];
        w.start = day;
        w.rise = static_cast<float>(uniform(1, 5));
        w.inv_decay = static_cast<float>(1.0 / uniform(3, 8));
        w.floor = static_cast<float>(uniform(0.02, 0.05));
        w.inv_tail = static_cast<float>(1.0 / uniform(15, 30));
        // Log-uniform peak: 0.1% to 1.5% of the region's uses of a day.
        // at least 20 uses a day at scale 1, so that small regions' breakouts chart too.
        const double share = std::exp(uniform(std::log(0.001), std::log(0.015)));
        w.peak_share = static_cast<float>(
            std::max(share, 20.0 / RegionBaseUses(kProfiles[regions[k]].audience)));
        p.waves.push_back(w);
      }
    }
  }
}

Platform BuildPlatform(const DemoOptions& options, const std::vector<RegionId>& regions) {
  std::mt19937_64 rng(options.seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return uniform(0, 1) < p; };
  const Day first_day = options.end_day - options.days + 1;
  const size_t n = static_cast<size_t>(options.sounds);

  // Popularity ranks: a random permutation, weight ~ 1/rank^0.95.
  std::vector<uint32_t> rank(n);
  std::iota(rank.begin(), rank.end(), 0u);
  std::shuffle(rank.begin(), rank.end(), rng);

  // Region weights for choosing homes (by audience) and spread targets (flatter).
  std::vector<double> home_weight(regions.size());
  for (size_t k = 0; k < regions.size(); ++k)
    home_weight[k] = std::pow(kProfiles[regions[k]].audience, 0.7);
  std::discrete_distribution<size_t> pick_home(home_weight.begin(), home_weight.end());
  // Weights for spreading from a home in each cluster: flat in audience, own cluster x6.
  std::vector<std::vector<double>> spread_weight_by_cluster(kCentralAsia + 1);
  for (size_t c = 0; c < spread_weight_by_cluster.size(); ++c) {
    for (RegionId r : regions) {
      const RegionProfile& profile = kProfiles[r];
      spread_weight_by_cluster[c].push_back(std::pow(profile.audience, 0.1) *
                                            (profile.cluster == c ? 6 : 1));
    }
  }

  Platform p;
  p.catalog.reserve(n);
  p.models.reserve(n);
  std::unordered_set<uint64_t> used_ids;
  used_ids.reserve(2 * n);
  auto unique_id = [&](int64_t seconds) {
    for (;;) {
      const uint64_t id = MakeId(seconds, rng);
      if (used_ids.insert(id).second) return id;
    }
  };

  for (size_t i = 0; i < n; ++i) {
    SoundModel m{};
    const double q = (rank[i] + 0.5) / static_cast<double>(n);  // 0 = most popular
    double popularity = 1.0 / std::pow(rank[i] + 1.0, 0.9);
    const double kind = uniform(0, 1);
    const bool breakout = kind < 0.006;
    const bool evergreen = !breakout && kind < 0.046;
    if (breakout) {
      // Bursts of otherwise ordinary sounds: launched inside the span, fast and high.
      popularity = std::max(popularity, 1.0 / std::pow(uniform(2, 40), 0.9)) * uniform(2, 6);
      // Launched like ordinary sounds (a steady share of each day's launches, whatever
      // the span).
      m.launch = std::uniform_int_distribution<Day>(first_day - kHorizon, options.end_day)(rng);
      m.rise = static_cast<float>(uniform(3, 8));
      m.inv_decay = static_cast<float>(1.0 / uniform(8, 20));
      m.floor = static_cast<float>(uniform(0.02, 0.06));
      m.inv_tail = static_cast<float>(1.0 / uniform(30, 60));
    } else if (evergreen) {
      m.launch = first_day - std::uniform_int_distribution<Day>(60, 700)(rng);
      m.rise = static_cast<float>(uniform(10, 30));
      m.inv_decay = static_cast<float>(1.0 / uniform(200, 600));
      m.floor = static_cast<float>(uniform(0.3, 0.6));
      m.inv_tail = static_cast<float>(1.0 / uniform(1500, 3000));
    } else {
      // Launched up to kHorizon days before the span, so that the span opens in the steady
      // state: every day sees the launches of the kHorizon days before it.
      m.launch = std::uniform_int_distribution<Day>(first_day - kHorizon, options.end_day)(rng);
      m.rise = static_cast<float>(uniform(1, 14));
      m.inv_decay = static_cast<float>(1.0 / uniform(10, 60));
      m.floor = static_cast<float>(uniform(0.02, 0.12));
      m.inv_tail = static_cast<float>(1.0 / uniform(60, 200));
    }
    // Active while the curve stays above 0.1% of the peak.
    constexpr double kThreshold = 0.001;
    const double main_end = std::log(1.0 / kThreshold) / m.inv_decay;
    const double tail_end = std::log(std::max(1.0, m.floor / kThreshold)) / m.inv_tail;
    // Ordinary sounds and breakouts stop at kHorizon days (their tail is then a fraction of
    // a percent of the peak); evergreens live on.
    m.life = static_cast<int32_t>(
        std::min(evergreen ? 3000.0 : kHorizon, m.rise + std::max(main_end, tail_end)));

    // Catalog record.
    SoundRecord s;
    const int64_t launch_seconds = DayStartUnixSeconds(m.launch);
    const int64_t upload_lag = std::uniform_int_distribution<int64_t>(0, 40 * 86400)(rng);
    s.clip_id = unique_id(launch_seconds - upload_lag);
    m.clip_id = s.clip_id;
    const double variety = uniform(0, 1);
    if (variety < 0.08 && i > 0) {
      // A variant of an earlier sound: same song, another clip.
      const SoundRecord& base = p.catalog[std::uniform_int_distribution<size_t>(0, i - 1)(rng)];
      s.song_id = base.song_id;
      const int variant = std::uniform_int_distribution<int>(0, 3)(rng);
      if (variant == 0) {
        s.title = "original sound - " + MakeUserName(rng);
        s.author = MakeUserName(rng);
      } else {
        static constexpr std::array<std::string_view, 3> kVariants = {" (Sped Up)", " (Remix)",
                                                                      " (Slowed)"};
        s.title = base.title + std::string(kVariants[variant - 1]);
        s.author = base.author;
      }
      s.duration = std::uniform_int_distribution<int32_t>(15, 60)(rng);
    } else if (variety < 0.18) {
      const std::string user = MakeUserName(rng);
      s.title = "original sound - " + user;
      s.author = user;
      s.song_id = unique_id(launch_seconds - upload_lag);
      s.duration = std::uniform_int_distribution<int32_t>(8, 60)(rng);
    } else {
      s.title = MakeSongTitle(rng);
      s.author = MakeArtistName(rng);
      s.song_id = unique_id(launch_seconds - upload_lag -
                            std::uniform_int_distribution<int64_t>(0, 400 * 86400)(rng));
      s.duration = chance(0.85) ? 60 : std::uniform_int_distribution<int32_t>(20, 59)(rng);
    }
    s.cover = SoundCoverUrl(s.clip_id);
    s.commercial = chance(0.30);
    s.promoted = chance(0.05);

    // Spread: home region, then more regions the more popular the sound is.
    const size_t home = pick_home(rng);
    const double reach_share = std::min(1.0, 1.5 * std::pow(0.005 / (q + 0.005), 0.6));
    size_t reach = 1 + static_cast<size_t>((regions.size() - 1) * reach_share * uniform(0.4, 1.0));
    if (breakout || evergreen) reach = std::max(reach, regions.size() / 2);
    const Cluster home_cluster = kProfiles[regions[home]].cluster;
    std::vector<double> spread_weight = spread_weight_by_cluster[home_cluster];
    spread_weight[home] = 0;
    std::vector<RegionId> targets = WeightedDistinct(std::move(spread_weight), reach - 1, rng);
    m.regions_begin = static_cast<uint32_t>(p.entries.size());
    p.entries.push_back({regions[home], 0, static_cast<float>(popularity)});
    int max_delay = 0;
    for (RegionId k : targets) {
      const bool near = kProfiles[regions[k]].cluster == home_cluster;
      const int delay = near ? std::uniform_int_distribution<int>(1, 6)(rng)
                             : std::uniform_int_distribution<int>(3, breakout ? 10 : 24)(rng);
      const double affinity = near ? uniform(0.5, 1.0) : uniform(0.1, 0.6);
      max_delay = std::max(max_delay, delay);
      p.entries.push_back(
          {regions[k], static_cast<int16_t>(delay), static_cast<float>(popularity * affinity)});
    }
    m.regions_end = static_cast<uint32_t>(p.entries.size());
    m.last_active = m.launch + max_delay + m.life;
    p.models.push_back(m);
    p.catalog.push_back(std::move(s));
  }
  BuildWaves(options, regions, p);
  return p;
}

// A region's uses of a day are shared in proportion to (popularity x lifecycle x
// affinity)^kShareExponent. Below 1 it tempers the head: the day's top sound takes a few
// percent to a few tens of percent of a region's uses, not nearly all of them.
constexpr float kShareExponent = 0.75f;

struct Candidate {
  uint64_t clip_id;
  float weight;  // ordinary activity, before the region's normalisation
  RegionId region;
  float wave = 0;  // breakout uses as a share of the region's uses of the day
};

}  // namespace

Status ValidateOptions(const DemoOptions& options) {
  if (options.sounds < 1 || options.sounds > 50'000'000)
    return Status::InvalidArgument("sounds must be between 1 and 50000000");
  if (options.days < 1 || options.days > 3650)
    return Status::InvalidArgument("days must be between 1 and 3650");
  if (!(options.scale > 0) || options.scale > 1e6)
    return Status::InvalidArgument("scale must be > 0 and <= 1000000");
  if (options.raw_days < 0) return Status::InvalidArgument("raw_days must be >= 0");
  if (!(options.raw_fraction >= 0 && options.raw_fraction <= 1))
    return Status::InvalidArgument("raw_fraction must be between 0 and 1");
  if (options.end_day - options.days + 1 < DayOfUnixSeconds(232830644))
    return Status::InvalidArgument("end_day too early: the generated span must start after 1977");
  if (options.end_day > DayOfUnixSeconds(2328306435))
    return Status::InvalidArgument("end_day too late: ids would exceed 19 digits");
  for (RegionId r : options.regions)
    if (r >= kRegionCount) return Status::InvalidArgument("unknown region id");
  return Status::Ok();
}

std::string SoundCoverUrl(uint64_t clip_id) {
  return "https://cdn.soundtrend.example/cover/" + std::to_string(clip_id) + ".jpeg";
}

std::string VideoCoverUrl(uint64_t video_id) {
  return "https://cdn.soundtrend.example/video/" + std::to_string(video_id) + ".jpeg";
}

VideoRecord ToVideoRecord(const RawUse& use) {
  return VideoRecord{use.video_id,
                     use.clip_id,
                     use.region,
                     DayOfUnixSeconds(use.time),
                     VideoCoverUrl(use.video_id),
                     use.views};
}

Result<DemoSummary> Generate(const DemoOptions& options, DemoSink& sink) {
  ST_RETURN_IF_ERROR(ValidateOptions(options));
  std::vector<RegionId> regions = options.regions;
  if (regions.empty()) {
    for (size_t r = 0; r < kRegionCount; ++r) regions.push_back(static_cast<RegionId>(r));
  }
  std::sort(regions.begin(), regions.end());
  regions.erase(std::unique(regions.begin(), regions.end()), regions.end());

  Platform platform = BuildPlatform(options, regions);
  DemoSummary summary;
  for (const SoundRecord& s : platform.catalog) ST_RETURN_IF_ERROR(sink.OnSound(s));
  summary.sounds = static_cast<int64_t>(platform.catalog.size());

  const uint64_t seed = options.seed;
  const Day first_day = options.end_day - options.days + 1;
  const Day first_raw_day = options.end_day - options.raw_days + 1;
  std::array<double, kRegionCount> base_uses{};
  for (RegionId r : regions) base_uses[r] = RegionBaseUses(kProfiles[r].audience) * options.scale;

  std::vector<Candidate> candidates;
  std::vector<Candidate> active_waves;
  size_t first_wave = 0, next_wave = 0;  // platform.waves[first_wave, next_wave) have started
  std::vector<DailyUses> daily;
  std::vector<RawUse> raw;
  for (Day day = first_day; day <= options.end_day; ++day) {
    candidates.clear();
    daily.clear();
    raw.clear();
    std::array<double, kRegionCount> total_weight{};
    for (const SoundModel& m : platform.models) {
      if (day < m.launch || day > m.last_active) continue;
      const int age0 = day - m.launch;
      for (uint32_t e = m.regions_begin; e < m.regions_end; ++e) {
        const RegionEntry& entry = platform.entries[e];
        const int age = age0 - entry.delay;
        if (age < 0 || age > m.life) continue;
        const float w = std::pow(entry.weight * m.Curve(age), kShareExponent);
        candidates.push_back({m.clip_id, w, entry.region});
        total_weight[entry.region] += w;
      }
    }
    // Breakouts of the day: merged into the candidates (one cell per (clip, region)).
    std::array<double, kRegionCount> wave_share{};
    while (next_wave < platform.waves.size() && platform.waves[next_wave].start <= day) ++next_wave;
    while (first_wave < next_wave && platform.waves[first_wave].start + kWaveLife < day)
      ++first_wave;
    active_waves.clear();
    for (size_t i = first_wave; i < next_wave; ++i) {
      const Wave& w = platform.waves[i];
      const int age = day - w.start;
      if (age > kWaveLife) continue;
      const float share = w.peak_share * w.Curve(age);
      active_waves.push_back({w.clip_id, 0, w.region, share});
      wave_share[w.region] += share;
    }
    if (!active_waves.empty()) {
      auto key = [](const Candidate& c) { return std::pair(c.clip_id, c.region); };
      std::sort(active_waves.begin(), active_waves.end(),
                [&](const Candidate& a, const Candidate& b) { return key(a) < key(b); });
      size_t merged = 0;  // sum the shares of one cell's waves
      for (size_t i = 0; i < active_waves.size(); ++i) {
        if (merged > 0 && key(active_waves[merged - 1]) == key(active_waves[i]))
          active_waves[merged - 1].wave += active_waves[i].wave;
        else
          active_waves[merged++] = active_waves[i];
      }
      active_waves.resize(merged);
      std::vector<bool> taken(active_waves.size());
      for (Candidate& c : candidates) {
        auto it = std::lower_bound(
            active_waves.begin(), active_waves.end(), c,
            [&](const Candidate& a, const Candidate& b) { return key(a) < key(b); });
        if (it == active_waves.end() || key(*it) != key(c)) continue;
        c.wave = it->wave;
        taken[static_cast<size_t>(it - active_waves.begin())] = true;
      }
      for (size_t i = 0; i < active_waves.size(); ++i)
        if (!taken[i]) candidates.push_back(active_waves[i]);
    }
    // Region volume of the day: weekday, slow growth (+0.1%/day), +-1.5% noise; the
    // breakouts' share of it is taken from the ordinary sounds.
    std::array<double, kRegionCount> volume{};
    std::array<double, kRegionCount> ordinary{};
    const int weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday
    const double growth = std::exp(0.001 * (day - options.end_day));
    for (RegionId r : regions) {
      const double noise = 1.0 + 0.015 * Normalish(CellHash(seed, 0, r, day, kStreamRegionDay));
      volume[r] = base_uses[r] * kWeekday[weekday] * growth * noise;
      if (total_weight[r] > 0)
        ordinary[r] = volume[r] * (1.0 - std::min(0.5, wave_share[r])) / total_weight[r];
    }
    const bool raw_day = day >= first_raw_day;
    for (const Candidate& c : candidates) {
      // Poisson around a mean that drifts slowly (a lognormal factor, sigma 0.08, smooth
      // over days): over-dispersed like a real count, yet a day differs from the one before
      // by the noise of the count.
      const uint64_t h = CellHash(seed, c.clip_id, c.region, day, kStreamCount);
      const double u = Unit(h);
      const double mean = ordinary[c.region] * c.weight + volume[c.region] * c.wave;
      // Fast path for the many cells with a tiny mean: the drift factor below is < 2, and
      // the draw is 0 when u <= e^-lambda, which holds whenever u <= 1 - lambda.
      if (u <= 1.0 - 2.0 * mean) continue;
      const uint64_t noise_bits = CellHash(seed, c.clip_id, c.region, day, kStreamNoise);
      const double lambda = mean * std::exp(0.08 * Drift(seed, c.clip_id, c.region, day));
      const int64_t uses = Poisson(lambda, u, noise_bits ^ h);
      if (uses <= 0) continue;
      summary.total_uses += uses;
      const uint64_t raw_hash = CellHash(seed, c.clip_id, c.region, day, kStreamRaw);
      if (raw_day && Unit(raw_hash) < options.raw_fraction) {
        ++summary.raw_cells;
        for (int64_t k = 0; k < uses; ++k) {
          const uint64_t a = Mix(raw_hash + static_cast<uint64_t>(k));
          const uint64_t b = Mix(a);
          RawUse use;
          use.clip_id = c.clip_id;
          use.region = c.region;
          use.time = DayStartUnixSeconds(day) + static_cast<int64_t>(Unit(a) * kSecondsPerDay);
          use.video_id = (static_cast<uint64_t>(use.time) << 32) | (b & 0xffffffffULL);
          // Heavy-tailed views: Pareto with alpha 1.1 from 100, capped at 90 million.
          const double u = 1.0 - Unit(b);  // (0, 1]
          use.views = static_cast<int64_t>(std::min(9.0e7, 100.0 * std::pow(u, -1.0 / 1.1)));
          raw.push_back(use);
        }
      } else {
        daily.push_back({c.clip_id, c.region, day, uses});
      }
    }
    summary.daily_cells += static_cast<int64_t>(daily.size());
    summary.raw_uses += static_cast<int64_t>(raw.size());
    ++summary.days;
    ST_RETURN_IF_ERROR(sink.OnDay(day, daily, raw));
  }
  return summary;
}

}  // namespace soundtrend::demo
