// Gateway micro-benchmarks (not tests): the SQLite ledger's group commit (charges per
// second by batch size, with and without an fsync per batch), the charge lanes (append and
// move), and the request path's Admit + Reserve.
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
#include "store/sqlite/sqlite_key_store.h"

using namespace soundtrend;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Charges per second by group size, with the WAL fsynced at each commit (FULL, `serve
// --ledger-sync full`) or not (NORMAL, the default). Creates the
// bench key in `*created` on the first call; false on error.
bool BenchGroupCommit(const std::string& path, bool synchronous_full, bool charge_log,
                      int64_t total, int64_t& seq, gateway::CreatedKey* created) {
  store::sqlite::OpenOptions open;
  open.synchronous_full = synchronous_full;
  store::sqlite::KeyStoreOptions store_options;
  store_options.charge_log = charge_log;
  auto store = store::sqlite::SqliteKeyStore::Open(path, open, store_options);
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
  std::printf("ledger group commit (AppendCharges, synchronous=%s%s):\n",
              synchronous_full ? "FULL" : "NORMAL", charge_log ? ", charge log" : "");
  for (int batch : {1, 16, 64, 256, 1024}) {  // charges per AppendCharges
    const int64_t n = batch == 1 && synchronous_full ? std::min<int64_t>(total, 500) : total;
    std::vector<store::ChargeRequest> charges(batch);
    std::vector<Status> outcomes;
    auto start = std::chrono::steady_clock::now();
    for (int64_t done = 0; done < n; done += batch) {
      for (auto& c : charges) {
        c = {created->record.key_id,
             "00000000-0000-4000-8000-" + std::to_string(1000000000000 + ++seq),
             "/v1/tiktok/trending/music", 2, clock.NowMicros()};
      }
      Status st = (*store)->AppendCharges(charges, &outcomes);
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return false;
      }
    }
    const double s = Seconds(start);
    std::printf("  batch %5d: %9.0f charges/s  %8.2f us/charge  %7.3f ms/batch\n", batch, n / s,
                s / n * 1e6, s / (n / batch) * 1e3);
  }
  return true;
}

// A charge lane (what `serve --ledger-sync normal` uses): µs per charge to append (on the
// event loop) and to move into SQLite (Flush, on the reload thread), by charges per move.
bool BenchLanes(const std::string& path, int64_t total, int64_t& seq,
                const gateway::CreatedKey& key) {
  store::sqlite::OpenOptions open;
  open.synchronous_full = false;
  store::sqlite::KeyStoreOptions store_options;
  store_options.charge_lanes = true;
  auto store = store::sqlite::SqliteKeyStore::Open(path, open, store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return false;
  }
  auto lane = (*store)->ChargeLaneFor(0);
  if (!lane.ok()) return false;
  FakeClock clock(1'770'000'000'000'000);
  std::printf("charge lane (append on the loop, move into SQLite by Flush):\n");
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
      Status st = (*store)->Flush();
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
  gateway::BillingGatewayOptions options;
  options.reload_interval_millis = 0;
  auto gw = gateway::BillingGateway::Open(std::move(reopened).value(), SystemClock::Instance(),
                                          random, options);
  if (!gw.ok()) return 1;
  const std::string auth = "Bearer " + key.api_key;
  const int64_t n = 2'000'000;
  auto start = std::chrono::steady_clock::now();
  int64_t ok = 0;
  for (int64_t i = 0; i < n; ++i) {
    gateway::Admission a = (*gw)->Admit(auth, "/v1/tiktok/trending/music");
    if (a.outcome == gateway::AdmitOutcome::kOk && (*gw)->Reserve(*a.account, 2)) {
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
