// Gateway micro-benchmarks (not tests): the SQLite key store's charge blocks (charges per
// second by block size, with and without an fsync per block), the ledger's journal (groups
// appended, moved every 4,096 charges), its charge lanes (append and move), and the request
// path's Admit + Reserve.
//
//   gateway_bench [--dir DIR] [--charges N]      (DIR default /tmp; N default 20000)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "gateway/billing_gateway.h"
#include "ledger/ledger.h"
#include "store/sqlite/sqlite_key_store.h"

using namespace soundtrend;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Charges per second by group size: each group applied to the store as one block (its own
// transaction; the WAL fsynced at each commit with FULL), or, with `journal`, appended to
// the ledger's journal (one write(2), no sync) and moved into the store every 4,096 charges.
// Creates the bench key in `*created` on the first call; false on error.
bool BenchGroupCommit(const std::string& path, bool synchronous_full, bool journal, int64_t total,
                      int64_t& seq, gateway::CreatedKey* created) {
  store::sqlite::OpenOptions open;
  open.synchronous_full = synchronous_full;
  auto store = store::sqlite::SqliteKeyStore::Open(path, open);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return false;
  }
  SeededRandom random(1);
  FakeClock clock(1'770'000'000'000'000);
  gateway::KeyManager manager(**store, clock, random);
  if (created->api_key.empty()) {
    gateway::NewKeySpec spec;
    spec.name = "bench";
    spec.credits = 1'000'000'000'000;
    spec.qps_limit = 100000;
    spec.burst = 6000000;
    auto key = manager.CreateKey(spec);
    if (!key.ok()) return false;
    *created = std::move(key).value();
  }
  ledger::LedgerOptions ledger_options;
  if (journal) ledger_options.log_path = ledger::LogPathBeside(path);
  auto ledger = ledger::Ledger::Open(**store, ledger_options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", ledger.status().ToString().c_str());
    return false;
  }
  std::printf("ledger groups (%s, synchronous=%s):\n",
              journal ? "journal, moved every 4096 charges" : "one block per group",
              synchronous_full ? "FULL" : "NORMAL");
  for (int batch : {1, 16, 64, 256, 1024}) {  // charges per group
    const int64_t n = batch == 1 && synchronous_full ? std::min<int64_t>(total, 500) : total;
    std::vector<std::string> request_ids(batch);
    std::vector<store::ChargeView> charges(batch);
    auto start = std::chrono::steady_clock::now();
    for (int64_t done = 0; done < n; done += batch) {
      for (int i = 0; i < batch; ++i) {
        request_ids[i] = "00000000-0000-4000-8000-" + std::to_string(1000000000000 + ++seq);
        charges[i] = {created->record.key_id, request_ids[i], "/v1/tiktok/trending/music",
                      clock.NowMicros(), 2};
      }
      Status st = (*ledger)->AppendGroup(charges);
      if (st.ok() && (*ledger)->journal_charges() >= 4096) st = (*ledger)->MoveAll();
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return false;
      }
    }
    Status st = (*ledger)->MoveAll();
    if (!st.ok()) return false;
    const double s = Seconds(start);
    std::printf("  batch %5d: %9.0f charges/s  %8.2f us/charge  %7.3f ms/batch\n", batch, n / s,
                s / n * 1e6, s / (n / batch) * 1e3);
  }
  return true;
}

// A charge lane (what `serve --ledger-sync normal` uses): µs per charge to append (on the
// event loop) and to move into SQLite (Ledger::MoveAll), by charges per move.
bool BenchLanes(const std::string& path, int64_t total, int64_t& seq,
                const gateway::CreatedKey& key) {
  store::sqlite::OpenOptions open;
  open.synchronous_full = false;
  auto store = store::sqlite::SqliteKeyStore::Open(path, open);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return false;
  }
  ledger::LedgerOptions ledger_options;
  ledger_options.log_path = ledger::LogPathBeside(path);
  auto ledger = ledger::Ledger::Open(**store, ledger_options);
  if (!ledger.ok()) return false;
  auto lane = (*ledger)->Lane(0);
  if (!lane.ok()) return false;
  FakeClock clock(1'770'000'000'000'000);
  std::printf("charge lane (append on the loop, move into SQLite by Ledger::MoveAll):\n");
  std::string request_id;
  for (int64_t per_move : {1000, 10000, 100000}) {
    double append_s = 0, move_s = 0;
    for (int64_t done = 0; done < total; done += per_move) {
      auto start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < per_move; ++i) {
        request_id = "00000000-0000-4000-8000-" + std::to_string(1000000000000 + ++seq);
        Status st = (*lane)->Append(
            {key.record.key_id, request_id, "/v1/tiktok/trending/music", clock.NowMicros(), 2});
        if (!st.ok()) return false;
      }
      append_s += Seconds(start);
      start = std::chrono::steady_clock::now();
      Status st = (*ledger)->MoveAll();
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return false;
      }
      move_s += Seconds(start);
    }
    std::printf("  %6lld charges per move: append %6.3f us/charge, move %6.3f us/charge\n",
                static_cast<long long>(per_move), append_s / total * 1e6, move_s / total * 1e6);
  }
  return true;
}

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  int64_t total = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--charges")) total = std::stoll(argv[i + 1]);
  }
  const std::string path = dir + "/gateway_bench_" + std::to_string(getpid()) + ".db";
  auto cleanup = [&] {
    for (const char* s : {"", "-wal", "-shm", "-charges", "-charges-wal"}) {
      std::filesystem::remove(path + s);
    }
  };
  cleanup();
  std::printf("database in %s\n", dir.c_str());
  int64_t seq = 0;
  gateway::CreatedKey key;
  if (!BenchGroupCommit(path, true, false, total, seq, &key) ||
      !BenchGroupCommit(path, false, false, total, seq, &key) ||
      !BenchGroupCommit(path, false, true, total, seq, &key) ||
      !BenchLanes(path, total, seq, key)) {
    cleanup();
    return 1;
  }
  SeededRandom random(1);

  auto reopened = store::sqlite::SqliteKeyStore::Open(path);
  if (!reopened.ok()) return 1;
  auto ledger = ledger::Ledger::Open(**reopened, {});
  if (!ledger.ok()) return 1;
  gateway::BillingGatewayOptions options;
  options.reload_interval_millis = 0;
  auto gw = gateway::BillingGateway::Open(std::move(reopened).value(), std::move(ledger).value(),
                                          SystemClock::Instance(), random, options);
  if (!gw.ok()) return 1;
  const std::string auth = "Bearer " + key.api_key;
  const int64_t n = 2'000'000;
  auto start = std::chrono::steady_clock::now();
  int64_t ok = 0;
  for (int64_t i = 0; i < n; ++i) {
    gateway::Admission a = (*gw)->Admit(auth, "/v1/tiktok/trending/music");
    if (a.outcome == gateway::AdmitOutcome::kOk &&
        (*gw)->Reserve(*a.account, 2) == gateway::ReserveOutcome::kReserved) {
      (*gw)->Release(*a.account, 2);
      ++ok;
    }
  }
  const double s = Seconds(start);
  std::printf(
      "request path Admit + Reserve + Release (one thread): %.0f /s, %.2f us each (%lld ok)\n",
      n / s, s / n * 1e6, static_cast<long long>(ok));
  gw->reset();
  cleanup();
  return 0;
}
