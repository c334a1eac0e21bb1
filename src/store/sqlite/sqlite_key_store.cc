#include "store/sqlite/sqlite_key_store.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "store/charge_block.h"

namespace soundtrend::store::sqlite {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS gw_keys(
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  qps_limit INTEGER NOT NULL CHECK(qps_limit >= 1),
  burst INTEGER NOT NULL CHECK(burst >= 1),
  endpoints TEXT NOT NULL,
  created_micros INTEGER NOT NULL,
  expires_micros INTEGER,
  revoked_micros INTEGER,
  balance INTEGER NOT NULL CHECK(balance >= 0),
  charged_requests INTEGER NOT NULL DEFAULT 0,
  charged_credits INTEGER NOT NULL DEFAULT 0,
  last_charge_micros INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS gw_ledger(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id TEXT NOT NULL REFERENCES gw_keys(key_id),
  kind TEXT NOT NULL CHECK(kind IN ('grant', 'charge', 'refund')),
  time_micros INTEGER NOT NULL,
  reference TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  amount INTEGER NOT NULL,
  balance_after INTEGER NOT NULL CHECK(balance_after >= 0)
);
CREATE TABLE IF NOT EXISTS gw_charge_blocks(
  last_seq INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL,
  entries BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS gw_charge_log_applied(
  log_id TEXT PRIMARY KEY,    -- 'charges' (the journal <db>-charges) or 'lane-<i>'
  applied_id INTEGER NOT NULL  -- last journal record id moved, or a lane's moved-up-to position
);
CREATE UNIQUE INDEX IF NOT EXISTS gw_ledger_grant_id ON gw_ledger(reference) WHERE kind = 'grant';
CREATE INDEX IF NOT EXISTS gw_ledger_by_key ON gw_ledger(key_id, seq);
)sql";

constexpr std::string_view kKeyColumns =
    "key_id, key_hash, name, qps_limit, burst, endpoints, created_micros, expires_micros, "
    "revoked_micros, balance, charged_requests, charged_credits, last_charge_micros";

std::string JoinEndpoints(const std::vector<std::string>& endpoints) {
  std::string out;
  for (const auto& e : endpoints) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

std::vector<std::string> SplitEndpoints(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

KeyRecord ReadKeyRow(const Statement& st) {
  KeyRecord k;
  k.key_id = std::string(st.ColumnText(0));
  k.key_hash = std::string(st.ColumnText(1));
  k.name = std::string(st.ColumnText(2));
  k.qps_limit = st.ColumnInt(3);
  k.burst = st.ColumnInt(4);
  k.endpoints = SplitEndpoints(st.ColumnText(5));
  k.created_micros = st.ColumnInt(6);
  if (!st.ColumnIsNull(7)) k.expires_micros = st.ColumnInt(7);
  if (!st.ColumnIsNull(8)) k.revoked_micros = st.ColumnInt(8);
  k.balance = st.ColumnInt(9);
  k.charged_requests = st.ColumnInt(10);
  k.charged_credits = st.ColumnInt(11);
  k.last_charge_micros = st.ColumnInt(12);
  return k;
}

LedgerKind KindFromText(std::string_view s) {
  if (s == "grant") return LedgerKind::kGrant;
  if (s == "refund") return LedgerKind::kRefund;
  return LedgerKind::kCharge;
}

LedgerEntry ReadLedgerRow(const Statement& st) {
  LedgerEntry e;
  e.seq = st.ColumnInt(0);
  e.key_id = std::string(st.ColumnText(1));
  e.kind = KindFromText(st.ColumnText(2));
  e.time_micros = st.ColumnInt(3);
  e.reference = std::string(st.ColumnText(4));
  e.endpoint = std::string(st.ColumnText(5));
  e.amount = st.ColumnInt(6);
  e.balance_after = st.ColumnInt(7);
  return e;
}

constexpr std::string_view kLedgerColumns =
    "seq, key_id, kind, time_micros, reference, endpoint, amount, balance_after";

// A read transaction so that several SELECTs see one state of the database.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db) : db_(db), begin_(db.Exec("BEGIN")) {}
  ~ReadTransaction() {
    if (begin_.ok()) db_.Exec("COMMIT");
  }
  const Status& status() const { return begin_; }

 private:
  Database& db_;
  Status begin_;
};

}  // namespace

// Runs PASSIVE checkpoints of `path` on its own thread (started at the first request) and
// connection, when the WAL hook of the store's connection asks for one.
class SqliteKeyStore::Checkpointer {
 public:
  Checkpointer(std::string path, OpenOptions options) : path_(std::move(path)), options_(options) {}
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // sqlite3_wal_hook callback: runs on the committing thread after each commit.
  static int OnCommit(void* arg, sqlite3* db, const char* schema, int pages) {
    auto* self = static_cast<Checkpointer*>(arg);
    if (pages >= kInlineCheckpointPages) {
      // The background checkpoints copy the pages but, racing this writer, never leave the
      // WAL fully copied, so it cannot restart. Once the background thread is idle, this
      // checkpoint (writes through this connection are serialized) copies the few pages
      // left and the next write restarts the WAL from its beginning.
      if (!self->running_.load(std::memory_order_acquire)) {
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
    } else if (pages >= kCheckpointPages &&
               !self->requested_.exchange(true, std::memory_order_acq_rel)) {
      self->Request();
    }
    return SQLITE_OK;
  }

  int64_t background_checkpoints() const {
    return background_checkpoints_.load(std::memory_order_relaxed);
  }

 private:
  void Request() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    }
    cv_.notify_one();
  }

  void Run() {
    Result<std::unique_ptr<Database>> db = Database::Open(path_, options_);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || requested_.load(std::memory_order_acquire); });
      if (stopping_) return;
      lock.unlock();
      // Cleared first: a commit during this checkpoint that still finds the WAL long asks again.
      running_.store(true, std::memory_order_release);
      requested_.store(false, std::memory_order_release);
      if (db.ok()) {
        sqlite3_wal_checkpoint_v2((*db)->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                  nullptr);
        background_checkpoints_.fetch_add(1, std::memory_order_relaxed);
      }
      running_.store(false, std::memory_order_release);
      lock.lock();
    }
  }

  const std::string path_;
  const OpenOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<bool> requested_{false};
  std::atomic<bool> running_{false};  // a background checkpoint is under way
  std::atomic<int64_t> background_checkpoints_{0};
};

