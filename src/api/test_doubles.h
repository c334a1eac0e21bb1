// Test doubles for the serving layer's collaborators: a hand-made engine::ChartSet and a
// gateway::Gateway with in-memory keys. Used by the api unit tests and tests/contract;
// never linked into the binary.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/chart_set.h"
#include "gateway/gateway.h"

namespace soundtrend::api::testing {

// An edition whose entries are given. `all` holds every ranked sound in rank order (the
// first min(100, size) are the top); Search scans all of them.
class FakeEdition final : public engine::Edition {
 public:
  FakeEdition(RegionId region, int period, Day day, std::vector<engine::ChartEntry> all,
              ChartKind kind = ChartKind::kPopular);
  ChartKind kind() const override { return kind_; }
  RegionId region() const override { return region_; }
  int period() const override { return period_; }
  Day day() const override { return day_; }
  const std::vector<engine::ChartEntry>& top() const override { return top_; }
  size_t ranked_count() const override { return all_.size(); }
  std::vector<engine::ChartEntry> Search(std::string_view folded_keyword) const override;

 private:
  RegionId region_;
  int period_;
  Day day_;
  ChartKind kind_;
  std::vector<engine::ChartEntry> all_;
  std::vector<engine::ChartEntry> top_;
};

// Editions of one day only (first_day() == day()); no past editions, no details.
class FakeChartSet final : public engine::ChartSet {
 public:
  explicit FakeChartSet(Day day) : day_(day) {}
  void Add(std::unique_ptr<FakeEdition> edition);
  Day day() const override { return day_; }
  std::optional<Day> first_day() const override { return day_; }
  const engine::Edition* Find(RegionId region, int period, ChartKind kind) const override;
  std::shared_ptr<const engine::Edition> EditionOf(RegionId region, int period, ChartKind kind,
                                                   Day day) const override;
  std::optional<engine::SoundDetail> Detail(uint64_t, RegionId, int, Day) const override {
    return std::nullopt;
  }

 private:
  Day day_;
  std::map<std::tuple<ChartKind, RegionId, int>, std::unique_ptr<FakeEdition>> editions_;
};

// A deterministic entry: rank `rank`, clip_id 1000 + rank, song_id 5000 + rank.
engine::ChartEntry MakeEntry(int rank, std::string title, std::string author, Day day,
                             int trend_points = 7);

// A chart set for `day` with, in US/7: `count` entries whose titles are "Song <rank>" and
// author "Artist <rank>" except for a few fixed ones (see the .cc), every 3rd entry
// commercial, every 4th new to the top 100; in GB/30: 3 entries; nothing elsewhere.
std::shared_ptr<const FakeChartSet> MakeDemoChartSet(Day day, int count = 130);

// Keys: "Bearer <key>" with a balance and flags. Admit/Reserve/Release/Balance are
// thread-safe. Charges are recorded with `commit_status` (OK by default): at once through
// CommitNow, or, when `async_commit` is set, only through Commit, completed on a separate
// thread. A key with `pending_admit` / `pending_reserve` makes Admit / Reserve answer
// kPending, completed by FinishAdmit / FinishReserve on a separate thread (the slow paths of
// a shared rate limit and a credit lease).
class FakeGateway final : public gateway::Gateway {
 public:
  struct KeySpec {
    std::string key;
    std::string key_id;
    int64_t credits = 0;
    bool forbidden = false;
    bool rate_limited = false;
    bool pending_admit = false;
    bool pending_reserve = false;
    bool reserve_unavailable = false;  // Reserve answers kUnavailable (503)
  };
  explicit FakeGateway(bool async_commit = false) : async_commit_(async_commit) {}
  ~FakeGateway() override;
  void AddKey(const KeySpec& spec);
  void SetCommitStatus(Status s);
  // Number of successful Commits (charges recorded).
  int64_t commits() const { return commits_.load(); }
  // Request ids of the successful charges, in order.
  std::vector<std::string> charged_request_ids() const;
  // Calls of AfterAnswer.
  int64_t after_answers() const { return after_answers_.load(); }
  // Joins the threads that completed pending calls.
  void JoinThreads();

  gateway::Admission Admit(std::string_view authorization, std::string_view endpoint) override;
  void FinishAdmit(gateway::Admission pending,
                   std::function<void(gateway::Admission)> done) override;
  gateway::ReserveOutcome Reserve(gateway::KeyAccount& account, int64_t cost) override;
  void FinishReserve(std::shared_ptr<gateway::KeyAccount> account, int64_t cost,
                     std::function<void(gateway::ReserveOutcome)> done) override;
  void Release(gateway::KeyAccount& account, int64_t cost) override;
  std::optional<Status> CommitNow(gateway::KeyAccount& account,
                                  const gateway::ChargeRef& charge) override;
  void AfterAnswer() override { ++after_answers_; }
  void Commit(std::shared_ptr<gateway::KeyAccount> account, gateway::ChargeInfo charge,
              std::function<void(Status)> done) override;
  int64_t Balance(const gateway::KeyAccount& account) const override;

 private:
  const bool async_commit_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<gateway::KeyAccount>> accounts_;  // by key
  std::map<std::string, KeySpec> specs_;
  Status commit_status_;
  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> after_answers_{0};
  std::vector<std::string> charged_;  // guarded by mutex_
  std::vector<std::thread> threads_;
  // Runs `task` on a new thread (joined at destruction).
  void Later(std::function<void()> task);
  // Records a charge (or releases it when commit_status_ is an error).
  Status Charge(gateway::KeyAccount& account, std::string_view request_id, int64_t cost);
};

}  // namespace soundtrend::api::testing
