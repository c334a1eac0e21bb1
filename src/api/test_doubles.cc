#include "api/test_doubles.h"

#include "common/text_fold.h"

namespace soundtrend::api::testing {

// The fake's account. gateway::KeyAccount is opaque and defined by the real gateway, so the
// fake never defines it: it hands out pointers to FakeAccount typed as KeyAccount (shared_ptr
// aliasing; never dereferenced as KeyAccount) and converts them back here.
struct FakeAccount {
  std::string key_id;
  std::atomic<int64_t> balance{0};
  bool rate_limited = false;
  bool pending_reserve = false;
  bool reserve_unavailable = false;
};

namespace {

FakeAccount& Fake(gateway::KeyAccount& account) {
  return *reinterpret_cast<FakeAccount*>(&account);
}
const FakeAccount& Fake(const gateway::KeyAccount& account) {
  return *reinterpret_cast<const FakeAccount*>(&account);
}

}  // namespace

FakeEdition::FakeEdition(RegionId region, int period, Day day, std::vector<engine::ChartEntry> all,
                         ChartKind kind)
    : region_(region), period_(period), day_(day), kind_(kind), all_(std::move(all)) {
  top_.assign(all_.begin(), all_.begin() + std::min<size_t>(100, all_.size()));
}

std::vector<engine::ChartEntry> FakeEdition::Search(std::string_view folded_keyword) const {
  std::vector<engine::ChartEntry> out;
  for (const auto& e : all_) {
    if (FoldForSearch(e.sound->title).find(folded_keyword) != std::string::npos ||
        FoldForSearch(e.sound->author).find(folded_keyword) != std::string::npos) {
      out.push_back(e);
    }
  }
  return out;
}

void FakeChartSet::Add(std::unique_ptr<FakeEdition> edition) {
  const auto key = std::make_tuple(edition->kind(), edition->region(), edition->period());
  editions_[key] = std::move(edition);
}

const engine::Edition* FakeChartSet::Find(RegionId region, int period, ChartKind kind) const {
  auto it = editions_.find({kind, region, period});
  return it == editions_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const engine::Edition> FakeChartSet::EditionOf(RegionId region, int period,
                                                               ChartKind kind, Day day) const {
  const engine::Edition* edition = day == day_ ? Find(region, period, kind) : nullptr;
  // Not owned: the set outlives what tests do with it.
  return edition ? std::shared_ptr<const engine::Edition>(edition, [](const engine::Edition*) {})
                 : nullptr;
}

engine::ChartEntry MakeEntry(int rank, std::string title, std::string author, Day day,
                             int trend_points) {
  auto sound = std::make_shared<SoundRecord>();
  sound->clip_id = 7000000000000000000ULL + static_cast<uint64_t>(rank);
  sound->song_id = 6000000000000000000ULL + static_cast<uint64_t>(rank);
  sound->title = std::move(title);
  sound->author = std::move(author);
  sound->cover = "https://example.com/cover/" + std::to_string(rank) + ".jpeg";
  sound->duration = 30 + rank % 60;
  sound->commercial = rank % 3 == 0;
  sound->promoted = rank % 10 == 0;
  engine::ChartEntry e;
  e.sound = std::move(sound);
  e.rank = rank;
  e.usage_count = 100000 / rank;
  if (rank % 4 == 0) {
    e.rank_diff_type = 4;  // new
    e.new_to_top_100 = rank % 8 == 0;
  } else {
    e.rank_diff = rank % 4;
    e.rank_diff_type = rank % 4 == 1 ? 1 : rank % 4 == 2 ? 2 : 3;
    if (e.rank_diff_type == 2) e.rank_diff = 0;
  }
  if (rank % 5 != 0) e.on_list_times = rank % 7 + 1;
  for (int i = 0; i < trend_points; ++i) {
    e.trend.push_back(engine::TrendPoint{DayStartUnixSeconds(day - trend_points + 1 + i),
                                         i == trend_points - 1 ? 100 : (i * 13 + rank) % 100});
  }
  if (rank % 2 == 1) {
    for (int i = 0; i < 1 + rank % 4; ++i) {
      e.related.push_back(engine::RelatedVideo{
          9000000000000000000ULL + rank * 10 + i,
          "https://example.com/video/" + std::to_string(rank) + "_" + std::to_string(i) + ".jpeg"});
    }
  }
  return e;
}

std::shared_ptr<const FakeChartSet> MakeDemoChartSet(Day day, int count) {
  auto set = std::make_shared<FakeChartSet>(day);
  std::vector<engine::ChartEntry> us;
  for (int rank = 1; rank <= count; ++rank) {
    std::string title = "Song " + std::to_string(rank);
    std::string author = "Artist " + std::to_string(rank);
    if (rank == 1) {
      title = "New Sun";
      author = "Chihei Hatakeyama";
    } else if (rank == 2) {
      title = "Déjà Vu";
      author = "Beyoncé";
    } else if (rank == 5) {
      title = "Crazy in Love";
      author = "BEYONCE";
    } else if (rank == 120) {
      title = "Halo (Beyoncé cover)";  // outside the top 100: only search finds it
      author = "Someone";
    } else if (rank == 3) {
      title = "Straße \"quoted\" \\ back";
      author = "Ünïcödé";
    }
    us.push_back(MakeEntry(rank, std::move(title), std::move(author), day));
  }
  set->Add(std::make_unique<FakeEdition>(*FindRegion("US"), 7, day, std::move(us)));
  std::vector<engine::ChartEntry> gb;
  for (int rank = 1; rank <= 3; ++rank)
    gb.push_back(MakeEntry(rank, "GB Song " + std::to_string(rank), "GB Artist", day, 30));
  set->Add(std::make_unique<FakeEdition>(*FindRegion("GB"), 30, day, std::move(gb)));
  return set;
}

FakeGateway::~FakeGateway() { JoinThreads(); }

void FakeGateway::JoinThreads() {
  for (;;) {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.swap(threads_);
    }
    if (threads.empty()) return;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
}

void FakeGateway::Later(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mutex_);
  threads_.emplace_back(std::move(task));
}

std::vector<std::string> FakeGateway::charged_request_ids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return charged_;
}