SqliteKeyStore::SqliteKeyStore(std::unique_ptr<Database> db,
                               std::unique_ptr<Checkpointer> checkpointer)
    : checkpointer_(std::move(checkpointer)), db_(std::move(db)) {}

// Members go in reverse order: statements, the connections, then the checkpointer.
SqliteKeyStore::~SqliteKeyStore() {
  // Best effort: what stays staged (an error) moves at the next open.
  if (journal_ && ApplyChargeLog().ok()) {
    for (auto& [index, state] : lanes_) {
      // Nothing can be appended any more (the store is going): files of a fully moved
      // lane are not needed.
      if (state.lane->end() == state.moved) state.lane->Retire().ok();
    }
  }
}

int64_t SqliteKeyStore::BackgroundCheckpoints() const {
  return checkpointer_ ? checkpointer_->background_checkpoints() : 0;
}

Result<std::unique_ptr<SqliteKeyStore>> SqliteKeyStore::Open(const std::string& path,
                                                             OpenOptions options,
                                                             KeyStoreOptions store_options) {
  Result<std::unique_ptr<Database>> db = Database::Open(path, options);
  if (!db.ok()) return db.status();
  std::unique_ptr<Checkpointer> checkpointer;
  if (!options.read_only) {
    ST_RETURN_IF_ERROR((*db)->Exec("PRAGMA wal_autocheckpoint=0"));
    checkpointer = std::make_unique<Checkpointer>(path, options);
    sqlite3_wal_hook((*db)->handle(), &Checkpointer::OnCommit, checkpointer.get());
  }
  std::unique_ptr<SqliteKeyStore> store(
      new SqliteKeyStore(std::move(db).value(), std::move(checkpointer)));
  if (store_options.charge_lanes) store_options.charge_log = true;
  store->store_options_ = store_options;
  store->db_path_ = path;
  store->busy_timeout_ms_ = options.busy_timeout_ms;
  if (options.read_only || path.empty() || path == ":memory:") return store;
  ST_RETURN_IF_ERROR(store->CreateSchema());

  const std::string log_path = ChargeLogPath(path);
  if (store_options.charge_log) {
    ST_RETURN_IF_ERROR(store->OpenChargeLog(log_path, options));
    ST_RETURN_IF_ERROR(store->ApplyChargeLog());  // what a crashed process staged
    ST_RETURN_IF_ERROR(store->RecoverLanes());
  } else if (std::filesystem::exists(log_path)) {
    // Staged by a serving process that stopped before moving them (killed): move them
    // now, unless a serving process holds the log (its charges then show up within its
    // apply interval).
    if (store->OpenChargeLog(log_path, options).ok()) {  // else a server holds it
      Status applied = store->ApplyChargeLog();
      if (applied.ok()) applied = store->RecoverLanes();
      store->CloseChargeLog();
      ST_RETURN_IF_ERROR(applied);
    }
  }
  return store;
}

std::string SqliteKeyStore::ChargeLogPath(const std::string& db_path) {
  return db_path + "-charges";
}

std::string SqliteKeyStore::ChargeLanePrefix(const std::string& db_path) {
  return db_path + "-charges.";
}

namespace {
std::string LaneLogId(uint32_t lane) { return "lane-" + std::to_string(lane); }
}  // namespace

Result<std::map<uint32_t, LanePosition>> SqliteKeyStore::LaneMarkers() {
  Result<Statement> st = db_->Prepare(
      "SELECT log_id, applied_id FROM gw_charge_log_applied WHERE log_id LIKE 'lane-%'");
  if (!st.ok()) return st.status();
  std::map<uint32_t, LanePosition> markers;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string_view id = st->ColumnText(0);
    uint32_t lane = 0;
    auto [end, ec] = std::from_chars(id.data() + 5, id.data() + id.size(), lane);
    if (ec != std::errc() || end != id.data() + id.size()) continue;
    markers[lane] = static_cast<LanePosition>(st->ColumnInt(1));
  }
  return markers;
}

Status SqliteKeyStore::SetLogMarker(std::string_view log_id, int64_t applied) {
  if (!set_log_marker_) {  // prepared once: a loop sets one at every move
    Result<Statement> st = db_->Prepare(
        "INSERT INTO gw_charge_log_applied(log_id, applied_id) VALUES (?, ?) "
        "ON CONFLICT(log_id) DO UPDATE SET applied_id = excluded.applied_id");
    if (!st.ok()) return st.status();
    set_log_marker_ = std::move(st).value();
  }
  set_log_marker_->Bind(1, log_id).Bind(2, applied);
  return set_log_marker_->Run();
}

