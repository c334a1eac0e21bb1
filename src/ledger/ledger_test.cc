#include "ledger/ledger.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_key_store.h"

namespace soundtrend::ledger {
namespace {

using store::LedgerEntry;
using store::sqlite::SqliteKeyStore;

constexpr std::string_view kMusic = "/v1/tiktok/trending/music";

// The ledger over a real store (SQLite, a file in a fresh directory).
class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ledger_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db_path_ = dir_ + "/keys.db";
    OpenStore();
    store::KeyRecord k;
    k.key_id = "key_a";
    k.key_hash = "hash_a";
    k.name = "a";
    ASSERT_TRUE(store_->CreateKey(k).ok());
  }
  void TearDown() override {
    ledger_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenStore(store::sqlite::OpenOptions options = {}) {
    ledger_.reset();
    store_.reset();
    auto opened = SqliteKeyStore::Open(db_path_, options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  LedgerOptions Options() const {
    LedgerOptions o;
    o.log_path = LogPathBeside(db_path_);
    o.lane_segment_bytes = 4096;  // a few dozen charges per segment: segments roll over
    return o;
  }
  // Replaces ledger_ with a new one over store_.
  void OpenLedger(LedgerOptions options) {
    ledger_.reset();
    auto opened = Ledger::Open(*store_, std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(opened).value();
  }
  void Grant(int64_t credits) { ASSERT_TRUE(store_->ApplyGrant("key_a", "g1", credits, 1).ok()); }
  static Status Append(ChargeLane* lane, const std::string& request_id, int64_t cost = 2) {
    return lane->Append({"key_a", request_id, kMusic, 100, cost});
  }
  Status AppendGroup(std::vector<std::string> request_ids, int64_t time_micros = 10) {
    std::vector<store::ChargeView> views;
    for (const std::string& id : request_ids) {
      views.push_back({"key_a", id, kMusic, time_micros++, 2});
    }
    return ledger_->AppendGroup(views);
  }
  std::vector<std::string> References() {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->ForEachLedgerEntry("key_a",
                                         [&](const LedgerEntry& e) {
                                           out.push_back(e.reference);
                                           return Status::Ok();
                                         })
                    .ok());
    return out;
  }
  int64_t Balance() { return store_->GetKey("key_a")->balance; }
  size_t LaneFiles() {
    auto found = ChargeLane::FindSegments(Options().log_path + ".");
    EXPECT_TRUE(found.ok());
    size_t n = 0;
    for (const auto& [lane, segments] : *found) n += segments.size();
    return n;
  }
  // Runs `child` in a forked process, which must end with _exit(0) (dying without closing
  // anything, as kill -9 would) or return an error code; fails the test on an error code.
  void InAChildThatDies(const std::function<int()>& child) {
    ledger_.reset();
    store_.reset();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(child());
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    OpenStore();
  }

  std::string dir_;
  std::string db_path_;
  std::unique_ptr<SqliteKeyStore> store_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, JournalGroupsAreDurableAtOnceAndMoveInOrderWithBalances) {
  Grant(10);
  OpenLedger(Options());
  ASSERT_TRUE(AppendGroup({"r1", "r2"}).ok());
  ASSERT_TRUE(AppendGroup({"r3"}, 20).ok());
  EXPECT_EQ(ledger_->journal_charges(), 3);
  EXPECT_GT(std::filesystem::file_size(Options().log_path), 0u);  // in the journal
  EXPECT_EQ(Balance(), 10);                                       // not in the store yet
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(ledger_->journal_charges(), 0);
  EXPECT_EQ(std::filesystem::file_size(Options().log_path), 0u);
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "r1", "r2", "r3"}));
  auto key = store_->GetKey("key_a");
  EXPECT_EQ(key->balance, 4);
  EXPECT_EQ(key->charged_requests, 3);
  EXPECT_EQ(key->last_charge_micros, 20);
  std::vector<int64_t> balances;
  ASSERT_TRUE(store_
                  ->ForEachLedgerEntry("key_a",
                                       [&](const LedgerEntry& e) {
                                         balances.push_back(e.balance_after);
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(balances, (std::vector<int64_t>{10, 8, 6, 4}));
  EXPECT_EQ(ledger_->moves(), 1);
  ASSERT_TRUE(ledger_->MoveAll().ok());  // nothing to move: no store call
  EXPECT_EQ(ledger_->moves(), 1);
}

// Regression (issue 12): the journal stores a UUID request id (what serve gives every
// request) as 16 bytes; moving it viewed the decoder's scratch text after the decoder had
// returned, so every --ledger-sync full charge reached the store with a garbage reference.
TEST_F(LedgerTest, UuidRequestIdsMoveFromTheJournalIntact) {
  Grant(100);
  OpenLedger(Options());
  const std::vector<std::string> ids = {"0b2f1507-878d-4f7d-8843-ccb66ecf67a2",
                                        "ffffffff-0000-4000-8000-000000000001", "not-a-uuid",
                                        "12345678-9abc-4def-8123-456789abcdef"};
  ASSERT_TRUE(AppendGroup({ids[0], ids[1]}).ok());
  ASSERT_TRUE(AppendGroup({ids[2], ids[3]}, 20).ok());
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", ids[0], ids[1], ids[2], ids[3]}));
}

TEST_F(LedgerTest, ChargesAKilledProcessLeftInTheJournalMoveAtTheNextOpenOnce) {
  Grant(100);
  const LedgerOptions options = Options();
  InAChildThatDies([&] {
    auto store = SqliteKeyStore::Open(db_path_);
    if (!store.ok()) return 2;
    auto ledger = Ledger::Open(**store, options);
    if (!ledger.ok()) return 3;
    const store::ChargeView a[] = {{"key_a", "k1", kMusic, 10, 2}, {"key_a", "k2", kMusic, 11, 2}};
    const store::ChargeView b[] = {{"key_a", "k3", kMusic, 12, 2}};
    if (!(*ledger)->AppendGroup(a).ok() || !(*ledger)->AppendGroup(b).ok()) return 4;
    _exit(0);
  });
  ASSERT_GT(std::filesystem::file_size(options.log_path), 0u);
  // A torn third record (the kill came in the middle of a write) is cut off.
  {
    std::ofstream torn(options.log_path, std::ios::app | std::ios::binary);
    torn << std::string("\x40\0\0\0garbage", 11);
  }
  ASSERT_TRUE(Ledger::RecoverIfUnowned(*store_, options).ok());  // as the CLI does
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "k1", "k2", "k3"}));
  EXPECT_EQ(Balance(), 94);
  EXPECT_EQ(std::filesystem::file_size(options.log_path), 0u);
  ASSERT_TRUE(Ledger::RecoverIfUnowned(*store_, options).ok());
  OpenLedger(options);
  EXPECT_EQ(Balance(), 94);
}

