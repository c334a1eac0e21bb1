#include "store/postgres/pg_key_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_schema.h"

namespace soundtrend::store::postgres {
namespace {

constexpr std::string_view kKeyColumns =
    "key_id, key_hash, name, qps_limit, burst, endpoints, created_micros, expires_micros, "
    "revoked_micros, balance, charged_requests, charged_credits, last_charge_micros, "
    "previous_key_hash, previous_hash_expires_micros";
constexpr std::string_view kLedgerColumns =
    "seq, key_id, kind, time_micros, reference, endpoint, amount, balance_after";

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

KeyRecord ReadKeyRow(const PgResult& r, int row) {
  KeyRecord k;
  k.key_id = std::string(r.text(row, 0));
  k.key_hash = std::string(r.text(row, 1));
  k.name = std::string(r.text(row, 2));
  k.qps_limit = r.integer(row, 3);
  k.burst = r.integer(row, 4);
  k.endpoints = SplitEndpoints(r.text(row, 5));
  k.created_micros = r.integer(row, 6);
  k.expires_micros = r.optional_integer(row, 7);
  k.revoked_micros = r.optional_integer(row, 8);
  k.balance = r.integer(row, 9);
  k.charged_requests = r.integer(row, 10);
  k.charged_credits = r.integer(row, 11);
  k.last_charge_micros = r.integer(row, 12);
  k.previous_key_hash = std::string(r.text(row, 13));
  k.previous_hash_expires_micros = r.optional_integer(row, 14);
  return k;
}

LedgerKind KindFromText(std::string_view s) {
  if (s == "grant") return LedgerKind::kGrant;
  if (s == "refund") return LedgerKind::kRefund;
  return LedgerKind::kCharge;
}

LedgerEntry ReadLedgerRow(const PgResult& r, int row) {
  LedgerEntry e;
  e.seq = r.integer(row, 0);
  e.key_id = std::string(r.text(row, 1));
  e.kind = KindFromText(r.text(row, 2));
  e.time_micros = r.integer(row, 3);
  e.reference = std::string(r.text(row, 4));
  e.endpoint = std::string(r.text(row, 5));
  e.amount = r.integer(row, 6);
  e.balance_after = r.integer(row, 7);
  return e;
}

// Takes `count` seqs from the ledger head (and its lock, until the transaction ends):
// returns the first.
Result<int64_t> TakeSeqs(PgConnection& db, int64_t count) {
  Result<PgResult> r =
      db.Exec("UPDATE gw_ledger_head SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq",
              {count});
  if (!r.ok()) return r.status();
  if (r->rows() != 1) return Status::Corruption("gw_ledger_head has no row");
  return r->integer(0, 0) - count + 1;
}

// The node id lock's key as the two int4 arguments of pg_*advisory_lock (the same bits).
int64_t Int4(uint32_t half) { return static_cast<int32_t>(half); }
// Why `node_id`'s lock is refused: the backend pid of the session that holds it.
std::string NodeIdHeld(PgConnection& db, std::string_view node_id, const NodeLockKey& k) {
  // pg_locks shows the two keys as oids (unsigned): classid the first, objid the second.
  Result<PgResult> r = db.Exec(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted "
      "AND classid = $1::oid AND objid = $2::oid "
      "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
      {static_cast<int64_t>(k.high), static_cast<int64_t>(k.low)});
  std::string holder = "another session";
  if (r.ok() && r->rows() == 1) holder = "PostgreSQL backend pid " + std::string(r->text(0, 0));
  return "node id \"" + std::string(node_id) + "\" is held by " + holder + " on this database";
}

// Takes `node_id`'s lock. `wait_millis` > 0: waits up to that long (lock_timeout, in a
// transaction of its own; the session-level lock outlives it). Returns false, with nothing
// taken, when another session holds it.
Result<bool> LockNodeId(PgConnection& db, const NodeLockKey& k, int wait_millis) {
  if (wait_millis <= 0) {
    Result<PgResult> r =
        db.Exec("SELECT pg_try_advisory_lock($1::int4, $2::int4)", {Int4(k.high), Int4(k.low)});
    if (!r.ok()) return r.status();
    if (r->rows() != 1) return Status::Internal("pg_try_advisory_lock: no row");
    return r->text(0, 0) == "t";
  }
  PgTransaction tx(db);
  ST_RETURN_IF_ERROR(tx.status());
  Result<PgResult> timeout =
      db.Exec("SELECT set_config('lock_timeout', $1, true)", {std::to_string(wait_millis)});
  if (!timeout.ok()) return timeout.status();
  Result<PgResult> r =
      db.Exec("SELECT pg_advisory_lock($1::int4, $2::int4)", {Int4(k.high), Int4(k.low)});
  if (!r.ok()) {
    if (db.last_sqlstate() == "55P03") return false;  // lock_not_available: the wait ran out
    return r.status();
  }
  ST_RETURN_IF_ERROR(tx.Commit());
  return true;
}

}  // namespace

NodeLockKey NodeLockKeyOf(std::string_view node_id) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64: the same on every node and platform
  for (unsigned char c : node_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return {static_cast<uint32_t>(h >> 32), static_cast<uint32_t>(h)};
}

Result<std::unique_ptr<PgKeyStore>> PgKeyStore::Open(const std::string& url,
                                                     PgOpenOptions options) {
  Result<std::unique_ptr<PgConnection>> db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  ST_RETURN_IF_ERROR(EnsureSchema(**db, options.migrate));
  std::unique_ptr<PgKeyStore> store(new PgKeyStore(std::move(db).value(), options.node_id, url));
  if (!store->node_id_.empty()) {
    ST_RETURN_IF_ERROR(store->HoldNodeLock(/*reconnected=*/false));
    store->db_->SetSessionSetup(
        [raw = store.get()](PgConnection&) { return raw->HoldNodeLock(/*reconnected=*/true); });
  }
  return store;
}

Status PgKeyStore::HoldNodeLock(bool reconnected) {
  // Open: waits a moment for the session of a node killed just before to end. A reconnect:
  // does not wait (it runs under the store's mutex, before the call that reconnected); the
  // next call tries again.
  // A node whose host vanishes (no FIN) would hold its id until the server's TCP keepalive
  // (often 2 hours) finds the connection dead: this session asks for about a minute (idle
  // 30 s, then 3 probes 10 s apart). Ignored on a Unix socket.
  Result<PgResult> keepalive = db_->Exec(
      "SELECT set_config('tcp_keepalives_idle', $1, false), "
      "set_config('tcp_keepalives_interval', $2, false), "
      "set_config('tcp_keepalives_count', $3, false)",
      {"30", "10", "3"});
  if (!keepalive.ok()) return keepalive.status();
  const NodeLockKey key = NodeLockKeyOf(node_id_);
  Result<bool> locked = LockNodeId(*db_, key, reconnected ? 0 : kNodeLockWaitMillis);
  if (!locked.ok()) return locked.status();
  if (*locked) return Status::Ok();
  if (!reconnected) return Status::AlreadyExists(NodeIdHeld(*db_, node_id_, key));
  return Status::Unavailable(NodeIdHeld(*db_, node_id_, key) +
                             " since this node's connection was lost: this node leases, "
                             "charges and settles nothing until it has the id back");
}

Status PgKeyStore::CreateKey(const KeyRecord& key) {
  if (key.balance != 0) {
    return Status::InvalidArgument("a new key starts with balance 0; grant credits instead");
  }
  std::lock_guard lock(mutex_);
  PgTransaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  Result<PgResult> r = db_->Exec(
      "INSERT INTO gw_keys(key_id, key_hash, name, qps_limit, burst, endpoints, created_micros, "
      "expires_micros, revoked_micros, balance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
      {key.key_id, key.key_hash, key.name, key.qps_limit, key.burst, JoinEndpoints(key.endpoints),
       key.created_micros, key.expires_micros, key.revoked_micros});
  if (!r.ok()) {
    if (r.status().code() == Status::Code::kAlreadyExists) {
      return Status::AlreadyExists("key id or key hash already exists");
    }
    return r.status();
  }
  ST_RETURN_IF_ERROR(CountKeyChange());
  return tx.Commit();
}

Status PgKeyStore::CountKeyChange() {
  Result<PgResult> bumped =
      db_->Exec("UPDATE gw_ledger_head SET key_changes = key_changes + 1 WHERE id = 1");
  if (!bumped.ok()) return bumped.status();
  return NotifyKeyChange();
}

Status PgKeyStore::NotifyKeyChange() {
  // In the caller's transaction: delivered to every listening node at its commit.
  return db_->Exec("SELECT pg_notify($1, '')", {kKeyChangeChannel}).status();
}

Result<KeyRecord> PgKeyStore::CommitKeyChange(PgTransaction& tx, std::string_view key_id) {
  ST_RETURN_IF_ERROR(CountKeyChange());
  Result<std::vector<KeyRecord>> keys = ReadKeys(key_id);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return Status::NotFound("unknown key id: " + std::string(key_id));
  ST_RETURN_IF_ERROR(tx.Commit());
  return std::move(keys->front());
}

Result<std::vector<KeyRecord>> PgKeyStore::ReadKeys(std::optional<std::string_view> key_id) {
  std::string sql = "SELECT ";
  sql += kKeyColumns;
  sql += " FROM gw_keys";
  Result<PgResult> r = key_id ? db_->Exec(sql + " WHERE key_id = $1", {*key_id})
                              : db_->Exec(sql + " ORDER BY created_micros, created_order");
  if (!r.ok()) return r.status();
  std::vector<KeyRecord> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadKeyRow(*r, i));
  return out;
}