Status SqliteKeyStore::UpdateKeyTotals(std::string_view key_id, int64_t balance, int64_t requests,
                                       int64_t credits, int64_t last_micros) {
  update_key_->Bind(1, balance).Bind(2, requests).Bind(3, credits);
  update_key_->Bind(4, last_micros).Bind(5, key_id);
  return update_key_->Run();
}

Status SqliteKeyStore::InsertChargeBlock(int64_t count, std::string_view block) {
  Result<int64_t> first_seq = NextSeq();
  if (!first_seq.ok()) return first_seq.status();
  // `block` outlives the statement's run (Run resets it).
  insert_block_->Bind(1, *first_seq + count - 1).Bind(2, *first_seq).BindBlobNoCopy(3, block);
  return insert_block_->Run();
}

Status SqliteKeyStore::RecoverLanes() {
  const std::string prefix = ChargeLanePrefix(db_path_);
  Result<std::map<uint32_t, std::vector<uint32_t>>> found = ChargeLane::FindSegments(prefix);
  if (!found.ok()) return found.status();
  Result<std::map<uint32_t, LanePosition>> markers = LaneMarkers();
  if (!markers.ok()) return markers.status();
  for (const auto& [lane, marker] : *markers) next_lane_segment_[lane] = LaneSegment(marker) + 1;
  if (found->empty()) return Status::Ok();

  // Every charge beyond its lane's marker, lane by lane, in one transaction.
  size_t count = 0;
  std::map<uint32_t, LanePosition> new_markers;
  for (const auto& [lane, segments] : *found) {
    const auto marker = markers->find(lane);
    const LanePosition from = marker == markers->end() ? 0 : marker->second;
    for (uint32_t segment : segments) {
      ST_RETURN_IF_ERROR(ChargeLane::ReadSegmentFile(
          ChargeLane::SegmentPath(prefix, lane, segment), segment, from,
          [&](LanePosition end, std::string_view payload) {
            LaneCharge c;
            ST_RETURN_IF_ERROR(ChargeLane::Decode(payload, &c));
            AddApplyRequest(count, c.key_id, c.request_id, c.endpoint, c.cost, c.time_micros);
            new_markers[lane] = end;
            return Status::Ok();
          }));
    }
    uint32_t& next = next_lane_segment_[lane];
    next = std::max(next, segments.back() + 1);
  }
  if (count > 0) {
    Transaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    std::vector<Status> outcomes;
    const std::span<const ChargeRequest> requests(apply_requests_.data(), count);
    ST_RETURN_IF_ERROR(WriteCharges(requests, &outcomes));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].ok()) {
        return Status::Corruption(
            "charge " + requests[i].request_id + " of " + requests[i].key_id +
            " left in a charge lane does not apply: " + outcomes[i].ToString());
      }
    }
    for (const auto& [lane, end] : new_markers) {
      ST_RETURN_IF_ERROR(SetLogMarker(LaneLogId(lane), static_cast<int64_t>(end)));
    }
    ST_RETURN_IF_ERROR(tx.Commit());
  }
  for (const auto& [lane, segments] : *found) {
    for (uint32_t segment : segments) {
      std::error_code ec;
      std::filesystem::remove(ChargeLane::SegmentPath(prefix, lane, segment), ec);
      if (ec) return Status::IoError("delete a moved charge lane segment: " + ec.message());
    }
  }
  return Status::Ok();
}

Result<ChargeLane*> SqliteKeyStore::ChargeLaneFor(uint32_t index) {
  if (!store_options_.charge_lanes || !journal_) {
    return Status::FailedPrecondition("this key store was opened without charge lanes");
  }
  auto it = lanes_.find(index);
  if (it != lanes_.end()) return it->second.lane.get();
  auto next = next_lane_segment_.find(index);
  const uint32_t first_segment = next == next_lane_segment_.end() ? 1 : next->second;
  Result<std::unique_ptr<ChargeLane>> lane = ChargeLane::Create(
      ChargeLanePrefix(db_path_), index, first_segment, {store_options_.lane_segment_bytes});
  if (!lane.ok()) return lane.status();
  LaneState& state = lanes_[index];
  state.lane = std::move(lane).value();
  state.moved = state.end = state.lane->start();
  next_lane_segment_.erase(index);
  return state.lane.get();
}