TEST_F(LedgerTest, ACrashBetweenMovingAndClearingTheJournalMovesNothingTwice) {
  Grant(100);
  OpenLedger(Options());
  ASSERT_TRUE(AppendGroup({"k1"}).ok());
  const std::string journal = Options().log_path;
  const std::string copy = journal + ".copy";
  std::filesystem::copy_file(journal, copy, std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(ledger_->MoveAll().ok());  // moved and cleared
  ledger_.reset();
  // Put the moved record back, as if the process died before the journal was cleared.
  std::filesystem::copy_file(copy, journal, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(copy);
  OpenLedger(Options());
  ASSERT_TRUE(AppendGroup({"k2"}).ok());
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "k1", "k2"}));
  EXPECT_EQ(Balance(), 96);
}

TEST_F(LedgerTest, OneProcessAtATimeHoldsTheLogs) {
  Grant(10);
  OpenLedger(Options());
  auto second = Ledger::Open(*store_, Options());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another `soundtrend serve`"), std::string::npos);
  auto lane = ledger_->Lane(0);
  ASSERT_TRUE(lane.ok());
  ASSERT_TRUE(Append(*lane, "k1").ok());
  {
    // The CLI, while a server holds the logs, leaves them to it.
    auto cli = SqliteKeyStore::Open(db_path_);
    ASSERT_TRUE(cli.ok());
    ASSERT_TRUE(Ledger::RecoverIfUnowned(**cli, Options()).ok());
    EXPECT_EQ((*cli)->GetKey("key_a")->balance, 10);
  }
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(Balance(), 8);
}

TEST_F(LedgerTest, JournalGroupsStayDurableWhileTheStoreIsLockedAndMoveAfter) {
  Grant(100);
  store::sqlite::OpenOptions quick;
  quick.busy_timeout_ms = 20;
  OpenStore(quick);
  OpenLedger(Options());
  {
    // Another process holds the database's write lock: moves fail, appends do not.
    auto other = store::sqlite::Database::Open(db_path_, {});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendGroup({"k" + std::to_string(i)}).ok());
    EXPECT_FALSE(ledger_->MoveAll().ok());
    EXPECT_EQ(ledger_->journal_charges(), 3);
    ASSERT_TRUE((*other)->Exec("ROLLBACK").ok());
  }
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "k0", "k1", "k2"}));
  EXPECT_EQ(Balance(), 94);
}