Result<KeyRecord> PgKeyStore::GetKey(std::string_view key_id) {
  std::lock_guard lock(mutex_);
  Result<std::vector<KeyRecord>> keys = ReadKeys(key_id);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return Status::NotFound("unknown key id: " + std::string(key_id));
  return std::move(keys->front());
}

Result<std::vector<KeyRecord>> PgKeyStore::ListKeys() {
  std::lock_guard lock(mutex_);
  return ReadKeys(std::nullopt);
}

Status PgKeyStore::RevokeKey(std::string_view key_id, int64_t time_micros) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  Result<PgResult> r = db_->Exec(
      "UPDATE gw_keys SET revoked_micros = coalesce(revoked_micros, $1) WHERE key_id = $2 "
      "RETURNING key_id",
      {time_micros, key_id});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  ST_RETURN_IF_ERROR(CountKeyChange());
  return tx.Commit();
}

Result<KeyRecord> PgKeyStore::UpdateKey(std::string_view key_id, const KeyChanges& changes) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  // NULL keeps a column; $7 = 1 replaces the expiry (with $6, NULL = never).
  std::optional<std::string> endpoints;
  if (changes.endpoints) endpoints = JoinEndpoints(*changes.endpoints);
  std::optional<int64_t> expires;
  if (changes.expires_micros) expires = *changes.expires_micros;
  Result<PgResult> r = db_->Exec(
      "UPDATE gw_keys SET name = coalesce($1, name), qps_limit = coalesce($2::bigint, qps_limit), "
      "burst = coalesce($3::bigint, burst), endpoints = coalesce($4, endpoints), "
      "expires_micros = CASE WHEN $7::int = 1 THEN $6::bigint ELSE expires_micros END "
      "WHERE key_id = $5 RETURNING key_id",
      {changes.name ? PgParam(*changes.name) : PgParam(std::nullopt), changes.qps_limit,
       changes.burst, endpoints ? PgParam(*endpoints) : PgParam(std::nullopt), key_id, expires,
       int64_t{changes.expires_micros ? 1 : 0}});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  return CommitKeyChange(tx, key_id);
}