Status SqliteKeyStore::MoveLaneCharges() {
  // WriteCharges' work without its copies: each charge is decided and encoded straight
  // from the lane's mapping (views valid until Release, after the commit), keys are found
  // by a short scan from the last one (a move holds few keys, in long runs), and one block
  // row takes them all.
  ST_RETURN_IF_ERROR(PrepareChargeStatements());
  struct KeyTotals {
    std::string_view key_id;
    int64_t balance = 0;  // running: after the charges so far
    int64_t credits = 0;
    int64_t requests = 0;
    int64_t last_micros = 0;
  };
  std::vector<KeyTotals> keys;
  size_t last = 0;
  lane_encoder_.Reset();  // what a failed move left
  for (auto& [index, state] : lanes_) {
    if (state.end == state.moved) continue;
    ST_RETURN_IF_ERROR(state.lane->ForEach(state.moved, state.end, [&](std::string_view payload) {
      LaneCharge c;
      ST_RETURN_IF_ERROR(ChargeLane::Decode(payload, &c));
      if (keys.empty() || keys[last].key_id != c.key_id) {
        last = std::find_if(keys.begin(), keys.end(),
                            [&](const KeyTotals& k) { return k.key_id == c.key_id; }) -
               keys.begin();
        if (last == keys.size()) {
          Result<std::optional<int64_t>> balance = StoredBalance(c.key_id);
          if (!balance.ok()) return balance.status();
          if (!balance->has_value()) {
            return Status::Corruption("a charge lane holds a charge of unknown key " +
                                      std::string(c.key_id));
          }
          keys.push_back({c.key_id, **balance});
        }
      }
      KeyTotals& k = keys[last];
      if (c.cost <= 0 || k.balance < c.cost) {
        // The lanes' writers reserve every charge against the balance first: this means a
        // reservation was wrong. The charges stay in the lanes; reads report it.
        return Status::Corruption("charge " + std::string(c.request_id) + " of " +
                                  std::string(c.key_id) + " in a charge lane does not apply");
      }
      k.balance -= c.cost;
      k.credits += c.cost;
      ++k.requests;
      k.last_micros = std::max(k.last_micros, c.time_micros);
      lane_encoder_.Add({c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost, k.balance});
      return Status::Ok();
    }));
  }
  if (lane_encoder_.size() > 0) {
    const int64_t count = static_cast<int64_t>(lane_encoder_.size());
    lane_encoder_.Finish(block_);
    for (const KeyTotals& k : keys) {
      ST_RETURN_IF_ERROR(
          UpdateKeyTotals(k.key_id, k.balance, k.requests, k.credits, k.last_micros));
    }
    ST_RETURN_IF_ERROR(InsertChargeBlock(count, block_));
  }
  for (auto& [index, state] : lanes_) {
    if (state.end != state.moved) {
      ST_RETURN_IF_ERROR(SetLogMarker(LaneLogId(index), static_cast<int64_t>(state.end)));
    }
  }
  return Status::Ok();
}

Result<int64_t> SqliteKeyStore::AppliedJournalId() {
  Result<Statement> st =
      db_->Prepare("SELECT applied_id FROM gw_charge_log_applied WHERE log_id = 'charges'");
  if (!st.ok()) return st.status();
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->ColumnInt(0) : int64_t{0};
}

Status SqliteKeyStore::OpenChargeLog(const std::string& log_path, OpenOptions options) {
  Result<int64_t> applied = AppliedJournalId();
  if (!applied.ok()) return applied.status();
  ChargeJournal::Options journal_options;
  journal_options.sync = options.synchronous_full;
  Result<std::unique_ptr<ChargeJournal>> journal =
      ChargeJournal::Open(log_path, journal_options, static_cast<uint64_t>(*applied) + 1);
  if (journal.status().code() == Status::Code::kFailedPrecondition) {
    return Status::FailedPrecondition(journal.status().message() +
                                      " (is another `soundtrend serve` using this database?)");
  }
  if (!journal.ok()) return journal.status();
  journal_ = std::move(journal).value();
  // Records left by a killed process: their balances are not this process's to vouch for.
  staged_as_is_ = journal_->empty();
  last_apply_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

void SqliteKeyStore::CloseChargeLog() {
  journal_.reset();
  staged_keys_.clear();
  staged_charges_ = 0;
}

Status SqliteKeyStore::CreateSchema() { return db_->Exec(kSchema); }

Status SqliteKeyStore::CreateKey(const KeyRecord& key) {
  if (key.balance != 0) {
    return Status::InvalidArgument("a new key starts with balance 0; grant credits instead");
  }
  Result<Statement> st = db_->Prepare(
      "INSERT INTO gw_keys(key_id, key_hash, name, qps_limit, burst, endpoints, created_micros, "
      "expires_micros, revoked_micros, balance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)");
  if (!st.ok()) return st.status();
  st->Bind(1, key.key_id).Bind(2, key.key_hash).Bind(3, key.name);
  st->Bind(4, key.qps_limit).Bind(5, key.burst).Bind(6, JoinEndpoints(key.endpoints));
  st->Bind(7, key.created_micros);
  if (key.expires_micros) {
    st->Bind(8, *key.expires_micros);
  } else {
    st->BindNull(8);
  }
  if (key.revoked_micros) {
    st->Bind(9, *key.revoked_micros);
  } else {
    st->BindNull(9);
  }
  Status s = st->Run();
  if (!s.ok() && sqlite3_extended_errcode(db_->handle()) == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::AlreadyExists("key id or key hash already exists");
  }
  if (!s.ok() && sqlite3_extended_errcode(db_->handle()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Status::AlreadyExists("key id already exists");
  }
  return s;
}

Result<std::vector<KeyRecord>> SqliteKeyStore::ReadKeys(std::optional<std::string_view> key_id) {
  std::string sql = "SELECT ";
  sql += kKeyColumns;
  sql += " FROM gw_keys";
  if (key_id) sql += " WHERE key_id = ?";
  sql += " ORDER BY created_micros, rowid";
  Result<Statement> st = db_->Prepare(sql);
  if (!st.ok()) return st.status();
  if (key_id) st->Bind(1, *key_id);
  std::vector<KeyRecord> out;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadKeyRow(*st));
  }
  return out;
}