TEST_F(LedgerTest, LaneChargesMoveInLedgerOrderAndTheirSegmentsGo) {
  Grant(2000);
  OpenLedger(Options());
  auto lane0 = ledger_->Lane(0);
  auto lane1 = ledger_->Lane(1);
  ASSERT_TRUE(lane0.ok() && lane1.ok());
  EXPECT_EQ(*ledger_->Lane(0), *lane0);  // one lane per index
  std::vector<std::string> expected = {"g1", "j0"};
  ASSERT_TRUE(AppendGroup({"j0"}).ok());  // the journal moves first
  for (int i = 0; i < 300; ++i) {         // then lane 0, then lane 1
    ASSERT_TRUE(Append(*lane1, "b" + std::to_string(i)).ok());
    ASSERT_TRUE(Append(*lane0, "a" + std::to_string(i)).ok());
  }
  for (int i = 0; i < 300; ++i) expected.push_back("a" + std::to_string(i));
  for (int i = 0; i < 300; ++i) expected.push_back("b" + std::to_string(i));
  EXPECT_GT(LaneFiles(), 6u);
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References(), expected);
  auto key = store_->GetKey("key_a");
  EXPECT_EQ(key->balance, 2000 - 2 * 601);
  EXPECT_EQ(key->charged_requests, 601);
  // The moved segments are deleted but two spares per lane; each lane keeps its current one.
  EXPECT_EQ(LaneFiles(), 6u);
  // Appends go on; closing moves them and deletes every file.
  ASSERT_TRUE(Append(*lane1, "b300").ok());
  ledger_.reset();
  EXPECT_EQ(LaneFiles(), 0u);
  EXPECT_EQ(References().back(), "b300");
  EXPECT_EQ(Balance(), 2000 - 2 * 602);
}

TEST_F(LedgerTest, LanesOfAKilledProcessMoveAtTheNextOpenExactlyOnce) {
  Grant(1000);
  const LedgerOptions options = Options();
  InAChildThatDies([&] {
    // The child appends, moves part of it, appends more and dies without closing.
    auto store = SqliteKeyStore::Open(db_path_);
    if (!store.ok()) return 2;
    auto ledger = Ledger::Open(**store, options);
    if (!ledger.ok()) return 3;
    auto lane0 = (*ledger)->Lane(0);
    auto lane1 = (*ledger)->Lane(1);
    if (!lane0.ok() || !lane1.ok()) return 4;
    for (int i = 0; i < 60; ++i) {
      if (!Append(*lane0, "a" + std::to_string(i)).ok()) return 5;
    }
    if (!(*ledger)->MoveAll().ok()) return 6;
    for (int i = 60; i < 130; ++i) {
      if (!Append(*lane0, "a" + std::to_string(i)).ok()) return 7;
    }
    if (!Append(*lane1, "b0").ok()) return 8;
    _exit(0);
  });
  ASSERT_GT(LaneFiles(), 0u);
  ASSERT_TRUE(Ledger::RecoverIfUnowned(*store_, options).ok());  // as the CLI does
  const std::vector<std::string> refs = References();
  ASSERT_EQ(refs.size(), 132u);
  EXPECT_EQ(refs[60], "a59");
  EXPECT_EQ(refs[130], "a129");
  EXPECT_EQ(refs[131], "b0");
  EXPECT_EQ(Balance(), 1000 - 2 * 131);
  EXPECT_EQ(LaneFiles(), 0u);
  // A serving process after it: its lanes start past the markers and charge on.
  OpenLedger(options);
  auto lane0 = ledger_->Lane(0);
  ASSERT_TRUE(lane0.ok()) << lane0.status().ToString();
  ASSERT_TRUE(Append(*lane0, "c0").ok());
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References().back(), "c0");
  EXPECT_EQ(References().size(), 133u);
}

TEST_F(LedgerTest, ACrashBetweenMovingAndDeletingALaneMovesNothingTwice) {
  Grant(100);
  OpenLedger(Options());
  auto lane = ledger_->Lane(0);
  ASSERT_TRUE(lane.ok());
  ASSERT_TRUE(Append(*lane, "k1").ok());
  const std::string segment = ChargeLane::SegmentPath(Options().log_path + ".", 0, 1);
  const std::string copy = segment + "-copy";
  std::filesystem::copy_file(segment, copy);
  ledger_.reset();  // moved, and the file deleted
  ASSERT_FALSE(std::filesystem::exists(segment));
  std::filesystem::rename(copy, segment);  // as if the process died before deleting it
  OpenLedger(Options());
  lane = ledger_->Lane(0);
  ASSERT_TRUE(lane.ok()) << lane.status().ToString();
  ASSERT_TRUE(Append(*lane, "k2").ok());
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "k1", "k2"}));
  EXPECT_EQ(Balance(), 96);
}