Result<KeyRecord> PgKeyStore::RotateKey(std::string_view key_id, std::string_view new_hash,
                                        std::optional<int64_t> previous_valid_until) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  Result<PgResult> r = db_->Exec(
      "UPDATE gw_keys SET previous_key_hash = CASE WHEN $2::bigint IS NULL THEN '' ELSE key_hash "
      "END, previous_hash_expires_micros = $2::bigint, key_hash = $1 WHERE key_id = $3 "
      "RETURNING key_id",
      {new_hash, previous_valid_until, key_id});
  if (!r.ok()) {
    if (r.status().code() == Status::Code::kAlreadyExists) {
      return Status::AlreadyExists("key hash already exists");
    }
    return r.status();
  }
  if (r->rows() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  return CommitKeyChange(tx, key_id);
}

Result<GrantResult> PgKeyStore::ApplyGrant(std::string_view key_id, std::string_view grant_id,
                                           int64_t amount, int64_t time_micros) {
  if (amount <= 0) return Status::InvalidArgument("grant amount must be > 0");
  if (amount > kMaxCredits) {
    return Status::InvalidArgument("grant amount must be at most " + std::to_string(kMaxCredits));
  }
  if (grant_id.empty()) return Status::InvalidArgument("grant id must not be empty");
  std::lock_guard lock(mutex_);
  PgTransaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  // The head first: grants of every node are serialized from here, so the check for an
  // earlier use of the grant id below cannot race another node's insert.
  Result<int64_t> seq = TakeSeqs(*db_, 1);
  if (!seq.ok()) return seq.status();
  Result<PgResult> prior = db_->Exec(
      "SELECT key_id, amount FROM gw_ledger WHERE kind = 'grant' AND reference = $1", {grant_id});
  if (!prior.ok()) return prior.status();
  if (prior->rows() > 0) {
    if (prior->text(0, 0) != key_id || prior->integer(0, 1) != amount) {
      return Status::AlreadyExists("grant id " + std::string(grant_id) +
                                   " was already used for another key or amount");
    }
    Result<PgResult> balance = db_->Exec("SELECT balance FROM gw_keys WHERE key_id = $1", {key_id});
    if (!balance.ok()) return balance.status();
    return GrantResult{false, balance->rows() > 0 ? balance->integer(0, 0) : 0};
  }
  Result<PgResult> current =
      db_->Exec("SELECT balance FROM gw_keys WHERE key_id = $1 FOR UPDATE", {key_id});
  if (!current.ok()) return current.status();
  if (current->rows() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
  const int64_t before = current->integer(0, 0);
  if (before > kMaxCredits - amount) {
    return Status::FailedPrecondition(
        "the balance would pass " + std::to_string(kMaxCredits) + " credits (it is " +
        std::to_string(before) + "; grant at most " + std::to_string(kMaxCredits - before) + ")");
  }
  const int64_t balance = before + amount;
  Result<PgResult> update =
      db_->Exec("UPDATE gw_keys SET balance = $1 WHERE key_id = $2", {balance, key_id});
  if (!update.ok()) return update.status();
  Result<PgResult> insert = db_->Exec(
      "INSERT INTO gw_ledger(seq, key_id, kind, time_micros, reference, endpoint, amount, "
      "balance_after) VALUES ($1, $2, 'grant', $3, $4, '', $5, $6)",
      {*seq, key_id, time_micros, grant_id, amount, balance});
  if (!insert.ok()) return insert.status();
  ST_RETURN_IF_ERROR(NotifyKeyChange());
  ST_RETURN_IF_ERROR(tx.Commit());
  return GrantResult{true, balance};
}

Status PgKeyStore::ApplyChargeBlock(std::span<const ChargeView> charges,
                                    std::span<const LogMarker> markers,
                                    const ApplyOptions& options) {
  if (charges.empty() && markers.empty()) return Status::Ok();
  std::unique_lock lock(mutex_, std::defer_lock);
  if (options.wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return Status::Unavailable("the key store is busy");
  }
  PgTransaction tx(*db_);
  ST_RETURN_IF_ERROR(tx.status());
  if (!options.wait) {
    // Another node holding the ledger head: give up at once rather than wait for it.
    Result<PgResult> r = db_->Exec("SET LOCAL lock_timeout = 1");
    if (!r.ok()) return r.status();
  }
  Status st = WriteChargeBlock(charges, markers);
  if (st.ok()) st = tx.Commit();
  if (!st.ok() && !options.wait && db_->last_sqlstate() == "55P03") {
    return Status::Unavailable("another node is writing the ledger");
  }
  return st;
}

Status PgKeyStore::WriteChargeBlock(std::span<const ChargeView> charges,
                                    std::span<const LogMarker> markers) {
  if (!charges.empty()) {
    const int64_t count = static_cast<int64_t>(charges.size());
    Result<int64_t> first_seq = TakeSeqs(*db_, count);
    if (!first_seq.ok()) return first_seq.status();
    struct KeyTotals {
      std::string_view key_id;
      int64_t balance = 0;
      int64_t credits = 0;
      int64_t requests = 0;
      int64_t last_micros = 0;
    };
    std::vector<KeyTotals> keys;
    size_t last = 0;
    encoder_.Reset();
    for (const ChargeView& c : charges) {
      if (keys.empty() || keys[last].key_id != c.key_id) {
        last = std::find_if(keys.begin(), keys.end(),
                            [&](const KeyTotals& k) { return k.key_id == c.key_id; }) -
               keys.begin();
        if (last == keys.size()) {
          Result<PgResult> b =
              db_->Exec("SELECT balance FROM gw_keys WHERE key_id = $1 FOR UPDATE", {c.key_id});
          if (!b.ok()) return b.status();
          if (b->rows() == 0) {
            return Status::FailedPrecondition("a charge of unknown key " + std::string(c.key_id));
          }
          keys.push_back({c.key_id, b->integer(0, 0)});
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
    encoder_.Finish(block_);
    for (const KeyTotals& k : keys) {
      // This node's charges were reserved from its lease: the lease goes down with the
      // balance (the free credits stay as they were). Charges beyond it (none when every
      // reservation came from a lease) come out of the free credits.
      int64_t from_lease = 0;
      if (!node_id_.empty()) {
        Result<PgResult> l =
            db_->Exec("SELECT amount FROM gw_leases WHERE key_id = $1 AND node_id = $2 FOR UPDATE",
                      {k.key_id, node_id_});
        if (!l.ok()) return l.status();
        if (l->rows() > 0) from_lease = std::min(l->integer(0, 0), k.credits);
        if (from_lease > 0) {
          Result<PgResult> d = db_->Exec(
              "UPDATE gw_leases SET amount = amount - $1 WHERE key_id = $2 AND node_id = $3",
              {from_lease, k.key_id, node_id_});
          if (!d.ok()) return d.status();
        }
      }
      Result<PgResult> u = db_->Exec(
          "UPDATE gw_keys SET balance = $1, charged_requests = charged_requests + $2, "
          "charged_credits = charged_credits + $3, "
          "last_charge_micros = greatest(last_charge_micros, $4), leased = leased - $6 "
          "WHERE key_id = $5",
          {k.balance, k.requests, k.credits, k.last_micros, k.key_id, from_lease});
      if (!u.ok()) {
        if (db_->last_sqlstate() == "23514") {  // the check: leased <= balance
          return Status::FailedPrecondition(
              "charges of " + std::string(k.key_id) +
              " beyond this node's lease would spend credits leased to other nodes");
        }
        return u.status();
      }
    }
    Result<PgResult> insert =
        db_->Exec("INSERT INTO gw_charge_blocks(last_seq, first_seq, entries) VALUES ($1, $2, $3)",
                  {*first_seq + count - 1, *first_seq, PgParam::Bytes(block_)});
    if (!insert.ok()) return insert.status();
  }
  for (const LogMarker& m : markers) {
    Result<PgResult> r = db_->Exec(
        "INSERT INTO gw_charge_log_applied(log_id, applied_id) VALUES ($1, $2) "
        "ON CONFLICT (log_id) DO UPDATE SET applied_id = excluded.applied_id",
        {m.log_id, m.position});
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Result<LeaseGrant> PgKeyStore::TakeLease(std::string_view key_id, int64_t want, int64_t min,
                                         int64_t share) {
  if (node_id_.empty()) return Status::FailedPrecondition("this key store has no node id");
  if (min <= 0 || want < min || share < 1) {
    return Status::InvalidArgument("a lease needs 0 < min <= want and share >= 1");
  }
  std::lock_guard lock(mutex_);
  // One statement: the conditional UPDATE takes the key's row lock and computes the grant
  // from the row as it is then (lease_taken returns it), the upsert adds it to this node's
  // lease. Nothing changes when the free credits are below `min`. A grant is a multiple of
  // `min` (one request's cost), so no node strands a remainder it cannot spend.
  Result<PgResult> r = db_->Exec(
      "WITH g AS (UPDATE gw_keys SET "
      "lease_taken = least($3, greatest($4, (balance - leased) / $5)) / $4 * $4, "
      "leased = leased + least($3, greatest($4, (balance - leased) / $5)) / $4 * $4 "
      "WHERE key_id = $1 AND balance - leased >= $4 "
      "RETURNING lease_taken, balance - leased AS free) "
      "INSERT INTO gw_leases(key_id, node_id, amount) SELECT $1, $2, lease_taken FROM g "
      "ON CONFLICT (key_id, node_id) DO UPDATE SET amount = gw_leases.amount + excluded.amount "
      "RETURNING (SELECT lease_taken FROM g), (SELECT free FROM g)",
      {key_id, node_id_, want, min, share});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    Result<PgResult> known = db_->Exec("SELECT 1 FROM gw_keys WHERE key_id = $1", {key_id});
    if (!known.ok()) return known.status();
    if (known->rows() == 0) return Status::NotFound("unknown key id: " + std::string(key_id));
    return LeaseGrant{};
  }
  return LeaseGrant{r->integer(0, 0), r->integer(0, 1)};
}

Status PgKeyStore::ReturnLease(std::string_view key_id, int64_t amount) {
  if (node_id_.empty()) return Status::FailedPrecondition("this key store has no node id");
  if (amount <= 0) return Status::Ok();
  std::lock_guard lock(mutex_);
  Result<PgResult> r = db_->Exec(
      "WITH l AS (UPDATE gw_leases SET amount = amount - $3 "
      "WHERE key_id = $1 AND node_id = $2 AND amount >= $3 RETURNING key_id) "
      "UPDATE gw_keys SET leased = leased - $3 WHERE key_id IN (SELECT key_id FROM l) "
      "RETURNING key_id",
      {key_id, node_id_, amount});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return Status::FailedPrecondition("node " + node_id_ + " holds less than " +
                                      std::to_string(amount) + " credits of " +
                                      std::string(key_id));
  }
  return Status::Ok();
}

Result<int64_t> PgKeyStore::SettleLeases(std::string_view node_id) {
  if (node_id.empty()) node_id = node_id_;
  std::lock_guard lock(mutex_);
  // This node's own: its session holds its lock. Another node's: only when no session holds
  // that node's id, which this transaction holds meanwhile (a node starting with it waits).
  const bool other = node_id != node_id_;
  const NodeLockKey key = NodeLockKeyOf(node_id);
  bool refused = false;
  Result<int64_t> total = [&]() -> Result<int64_t> {
    PgTransaction tx(*db_);
    ST_RETURN_IF_ERROR(tx.status());
    if (other) {
      Result<PgResult> timeout = db_->Exec("SELECT set_config('lock_timeout', $1, true)",
                                           {std::to_string(kNodeLockWaitMillis)});
      if (!timeout.ok()) return timeout.status();
      Result<PgResult> locked = db_->Exec("SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
                                          {Int4(key.high), Int4(key.low)});
      if (!locked.ok()) {
        refused = db_->last_sqlstate() == "55P03";
        return locked.status();
      }
    }
    Result<PgResult> r = db_->Exec(
        "WITH d AS (DELETE FROM gw_leases WHERE node_id = $1 RETURNING key_id, amount) "
        "UPDATE gw_keys k SET leased = k.leased - d.amount FROM d WHERE k.key_id = d.key_id "
        "RETURNING d.amount",
        {node_id});
    if (!r.ok()) return r.status();
    int64_t sum = 0;
    for (int i = 0; i < r->rows(); ++i) sum += r->integer(i, 0);
    ST_RETURN_IF_ERROR(tx.Commit());
    return sum;
  }();
  if (refused) {
    return Status::AlreadyExists(NodeIdHeld(*db_, node_id, key) +
                                 ": that node is running (what it holds leased is not unspent)");
  }
  return total;
}

Result<std::vector<NodeLease>> PgKeyStore::Leases() {
  std::lock_guard lock(mutex_);
  Result<PgResult> r = db_->Exec(
      "SELECT key_id, node_id, amount FROM gw_leases WHERE amount > 0 "
      "ORDER BY key_id COLLATE \"C\", node_id COLLATE \"C\"");
  if (!r.ok()) return r.status();
  std::vector<NodeLease> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({std::string(r->text(i, 0)), std::string(r->text(i, 1)), r->integer(i, 2)});
  }
  return out;
}

Result<std::vector<std::string>> PgKeyStore::OtherHolders(std::string_view key_id) {
  std::lock_guard lock(mutex_);
  Result<PgResult> r = db_->Exec(
      "SELECT node_id FROM gw_leases WHERE key_id = $1 AND node_id <> $2 AND amount > 0 "
      "ORDER BY node_id COLLATE \"C\"",
      {key_id, node_id_});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.emplace_back(r->text(i, 0));
  return out;
}

namespace {

constexpr std::string_view kLeaseChannel = "soundtrend_leases";

// "R|key|node" (recall) or "T|key|node" (returned).
std::string EncodeSignal(const LeaseSignal& s) {
  return std::string(s.kind == LeaseSignal::Kind::kRecall ? "R|" : "T|") + s.key_id + "|" +
         s.node_id;
}

std::optional<LeaseSignal> DecodeSignal(std::string_view text) {
  if (text.size() < 4 || (text[0] != 'R' && text[0] != 'T') || text[1] != '|') return std::nullopt;
  const size_t bar = text.find('|', 2);
  if (bar == std::string_view::npos) return std::nullopt;
  LeaseSignal s;
  s.kind = text[0] == 'R' ? LeaseSignal::Kind::kRecall : LeaseSignal::Kind::kReturned;
  s.key_id = std::string(text.substr(2, bar - 2));
  s.node_id = std::string(text.substr(bar + 1));
  return s;
}

}  // namespace

Status PgKeyStore::Send(const LeaseSignal& signal) {
  std::lock_guard lock(mutex_);
  return db_->Exec("SELECT pg_notify($1, $2)", {kLeaseChannel, EncodeSignal(signal)}).status();
}

Result<std::vector<LeaseSignal>> PgKeyStore::Receive(int timeout_millis) {
  std::lock_guard lock(listen_mutex_);
  if (listener_ == nullptr) {
    Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(url_);
    if (!conn.ok()) return conn.status();
    ST_RETURN_IF_ERROR((*conn)->Listen(kLeaseChannel));
    listener_ = std::move(conn).value();
  }
  Result<std::vector<std::string>> payloads = listener_->WaitNotifications(timeout_millis);
  if (!payloads.ok()) {
    listener_.reset();  // listen again on a new connection next time
    return payloads.status();
  }
  std::vector<LeaseSignal> out;
  for (const std::string& p : *payloads) {
    std::optional<LeaseSignal> s = DecodeSignal(p);
    if (s && s->node_id != node_id_) out.push_back(std::move(*s));
  }
  return out;
}

Result<std::vector<LogMarker>> PgKeyStore::LogMarkers(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  Result<PgResult> r = db_->Exec(
      "SELECT log_id, applied_id FROM gw_charge_log_applied "
      "WHERE left(log_id, length($1)) = $1 ORDER BY log_id COLLATE \"C\"",
      {prefix});
  if (!r.ok()) return r.status();
  std::vector<LogMarker> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({std::string(r->text(i, 0)), r->integer(i, 1)});
  return out;
}

Result<KeySnapshot> PgKeyStore::Snapshot(int64_t grants_after) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(*db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  ST_RETURN_IF_ERROR(tx.status());
  KeySnapshot snap;
  Result<std::vector<KeyRecord>> keys = ReadKeys(std::nullopt);
  if (!keys.ok()) return keys.status();
  snap.keys = std::move(keys).value();
  Result<PgResult> head = db_->Exec("SELECT last_seq FROM gw_ledger_head WHERE id = 1");
  if (!head.ok()) return head.status();
  snap.last_seq = head->rows() > 0 ? head->integer(0, 0) : 0;
  std::string sql = "SELECT ";
  sql += kLedgerColumns;
  sql += " FROM gw_ledger WHERE kind = 'grant' AND seq > $1 ORDER BY seq";
  Result<PgResult> grants = db_->Exec(sql, {grants_after});
  if (!grants.ok()) return grants.status();
  for (int i = 0; i < grants->rows(); ++i) snap.new_grants.push_back(ReadLedgerRow(*grants, i));
  ST_RETURN_IF_ERROR(tx.Commit());
  return snap;
}

Result<int64_t> PgKeyStore::ChangeCounter() {
  std::lock_guard lock(mutex_);
  Result<PgResult> r = db_->Exec("SELECT last_seq + key_changes FROM gw_ledger_head WHERE id = 1");
  if (!r.ok()) return r.status();
  return r->rows() > 0 ? r->integer(0, 0) : int64_t{-1};
}

Status PgKeyStore::ForEachLedgerEntry(std::string_view key_id,
                                      const std::function<Status(const LedgerEntry&)>& fn) {
  std::lock_guard lock(mutex_);
  // Rows of gw_ledger and the charges of gw_charge_blocks, merged by seq (as in the SQLite
  // store): a block's seqs were taken in one transaction, so no row falls inside a block.
  PgTransaction tx(*db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  ST_RETURN_IF_ERROR(tx.status());
  std::string sql = "SELECT ";
  sql += kLedgerColumns;
  sql += " FROM gw_ledger";
  Result<PgResult> rows = key_id.empty()
                              ? db_->Exec(sql + " ORDER BY seq")
                              : db_->Exec(sql + " WHERE key_id = $1 ORDER BY seq", {key_id});
  if (!rows.ok()) return rows.status();
  Result<PgResult> blocks =
      db_->Exec("SELECT first_seq, entries FROM gw_charge_blocks ORDER BY last_seq");
  if (!blocks.ok()) return blocks.status();
  ST_RETURN_IF_ERROR(tx.Commit());
  int row = 0;
  for (int b = 0;; ++b) {
    const bool has_block = b < blocks->rows();
    const int64_t block_first = has_block ? blocks->integer(b, 0) : INT64_MAX;
    while (row < rows->rows() && rows->integer(row, 0) < block_first) {
      ST_RETURN_IF_ERROR(fn(ReadLedgerRow(*rows, row)));
      ++row;
    }
    if (!has_block) return Status::Ok();
    ST_RETURN_IF_ERROR(DecodeChargeBlock(blocks->bytes(b, 1), block_first, key_id, fn));
  }
}

}  // namespace soundtrend::store::postgres