Result<KeyRecord> SqliteKeyStore::GetKey(std::string_view key_id) {
  ST_RETURN_IF_ERROR(ApplyChargeLog());
  Result<std::vector<KeyRecord>> keys = ReadKeys(key_id);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return Status::NotFound("unknown key id: " + std::string(key_id));
  return std::move(keys->front());
}

Result<std::vector<KeyRecord>> SqliteKeyStore::ListKeys() {
  ST_RETURN_IF_ERROR(ApplyChargeLog());
  return ReadKeys(std::nullopt);
}

Status SqliteKeyStore::RevokeKey(std::string_view key_id, int64_t time_micros) {
  Result<Statement> st = db_->Prepare(
      "UPDATE gw_keys SET revoked_micros = coalesce(revoked_micros, ?) WHERE key_id = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, time_micros).Bind(2, key_id);
  ST_RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  return Status::Ok();
}

Result<GrantResult> SqliteKeyStore::ApplyGrant(std::string_view key_id, std::string_view grant_id,
                                               int64_t amount, int64_t time_micros) {
  if (amount <= 0) return Status::InvalidArgument("grant amount must be > 0");
  if (amount > kMaxCredits) {
    return Status::InvalidArgument("grant amount must be at most " + std::to_string(kMaxCredits));
  }
  if (grant_id.empty()) return Status::InvalidArgument("grant id must not be empty");
  ST_RETURN_IF_ERROR(ApplyChargeLog());
  Transaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());

  Result<Statement> prior =
      db_->Prepare("SELECT key_id, amount FROM gw_ledger WHERE kind = 'grant' AND reference = ?");
  if (!prior.ok()) return prior.status();
  prior->Bind(1, grant_id);
  Result<bool> found = prior->Step();
  if (!found.ok()) return found.status();
  if (*found) {
    if (prior->ColumnText(0) != key_id || prior->ColumnInt(1) != amount) {
      return Status::AlreadyExists("grant id " + std::string(grant_id) +
                                   " was already used for another key or amount");
    }
    Result<KeyRecord> key = GetKey(key_id);
    if (!key.ok()) return key.status();
    return GrantResult{false, key->balance};
  }

  Result<Statement> update = db_->Prepare(
      "UPDATE gw_keys SET balance = balance + ? WHERE key_id = ? AND balance <= ? "
      "RETURNING balance");
  if (!update.ok()) return update.status();
  update->Bind(1, amount).Bind(2, key_id).Bind(3, kMaxCredits - amount);
  Result<bool> row = update->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    Result<KeyRecord> key = GetKey(key_id);
    if (!key.ok()) return key.status();  // NotFound
    return Status::FailedPrecondition("the balance would pass " + std::to_string(kMaxCredits) +
                                      " credits (it is " + std::to_string(key->balance) +
                                      "; grant at most " +
                                      std::to_string(kMaxCredits - key->balance) + ")");
  }
  const int64_t balance = update->ColumnInt(0);
  update->Reset();

  Result<int64_t> seq = NextSeq();
  if (!seq.ok()) return seq.status();
  Result<Statement> insert = db_->Prepare(
      "INSERT INTO gw_ledger(seq, key_id, kind, time_micros, reference, endpoint, amount, "
      "balance_after) VALUES (?, ?, 'grant', ?, ?, '', ?, ?)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, *seq).Bind(2, key_id).Bind(3, time_micros).Bind(4, grant_id);
  insert->Bind(5, amount).Bind(6, balance);
  ST_RETURN_IF_ERROR(insert->Run());
  ST_RETURN_IF_ERROR(tx.Commit());
  return GrantResult{true, balance};
}

Status SqliteKeyStore::AppendCharges(std::span<const ChargeRequest> charges,
                                     std::vector<Status>* outcomes) {
  outcomes->clear();
  if (charges.empty()) return Status::Ok();
  if (journal_) return StageCharges(charges, outcomes);
  Transaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  ST_RETURN_IF_ERROR(WriteCharges(charges, outcomes));
  Status committed = tx.Commit();
  if (!committed.ok()) outcomes->clear();
  return committed;
}

Status SqliteKeyStore::PrepareChargeStatements() {
  if (!select_balance_) {
    Result<Statement> st = db_->Prepare("SELECT balance FROM gw_keys WHERE key_id = ?");
    if (!st.ok()) return st.status();
    select_balance_ = std::move(st).value();
  }
  if (!update_key_) {
    Result<Statement> st = db_->Prepare(
        "UPDATE gw_keys SET balance = ?1, charged_requests = charged_requests + ?2, "
        "charged_credits = charged_credits + ?3, last_charge_micros = max(last_charge_micros, "
        "?4) WHERE key_id = ?5");
    if (!st.ok()) return st.status();
    update_key_ = std::move(st).value();
  }
  if (!insert_block_) {
    Result<Statement> st =
        db_->Prepare("INSERT INTO gw_charge_blocks(last_seq, first_seq, entries) VALUES (?, ?, ?)");
    if (!st.ok()) return st.status();
    insert_block_ = std::move(st).value();
  }
  return Status::Ok();
}

Result<std::optional<int64_t>> SqliteKeyStore::StoredBalance(std::string_view key_id) {
  ST_RETURN_IF_ERROR(PrepareChargeStatements());
  select_balance_->Bind(1, key_id);
  Result<bool> row = select_balance_->Step();
  std::optional<int64_t> balance;
  if (row.ok() && *row) balance = select_balance_->ColumnInt(0);
  select_balance_->Reset();
  if (!row.ok()) return row.status();
  return balance;
}