TEST_F(LedgerTest, AChargeThatDoesNotApplyStaysInItsLaneAndIsReported) {
  Grant(3);
  OpenLedger(Options());
  auto lane = ledger_->Lane(0);
  ASSERT_TRUE(lane.ok());
  ASSERT_TRUE(Append(*lane, "k1").ok());
  ASSERT_TRUE(Append(*lane, "k2").ok());  // its writer did not reserve it: 1 credit left
  EXPECT_EQ(ledger_->MoveAll().code(), Status::Code::kCorruption);
  EXPECT_EQ(ledger_->MoveAll().code(), Status::Code::kCorruption);  // every move reports it
  EXPECT_EQ(Balance(), 3);
  EXPECT_GT(LaneFiles(), 0u);  // nothing lost
  ledger_.reset();
  EXPECT_GT(LaneFiles(), 0u);  // still there for an operator
  EXPECT_EQ(Ledger::Open(*store_, Options()).status().code(), Status::Code::kCorruption);
}

TEST_F(LedgerTest, TryMoveLaneMovesOneLaneAndNeverWaits) {
  Grant(100);
  store::sqlite::OpenOptions quick;
  quick.busy_timeout_ms = 20;
  OpenStore(quick);
  OpenLedger(Options());
  auto lane0 = ledger_->Lane(0);
  auto lane1 = ledger_->Lane(1);
  ASSERT_TRUE(lane0.ok() && lane1.ok());
  ASSERT_TRUE(Append(*lane0, "a1").ok());
  ASSERT_TRUE(Append(*lane1, "b1").ok());
  ASSERT_TRUE(AppendGroup({"j1"}).ok());
  ASSERT_TRUE(ledger_->TryMoveLane(0).ok());
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "a1"}));  // lane 0's charge only
  ASSERT_TRUE(Append(*lane0, "a2").ok());
  {
    // Another process holds the write lock: no move, no error, no wait.
    auto other = store::sqlite::Database::Open(db_path_, {});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
    EXPECT_TRUE(ledger_->TryMoveLane(0).ok());
    EXPECT_FALSE(ledger_->MoveAll().ok());  // a waiting move reports the lock
    ASSERT_TRUE((*other)->Exec("ROLLBACK").ok());
  }
  EXPECT_EQ(Balance(), 98);
  ASSERT_TRUE(ledger_->MoveAll().ok());
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "a1", "j1", "a2", "b1"}));
  EXPECT_EQ(Balance(), 92);
}

TEST_F(LedgerTest, WithoutLogsGroupsGoStraightToTheStoreAndThereAreNoLanes) {
  Grant(10);
  OpenLedger(LedgerOptions{});
  EXPECT_EQ(ledger_->Lane(0).status().code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(AppendGroup({"r1", "r2"}).ok());
  EXPECT_EQ(Balance(), 6);  // applied at once
  EXPECT_EQ(ledger_->journal_charges(), 0);
  EXPECT_EQ(AppendGroup({"r3", "r4", "r5", "r6"}).code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(Balance(), 6);
  EXPECT_FALSE(std::filesystem::exists(Options().log_path));
}

TEST_F(LedgerTest, LedgersWithTheirOwnLogsAndMarkerPrefixesShareOneStore) {
  Grant(100);
  LedgerOptions a = Options();
  a.marker_prefix = "node/a/";
  LedgerOptions b = Options();
  b.log_path = dir_ + "/b-charges";
  b.marker_prefix = "node/b/";
  auto la = Ledger::Open(*store_, a);
  auto lb = Ledger::Open(*store_, b);
  ASSERT_TRUE(la.ok() && lb.ok());
  auto lane_a = (*la)->Lane(0);
  auto lane_b = (*lb)->Lane(0);
  ASSERT_TRUE(lane_a.ok() && lane_b.ok());
  ASSERT_TRUE(Append(*lane_a, "a1").ok());
  ASSERT_TRUE(Append(*lane_b, "b1").ok());
  ASSERT_TRUE((*la)->MoveAll().ok());
  ASSERT_TRUE((*lb)->MoveAll().ok());
  auto markers = store_->LogMarkers("node/");
  ASSERT_TRUE(markers.ok());
  ASSERT_EQ(markers->size(), 2u);
  EXPECT_EQ((*markers)[0].log_id, "node/a/lane-0");
  EXPECT_EQ((*markers)[1].log_id, "node/b/lane-0");
  la->reset();
  lb->reset();
  EXPECT_EQ(References(), (std::vector<std::string>{"g1", "a1", "b1"}));
}

}  // namespace
}  // namespace soundtrend::ledger
