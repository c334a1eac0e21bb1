#include "store/sqlite/sqlite_key_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "store/sqlite/sqlite_schema.h"

namespace soundtrend::store::sqlite {
namespace {

constexpr std::string_view kKeyColumns =
    "key_id, key_hash, name, qps_limit, burst, endpoints, created_micros, expires_micros, "
    "revoked_micros, balance, charged_requests, charged_credits, last_charge_micros, "
    "previous_key_hash, previous_hash_expires_micros";

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
  k.previous_key_hash = std::string(st.ColumnText(13));
  if (!st.ColumnIsNull(14)) k.previous_hash_expires_micros = st.ColumnInt(14);
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
SqliteKeyStore::~SqliteKeyStore() = default;

int64_t SqliteKeyStore::BackgroundCheckpoints() const {
  return checkpointer_ ? checkpointer_->background_checkpoints() : 0;
}

Result<std::unique_ptr<SqliteKeyStore>> SqliteKeyStore::Open(const std::string& path,
                                                             OpenOptions options) {
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
  store->busy_timeout_ms_ = options.busy_timeout_ms;
  if (options.read_only) {
    ST_RETURN_IF_ERROR(CheckReadOnlySchema(*store->db_));
    return store;
  }
  // The tables: sqlite/migrations/0001_keys.sql, applied by version (sqlite_schema.h).
  Result<SchemaChange> schema = EnsureSchema(*store->db_, /*migrate=*/false);
  if (!schema.ok()) return schema.status();
  return store;
}

Result<std::vector<LogMarker>> SqliteKeyStore::LogMarkers(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  // substr compares exactly (LIKE would need the prefix's '%' and '_' escaped).
  Result<Statement> st = db_->Prepare(
      "SELECT log_id, applied_id FROM gw_charge_log_applied "
      "WHERE substr(log_id, 1, length(?1)) = ?1 ORDER BY log_id");
  if (!st.ok()) return st.status();
  st->Bind(1, prefix);
  std::vector<LogMarker> markers;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    markers.push_back({std::string(st->ColumnText(0)), st->ColumnInt(1)});
  }
  return markers;
}

Status SqliteKeyStore::CreateKey(const KeyRecord& key) {
  std::lock_guard lock(mutex_);
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
  st->BindOptional(8, key.expires_micros).BindOptional(9, key.revoked_micros);
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
  std::lock_guard lock(mutex_);
  Result<std::vector<KeyRecord>> keys = ReadKeys(key_id);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return Status::NotFound("unknown key id: " + std::string(key_id));
  return std::move(keys->front());
}

Result<std::vector<KeyRecord>> SqliteKeyStore::ListKeys() {
  std::lock_guard lock(mutex_);
  return ReadKeys(std::nullopt);
}

Status SqliteKeyStore::RevokeKey(std::string_view key_id, int64_t time_micros) {
  std::lock_guard lock(mutex_);
  Result<Statement> st = db_->Prepare(
      "UPDATE gw_keys SET revoked_micros = coalesce(revoked_micros, ?) WHERE key_id = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, time_micros).Bind(2, key_id);
  ST_RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  return Status::Ok();
}

Result<KeyRecord> SqliteKeyStore::UpdateKey(std::string_view key_id, const KeyChanges& changes) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  // ?N IS NULL keeps a column; ?7 = 1 replaces the expiry (with ?6, NULL = never).
  Result<Statement> st = db_->Prepare(
      "UPDATE gw_keys SET name = coalesce(?1, name), qps_limit = coalesce(?2, qps_limit), "
      "burst = coalesce(?3, burst), endpoints = coalesce(?4, endpoints), "
      "expires_micros = CASE WHEN ?7 = 1 THEN ?6 ELSE expires_micros END WHERE key_id = ?5");
  if (!st.ok()) return st.status();
  st->BindOptional(1, changes.name).BindOptional(2, changes.qps_limit);
  st->BindOptional(3, changes.burst);
  if (changes.endpoints) {
    st->Bind(4, JoinEndpoints(*changes.endpoints));
  } else {
    st->BindNull(4);
  }
  st->Bind(5, key_id);
  st->BindOptional(6, changes.expires_micros.value_or(std::nullopt));
  st->Bind(7, int64_t{changes.expires_micros ? 1 : 0});
  ST_RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  Result<std::vector<KeyRecord>> keys = ReadKeys(key_id);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return Status::NotFound("unknown key id: " + std::string(key_id));
  ST_RETURN_IF_ERROR(tx.Commit());
  return std::move(keys->front());
}

Result<KeyRecord> SqliteKeyStore::RotateKey(std::string_view key_id, std::string_view new_hash,
                                            std::optional<int64_t> previous_valid_until) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  Result<Statement> st = db_->Prepare(
      "UPDATE gw_keys SET previous_key_hash = CASE WHEN ?2 IS NULL THEN '' ELSE key_hash END, "
      "previous_hash_expires_micros = ?2, key_hash = ?1 WHERE key_id = ?3");
  if (!st.ok()) return st.status();
  st->Bind(1, new_hash);
  st->BindOptional(2, previous_valid_until);
  st->Bind(3, key_id);
  Status s = st->Run();
  if (!s.ok() && sqlite3_extended_errcode(db_->handle()) == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::AlreadyExists("key hash already exists");
  }
  ST_RETURN_IF_ERROR(s);
  if (db_->Changes() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  Result<std::vector<KeyRecord>> keys = ReadKeys(key_id);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return Status::NotFound("unknown key id: " + std::string(key_id));
  ST_RETURN_IF_ERROR(tx.Commit());
  return std::move(keys->front());
}

Result<GrantResult> SqliteKeyStore::ApplyGrant(std::string_view key_id, std::string_view grant_id,
                                               int64_t amount, int64_t time_micros) {
  if (amount <= 0) return Status::InvalidArgument("grant amount must be > 0");
  if (amount > kMaxCredits) {
    return Status::InvalidArgument("grant amount must be at most " + std::to_string(kMaxCredits));
  }
  if (grant_id.empty()) return Status::InvalidArgument("grant id must not be empty");
  std::lock_guard lock(mutex_);
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
    Result<std::optional<int64_t>> balance = StoredBalance(key_id);
    if (!balance.ok()) return balance.status();
    return GrantResult{false, balance->value_or(0)};
  }