Status SqliteKeyStore::WriteCharges(std::span<const ChargeRequest> charges,
                                    std::vector<Status>* outcomes) {
  // The work per charge is kept small: each key's balance is read once, the charges are
  // decided in memory in batch order, each key is updated once, and the accepted charges go
  // into the ledger as ONE charge block row (store/charge_block.h) whose entries take the
  // next seqs. All inside one IMMEDIATE transaction, so nothing else writes
  // between the read and the update; CHECK(balance >= 0) guards the result anyway.
  ST_RETURN_IF_ERROR(PrepareChargeStatements());

  struct KeyTotals {
    bool known = false;
    int64_t balance = 0;  // running: after the charges accepted so far
    int64_t credits = 0;
    int64_t requests = 0;
    int64_t last_micros = 0;
  };
  std::unordered_map<std::string_view, KeyTotals> keys;
  std::vector<Status> results(charges.size());
  std::vector<int64_t> balance_after(charges.size(), 0);
  std::vector<size_t> accepted;
  accepted.reserve(charges.size());
  for (size_t i = 0; i < charges.size(); ++i) {
    const ChargeRequest& c = charges[i];
    if (c.cost <= 0) {
      results[i] = Status::InvalidArgument("charge cost must be > 0");
      continue;
    }
    auto [it, inserted] = keys.try_emplace(c.key_id);
    KeyTotals& k = it->second;
    if (inserted) {
      Result<std::optional<int64_t>> balance = StoredBalance(c.key_id);
      if (!balance.ok()) return balance.status();
      k.known = balance->has_value();
      k.balance = balance->value_or(0);
    }
    if (!k.known) {
      results[i] = Status::NotFound("unknown key id: " + c.key_id);
      continue;
    }
    if (k.balance < c.cost) {
      results[i] = Status::ResourceExhausted("balance below the cost");
      continue;
    }
    k.balance -= c.cost;
    k.credits += c.cost;
    ++k.requests;
    k.last_micros = std::max(k.last_micros, c.time_micros);
    balance_after[i] = k.balance;
    accepted.push_back(i);
  }

  for (const auto& [key_id, k] : keys) {
    if (k.requests == 0) continue;
    ST_RETURN_IF_ERROR(UpdateKeyTotals(key_id, k.balance, k.requests, k.credits, k.last_micros));
  }

  if (!accepted.empty()) {
    packed_.clear();
    for (size_t i : accepted) {
      const ChargeRequest& c = charges[i];
      packed_.push_back(
          {c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost, balance_after[i]});
    }
    EncodeChargeBlock(packed_, block_);
    ST_RETURN_IF_ERROR(InsertChargeBlock(static_cast<int64_t>(accepted.size()), block_));
  }
  *outcomes = std::move(results);
  return Status::Ok();
}

Status SqliteKeyStore::LoadStagedKey(const std::string& key_id, StagedKey& key) {
  Result<std::optional<int64_t>> stored = StoredBalance(key_id);
  if (!stored.ok()) return stored.status();
  const int64_t balance = stored->value_or(0);
  // Another process changed the balance under staged charges: their stored balance_after
  // values no longer follow the ledger's order; the next move recomputes them.
  if (key.staged > 0 && balance != key.stored_balance) staged_as_is_ = false;
  key.loaded = true;
  key.known = stored->has_value();
  key.stored_balance = balance;
  return Status::Ok();
}

Status SqliteKeyStore::StageCharges(std::span<const ChargeRequest> charges,
                                    std::vector<Status>* outcomes) {
  // Decided in memory: a key's balance is its stored balance (read once per apply cycle,
  // again when it looks short: grants made by other processes only add to it) minus what
  // is staged. This process holds the log, so no other one charges meanwhile.
  std::vector<Status> results(charges.size());
  packed_.clear();
  ++stage_calls_;
  for (size_t i = 0; i < charges.size(); ++i) {
    const ChargeRequest& c = charges[i];
    if (c.cost <= 0) {
      results[i] = Status::InvalidArgument("charge cost must be > 0");
      continue;
    }
    StagedKey& k = staged_keys_[c.key_id];
    if (!k.loaded || ((!k.known || k.stored_balance - k.staged < c.cost) &&
                      k.refreshed_in_call != stage_calls_)) {
      Status loaded = LoadStagedKey(c.key_id, k);
      if (!loaded.ok()) {
        UnstagePacked();
        return loaded;
      }
      k.refreshed_in_call = stage_calls_;
    }
    if (!k.known) {
      results[i] = Status::NotFound("unknown key id: " + c.key_id);
      continue;
    }
    if (k.stored_balance - k.staged < c.cost) {
      results[i] = Status::ResourceExhausted("balance below the cost");
      continue;
    }
    k.staged += c.cost;
    ++k.requests;
    k.last_micros = std::max(k.last_micros, c.time_micros);
    packed_.push_back(
        {c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost, k.stored_balance - k.staged});
  }
  if (!packed_.empty()) {
    EncodeChargeBlock(packed_, block_);
    Result<uint64_t> appended = journal_->Append(block_);
    if (!appended.ok()) {
      UnstagePacked();
      return appended.status();
    }
    staged_charges_ += static_cast<int64_t>(packed_.size());
  }
  *outcomes = std::move(results);
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_apply_attempt_ && (staged_charges_ >= store_options_.apply_after_charges ||
                                     now - last_apply_ >= store_options_.apply_interval)) {
    // The charges are durable in the journal already: an error here leaves them staged;
    // every read and Flush retries and reports it, and this path waits an interval.
    if (!ApplyChargeLog().ok()) next_apply_attempt_ = now + store_options_.apply_interval;
  }
  return Status::Ok();
}