Status FakeGateway::Charge(gateway::KeyAccount& account, std::string_view request_id,
                           int64_t cost) {
  Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    status = commit_status_;
    if (status.ok()) charged_.emplace_back(request_id);
  }
  if (status.ok()) {
    ++commits_;
  } else {
    Release(account, cost);
  }
  return status;
}

void FakeGateway::AddKey(const KeySpec& spec) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto fake = std::make_shared<FakeAccount>();
  fake->key_id = spec.key_id;
  fake->balance = spec.credits;
  fake->rate_limited = spec.rate_limited;
  fake->pending_reserve = spec.pending_reserve;
  fake->reserve_unavailable = spec.reserve_unavailable;
  accounts_[spec.key] = std::shared_ptr<gateway::KeyAccount>(
      fake, reinterpret_cast<gateway::KeyAccount*>(fake.get()));
  specs_[spec.key] = spec;
}

void FakeGateway::SetCommitStatus(Status s) {
  std::lock_guard<std::mutex> lock(mutex_);
  commit_status_ = std::move(s);
}

gateway::Admission FakeGateway::Admit(std::string_view authorization, std::string_view) {
  gateway::Admission a;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      authorization.substr(0, kBearer.size()) != kBearer) {
    a.outcome = gateway::AdmitOutcome::kMissingKey;
    return a;
  }
  const std::string key(authorization.substr(kBearer.size()));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = accounts_.find(key);
  if (it == accounts_.end()) {
    a.outcome = gateway::AdmitOutcome::kInvalidKey;
    return a;
  }
  const KeySpec& spec = specs_[key];
  a.account = it->second;
  a.key_id = spec.key_id;
  a.ratelimit_policy = "\"default\";q=10;w=1";
  a.ratelimit = spec.rate_limited ? "\"default\";r=0;t=1" : "\"default\";r=9;t=1";
  if (spec.forbidden) {
    a.outcome = gateway::AdmitOutcome::kForbidden;
  } else if (spec.pending_admit) {
    a.outcome = gateway::AdmitOutcome::kPending;
    a.ratelimit.clear();  // decided later
  } else if (spec.rate_limited) {
    a.outcome = gateway::AdmitOutcome::kRateLimited;
    a.retry_after_seconds = 1;
  } else {
    a.outcome = gateway::AdmitOutcome::kOk;
  }
  return a;
}

void FakeGateway::FinishAdmit(gateway::Admission pending,
                              std::function<void(gateway::Admission)> done) {
  Later([pending = std::move(pending), done = std::move(done)]() mutable {
    const bool limited = Fake(*pending.account).rate_limited;
    pending.outcome = limited ? gateway::AdmitOutcome::kRateLimited : gateway::AdmitOutcome::kOk;
    pending.ratelimit = limited ? "\"default\";r=0;t=1" : "\"default\";r=9;t=1";
    pending.retry_after_seconds = limited ? 1 : 0;
    done(std::move(pending));
  });
}

namespace {
gateway::ReserveOutcome TakeCredits(FakeAccount& fake, int64_t cost) {
  int64_t current = fake.balance.load();
  while (current >= cost) {
    if (fake.balance.compare_exchange_weak(current, current - cost)) {
      return gateway::ReserveOutcome::kReserved;
    }
  }
  return gateway::ReserveOutcome::kNoCredit;
}
}  // namespace

gateway::ReserveOutcome FakeGateway::Reserve(gateway::KeyAccount& account, int64_t cost) {
  FakeAccount& fake = Fake(account);
  if (fake.reserve_unavailable) return gateway::ReserveOutcome::kUnavailable;
  if (fake.pending_reserve) return gateway::ReserveOutcome::kPending;
  return TakeCredits(fake, cost);
}

void FakeGateway::FinishReserve(std::shared_ptr<gateway::KeyAccount> account, int64_t cost,
                                std::function<void(gateway::ReserveOutcome)> done) {
  Later([account = std::move(account), cost, done = std::move(done)] {
    done(TakeCredits(Fake(*account), cost));
  });
}

void FakeGateway::Release(gateway::KeyAccount& account, int64_t cost) {
  Fake(account).balance += cost;
}

std::optional<Status> FakeGateway::CommitNow(gateway::KeyAccount& account,
                                             const gateway::ChargeRef& charge) {
  if (async_commit_) return std::nullopt;
  return Charge(account, charge.request_id, charge.cost);
}

void FakeGateway::Commit(std::shared_ptr<gateway::KeyAccount> account, gateway::ChargeInfo charge,
                         std::function<void(Status)> done) {
  auto finish = [this, account, charge = std::move(charge), done = std::move(done)] {
    done(Charge(*account, charge.request_id, charge.cost));
  };
  if (!async_commit_) return finish();
  Later(std::move(finish));
}

int64_t FakeGateway::Balance(const gateway::KeyAccount& account) const {
  return Fake(account).balance.load();
}

}  // namespace soundtrend::api::testing