  Result<Statement> update = db_->Prepare(
      "UPDATE gw_keys SET balance = balance + ? WHERE key_id = ? AND balance <= ? "
      "RETURNING balance");
  if (!update.ok()) return update.status();
  update->Bind(1, amount).Bind(2, key_id).Bind(3, kMaxCredits - amount);
  Result<bool> row = update->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    update->Reset();
    Result<std::optional<int64_t>> current = StoredBalance(key_id);  // the mutex is held
    if (!current.ok()) return current.status();
    if (!current->has_value()) return Status::NotFound("unknown key id: " + std::string(key_id));
    return Status::FailedPrecondition("the balance would pass " + std::to_string(kMaxCredits) +
                                      " credits (it is " + std::to_string(**current) +
                                      "; grant at most " + std::to_string(kMaxCredits - **current) +
                                      ")");
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
  if (!set_log_marker_) {
    Result<Statement> st = db_->Prepare(
        "INSERT INTO gw_charge_log_applied(log_id, applied_id) VALUES (?, ?) "
        "ON CONFLICT(log_id) DO UPDATE SET applied_id = excluded.applied_id");
    if (!st.ok()) return st.status();
    set_log_marker_ = std::move(st).value();
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

Status SqliteKeyStore::ApplyChargeBlock(std::span<const ChargeView> charges,
                                        std::span<const LogMarker> markers,
                                        const ApplyOptions& options) {
  if (charges.empty() && markers.empty()) return Status::Ok();
  std::unique_lock lock(mutex_, std::defer_lock);
  if (options.wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return Status::Unavailable("the key store is busy");
  }
  if (!options.wait) sqlite3_busy_timeout(db_->handle(), 0);
  Status st;
  {
    Transaction tx(*db_);
    st = tx.status();
    if (st.ok()) st = WriteChargeBlock(charges, markers);
    if (st.ok()) st = tx.Commit();
  }
  if (!options.wait) {
    sqlite3_busy_timeout(db_->handle(), busy_timeout_ms_);
    if (st.code() == Status::Code::kIoError &&
        (sqlite3_errcode(db_->handle()) & 0xff) == SQLITE_BUSY) {
      return Status::Unavailable("another connection is writing the database");
    }
  }
  return st;
}

Status SqliteKeyStore::WriteChargeBlock(std::span<const ChargeView> charges,
                                        std::span<const LogMarker> markers) {
  // The work per charge is kept small: each key's balance is read once (a block holds few
  // keys, in long runs: found by a short scan from the last one), the charges are decided
  // and encoded in order, each key is updated once, and the block goes into the ledger as
  // ONE gw_charge_blocks row whose entries take the next seqs. All inside one IMMEDIATE
  // transaction, so nothing else writes between the read and the update; CHECK(balance >= 0)
  // guards the result anyway.
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
  encoder_.Reset();  // what a failed block left
  for (const ChargeView& c : charges) {
    if (keys.empty() || keys[last].key_id != c.key_id) {
      last = std::find_if(keys.begin(), keys.end(),
                          [&](const KeyTotals& k) { return k.key_id == c.key_id; }) -
             keys.begin();
      if (last == keys.size()) {
        Result<std::optional<int64_t>> balance = StoredBalance(c.key_id);
        if (!balance.ok()) return balance.status();
        if (!balance->has_value()) {
          return Status::FailedPrecondition("a charge of unknown key " + std::string(c.key_id));
        }
        keys.push_back({c.key_id, **balance});
      }
    }
    KeyTotals& k = keys[last];
    if (c.cost <= 0 || k.balance < c.cost) {
      return Status::FailedPrecondition("charge " + std::string(c.request_id) + " of " +
                                        std::string(c.key_id) +
                                        (c.cost <= 0 ? " has no cost" : " exceeds the balance"));
    }
    k.balance -= c.cost;
    k.credits += c.cost;
    ++k.requests;
    k.last_micros = std::max(k.last_micros, c.time_micros);
    encoder_.Add({c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost, k.balance});
  }
  if (encoder_.size() > 0) {
    const int64_t count = static_cast<int64_t>(encoder_.size());
    encoder_.Finish(block_);
    for (const KeyTotals& k : keys) {
      update_key_->Bind(1, k.balance).Bind(2, k.requests).Bind(3, k.credits);
      update_key_->Bind(4, k.last_micros).Bind(5, k.key_id);
      ST_RETURN_IF_ERROR(update_key_->Run());
    }
    Result<int64_t> first_seq = NextSeq();
    if (!first_seq.ok()) return first_seq.status();
    // block_ outlives the statement's run (Run resets it).
    insert_block_->Bind(1, *first_seq + count - 1).Bind(2, *first_seq).BindBlobNoCopy(3, block_);
    ST_RETURN_IF_ERROR(insert_block_->Run());
  }
  for (const LogMarker& m : markers) {
    set_log_marker_->Bind(1, m.log_id).Bind(2, m.position);
    ST_RETURN_IF_ERROR(set_log_marker_->Run());
  }
  return Status::Ok();
}

Result<KeySnapshot> SqliteKeyStore::Snapshot(int64_t grants_after) {
  std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
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