void SqliteKeyStore::UnstagePacked() {
  for (const PackedCharge& p : packed_) {
    StagedKey& k = staged_keys_[std::string(p.key_id)];
    k.staged -= p.cost;
    --k.requests;
  }
  packed_.clear();
  staged_as_is_ = false;  // last_micros may be ahead: let the move recount from the journal
}

Status SqliteKeyStore::Flush() { return ApplyChargeLog(); }

Result<bool> SqliteKeyStore::MoveStagedBlocksAsIs(uint64_t applied_id) {
  // Only charges this process staged (not a killed one's), against balances nobody else
  // changed since: then the staged blocks already hold the ledger's balance_after values
  // and go in unchanged, as one row, with the next seqs.
  if (!staged_as_is_ || staged_charges_ == 0) return false;
  ST_RETURN_IF_ERROR(PrepareChargeStatements());
  for (const auto& [key_id, k] : staged_keys_) {
    if (k.staged == 0) continue;
    Result<std::optional<int64_t>> stored = StoredBalance(key_id);
    if (!stored.ok()) return stored.status();
    if (*stored != k.stored_balance) return false;
  }
  // One row for the whole move: the records' groups back to back (store/charge_block.h).
  moved_blocks_.clear();
  int64_t moved = 0;
  ST_RETURN_IF_ERROR(journal_->ForEach([&](uint64_t id, std::string_view block) {
    if (id <= applied_id) return Status::Ok();
    Result<int64_t> n = ChargeBlockCount(block);
    if (!n.ok()) return n.status();
    moved += *n;
    moved_blocks_.append(block);
    return Status::Ok();
  }));
  if (moved != staged_charges_) {
    return Status::Corruption("the charge journal holds " + std::to_string(moved) + " charges, " +
                              std::to_string(staged_charges_) + " were staged");
  }
  ST_RETURN_IF_ERROR(InsertChargeBlock(moved, moved_blocks_));
  for (const auto& [key_id, k] : staged_keys_) {
    if (k.staged == 0) continue;
    ST_RETURN_IF_ERROR(
        UpdateKeyTotals(key_id, k.stored_balance - k.staged, k.requests, k.staged, k.last_micros));
  }
  return true;
}

void SqliteKeyStore::AddApplyRequest(size_t& count, std::string_view key_id,
                                     std::string_view request_id, std::string_view endpoint,
                                     int64_t cost, int64_t time_micros) {
  if (count == apply_requests_.size()) apply_requests_.emplace_back();
  ChargeRequest& r = apply_requests_[count++];
  r.key_id.assign(key_id);
  r.request_id.assign(request_id);
  r.endpoint.assign(endpoint);
  r.cost = cost;
  r.time_micros = time_micros;
}

Status SqliteKeyStore::MoveStagedChargesDecidedAgain(int64_t applied_id) {
  // apply_requests_ keeps its strings' capacity from one move to the next.
  size_t count = 0;
  ST_RETURN_IF_ERROR(journal_->ForEach([&](uint64_t id, std::string_view block) {
    if (id <= static_cast<uint64_t>(applied_id)) return Status::Ok();
    return ForEachPackedCharge(block, [&](const PackedCharge& c) {
      AddApplyRequest(count, c.key_id, c.request_id, c.endpoint, c.cost, c.time_micros);
      return Status::Ok();
    });
  }));
  if (count > 0) {
    const std::span<const ChargeRequest> requests(apply_requests_.data(), count);
    std::vector<Status> outcomes;
    ST_RETURN_IF_ERROR(WriteCharges(requests, &outcomes));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].ok()) {
        // Cannot happen while this process alone charges (StageCharges decided against
        // the same balances); the charges stay staged and every read reports it.
        return Status::Corruption("staged charge " + requests[i].request_id + " of " +
                                  requests[i].key_id +
                                  " does not apply: " + outcomes[i].ToString());
      }
    }
  }
  return Status::Ok();
}

Status SqliteKeyStore::TryFlushChargeLane(uint32_t index) {
  sqlite3_busy_timeout(db_->handle(), 0);
  Status st = ApplyChargeLog(index);
  sqlite3_busy_timeout(db_->handle(), busy_timeout_ms_);
  if (st.code() == Status::Code::kIoError &&
      (sqlite3_errcode(db_->handle()) & 0xff) == SQLITE_BUSY) {
    return Status::Ok();  // another process writes: the next attempt or Flush moves them
  }
  return st;
}

Status SqliteKeyStore::ApplyChargeLog(std::optional<uint32_t> only_lane) {
  if (!journal_) return Status::Ok();
  const bool journal_staged = !journal_->empty();
  bool lanes_staged = false;
  for (auto& [index, state] : lanes_) {
    // What is appended from now on (and lanes not asked for) waits for the next move.
    state.end = only_lane && *only_lane != index ? state.moved : state.lane->end();
    lanes_staged = lanes_staged || state.end != state.moved;
  }
  if (!journal_staged && !lanes_staged) return Status::Ok();
  Transaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  if (journal_staged) {
    // Records moved before a crash that came before the journal's Clear are skipped.
    Result<int64_t> applied = AppliedJournalId();
    if (!applied.ok()) return applied.status();
    Result<bool> as_is = MoveStagedBlocksAsIs(static_cast<uint64_t>(*applied));
    if (!as_is.ok()) return as_is.status();
    if (!*as_is) ST_RETURN_IF_ERROR(MoveStagedChargesDecidedAgain(*applied));
    // Every record in the journal has moved (next_id is one past the last record's id).
    ST_RETURN_IF_ERROR(SetLogMarker("charges", static_cast<int64_t>(journal_->next_id() - 1)));
  }
  if (lanes_staged) ST_RETURN_IF_ERROR(MoveLaneCharges());
  ST_RETURN_IF_ERROR(tx.Commit());
  staged_keys_.clear();  // stored balances changed: read again when next needed
  staged_charges_ = 0;
  staged_as_is_ = true;
  last_apply_ = std::chrono::steady_clock::now();
  Status released;
  for (auto& [index, state] : lanes_) {
    state.moved = state.end;
    Status st = state.lane->Release(state.moved);
    if (released.ok()) released = st;
  }
  if (journal_staged) ST_RETURN_IF_ERROR(journal_->Clear());
  return released;
}

Result<KeySnapshot> SqliteKeyStore::Snapshot(int64_t grants_after) {
  ST_RETURN_IF_ERROR(ApplyChargeLog());
  ReadTransaction rt(*db_);
  ST_RETURN_IF_ERROR(rt.status());
  KeySnapshot snap;
  Result<std::vector<KeyRecord>> keys = ReadKeys(std::nullopt);
  if (!keys.ok()) return keys.status();
  snap.keys = std::move(keys).value();

  Result<int64_t> next = NextSeq();
  if (!next.ok()) return next.status();
  snap.last_seq = *next - 1;

  std::string sql = "SELECT ";
  sql += kLedgerColumns;
  sql += " FROM gw_ledger WHERE kind = 'grant' AND seq > ? ORDER BY seq";
  Result<Statement> grants = db_->Prepare(sql);
  if (!grants.ok()) return grants.status();
  grants->Bind(1, grants_after);
  for (;;) {
    Result<bool> r = grants->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    snap.new_grants.push_back(ReadLedgerRow(*grants));
  }
  return snap;
}

Result<int64_t> SqliteKeyStore::ChangeCounter() {
  Result<Statement> st = db_->Prepare("PRAGMA data_version");
  if (!st.ok()) return st.status();
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("PRAGMA data_version returned no row");
  return st->ColumnInt(0);
}

Result<int64_t> SqliteKeyStore::NextSeq() {
  if (!max_seq_) {
    // Both are lookups of the largest integer primary key: O(log n).
    Result<Statement> st = db_->Prepare(
        "SELECT max(coalesce((SELECT max(seq) FROM gw_ledger), 0), "
        "coalesce((SELECT max(last_seq) FROM gw_charge_blocks), 0))");
    if (!st.ok()) return st.status();
    max_seq_ = std::move(st).value();
  }
  Result<bool> row = max_seq_->Step();
  const int64_t max_seq = row.ok() && *row ? max_seq_->ColumnInt(0) : 0;
  max_seq_->Reset();
  if (!row.ok()) return row.status();
  return max_seq + 1;
}

Status SqliteKeyStore::ForEachLedgerEntry(std::string_view key_id,
                                          const std::function<Status(const LedgerEntry&)>& fn) {
  ST_RETURN_IF_ERROR(ApplyChargeLog());
  // Rows of gw_ledger and the charges of gw_charge_blocks, merged by seq. A block's seqs
  // were taken in one transaction, so no row falls inside a block's range: a block is
  // emitted whole once every row before its first seq is. Blocks are scanned whole
  // (decoding is cheap) and filtered by key while decoding.
  ReadTransaction rt(*db_);
  ST_RETURN_IF_ERROR(rt.status());
  std::string sql = "SELECT ";
  sql += kLedgerColumns;
  sql += " FROM gw_ledger";
  if (!key_id.empty()) sql += " WHERE key_id = ?";
  sql += " ORDER BY seq";
  Result<Statement> rows = db_->Prepare(sql);
  if (!rows.ok()) return rows.status();
  if (!key_id.empty()) rows->Bind(1, key_id);
  Result<Statement> blocks =
      db_->Prepare("SELECT first_seq, entries FROM gw_charge_blocks ORDER BY last_seq");
  if (!blocks.ok()) return blocks.status();

  Result<bool> row = rows->Step();
  if (!row.ok()) return row.status();
  for (;;) {
    Result<bool> block = blocks->Step();
    if (!block.ok()) return block.status();
    const int64_t block_first = *block ? blocks->ColumnInt(0) : INT64_MAX;
    while (*row && rows->ColumnInt(0) < block_first) {
      ST_RETURN_IF_ERROR(fn(ReadLedgerRow(*rows)));
      row = rows->Step();
      if (!row.ok()) return row.status();
    }
    if (!*block) return Status::Ok();
    ST_RETURN_IF_ERROR(DecodeChargeBlock(blocks->ColumnBlob(1), block_first, key_id, fn));
  }
}

}  // namespace soundtrend::store::sqlite
