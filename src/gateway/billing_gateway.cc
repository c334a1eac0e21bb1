#include "gateway/billing_gateway.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "gateway/api_key.h"
#include "store/change_feed_waiter.h"

namespace soundtrend::gateway {
namespace {

uint64_t NextGatewayInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

}  // namespace

KeyAccount::KeyAccount(const store::KeyRecord& record, std::shared_ptr<AccountState> state)
    : key_id_(record.key_id),
      name_(record.name),
      limit_{record.qps_limit, record.burst},
      endpoints_(record.endpoints),
      expires_micros_(record.expires_micros),
      revoked_(record.revoked_micros.has_value()),
      created_micros_(record.created_micros),
      state_(std::move(state)) {}

bool KeyAccount::AllowsEndpoint(std::string_view endpoint) const {
  if (endpoints_.empty() || endpoint == "/v1/account") return true;
  return std::find(endpoints_.begin(), endpoints_.end(), endpoint) != endpoints_.end();
}

BillingGateway::BillingGateway(std::unique_ptr<store::KeyStore> store,
                               std::unique_ptr<ledger::Ledger> ledger, const Clock& clock,
                               RandomSource& random, BillingGatewayOptions options)
    : store_(std::move(store)),
      ledger_(std::move(ledger)),
      clock_(clock),
      options_(std::move(options)),
      manager_(*store_, clock, random),
      instance_id_(NextGatewayInstanceId()) {
  if (options_.rate_limiter == nullptr)
    options_.rate_limiter = std::make_shared<LocalRateLimiter>();
}

Result<std::unique_ptr<BillingGateway>> BillingGateway::Open(std::unique_ptr<store::KeyStore> store,
                                                             std::unique_ptr<ledger::Ledger> ledger,
                                                             const Clock& clock,
                                                             RandomSource& random,
                                                             BillingGatewayOptions options) {
  if (options.charging && ledger == nullptr) {
    return Status::InvalidArgument("a charging gateway needs a ledger");
  }
  std::unique_ptr<BillingGateway> gw(
      new BillingGateway(std::move(store), std::move(ledger), clock, random, std::move(options)));
  if (gw->options_.leases != nullptr && gw->options_.charging) {
    // What a killed process of this node left leased: its charges are in the store now
    // (the ledger moved its logs when it opened), so the rest is unspent.
    store::CreditLeases& leases = *gw->options_.leases;
    Result<int64_t> settled = leases.SettleLeases(leases.node_id());
    if (!settled.ok()) return settled.status();
    if (*settled > 0) {
      spdlog::info("gateway: node {} gave back {} credits a previous process left leased",
                   leases.node_id(), *settled);
    }
    gw->keeper_ = std::make_unique<LeaseKeeper>(leases, clock, gw->options_.lease_options);
  }
  {
    std::lock_guard<std::mutex> lock(gw->store_mutex_);
    ST_RETURN_IF_ERROR(gw->ReloadLocked());
  }
  gw->writer_ = std::thread([g = gw.get()] { g->WriterLoop(); });
  if (gw->options_.reload_interval_millis > 0) {
    gw->reloader_ = std::thread([g = gw.get()] { g->ReloadLoop(); });
  }
  return gw;
}

BillingGateway::~BillingGateway() {
  // Requests waiting for a lease are refused; what this node holds unspent goes back.
  if (keeper_) keeper_->Stop();
  {
    std::lock_guard<std::mutex> lock(reload_mutex_);
    reload_stopping_ = true;
  }
  reload_cv_.notify_all();
  if (reloader_.joinable()) reloader_.join();
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  ledger_.reset();  // moves what is left, before the store closes
}

Status BillingGateway::MoveLedger() { return ledger_ ? ledger_->MoveAll() : Status::Ok(); }

Status BillingGateway::ReloadLocked() {
  ST_RETURN_IF_ERROR(MoveLedger());
  // Read the counter first: a change committed after this read moves it again, so the next
  // ReloadIfChanged re-reads even if this Snapshot already saw that change.
  Result<int64_t> counter = store_->ChangeCounter();
  if (!counter.ok()) return counter.status();
  Result<store::KeySnapshot> snap = store_->Snapshot(grant_watermark_);
  if (!snap.ok()) return snap.status();

  std::unordered_map<std::string, bool> is_new;
  std::string signature;
  for (const store::KeyRecord& k : snap->keys) {
    auto [it, inserted] = states_.try_emplace(k.key_id);
    if (inserted) {
      it->second = std::make_shared<AccountState>();
      // With leases the node starts with nothing of a key: it leases what it spends. Until
      // its first lease, the key's stored balance is its view of the free credits (what
      // X-Credits-Remaining and the account show; a lease then replaces it).
      it->second->balance.store(keeper_ ? 0 : k.balance);
      if (keeper_) it->second->shared_free.store(k.balance);
      it->second->charged_requests.store(k.charged_requests);
      it->second->charged_credits.store(k.charged_credits);
      it->second->last_charge_micros.store(k.last_charge_micros);
    }
    is_new[k.key_id] = inserted;
    signature += k.key_id + '|' + k.key_hash + '|' + k.name + '|' + std::to_string(k.qps_limit) +
                 '|' + std::to_string(k.burst) + '|' +
                 std::to_string(k.expires_micros.value_or(-1)) + '|' +
                 std::to_string(k.revoked_micros.value_or(-1)) + '|' + k.previous_key_hash + '|' +
                 std::to_string(k.previous_hash_expires_micros.value_or(-1)) + '|';
    for (const auto& e : k.endpoints) signature += e + ',';
    signature += '\n';
  }
  // Grants stored since the last reload (by this process or another one) reach the
  // in-memory balance once; a key first seen now already has them in its loaded balance.
  // With leases a grant adds free credits in the store: this node's view of them grows
  // (the next lease takes from them).
  for (const store::LedgerEntry& g : snap->new_grants) {
    auto state = states_.find(g.key_id);
    if (state == states_.end() || is_new[g.key_id]) continue;
    (keeper_ ? state->second->shared_free : state->second->balance).fetch_add(g.amount);
  }
  grant_watermark_ = snap->last_seq;
  change_counter_ = *counter;
  reloads_.fetch_add(1);

  if (signature != table_signature_ || table_version_.load() == 0) {
    auto table = std::make_shared<KeyTable>(tables_alive_);
    for (const store::KeyRecord& k : snap->keys) {
      auto account = std::make_shared<KeyAccount>(k, states_[k.key_id]);
      if (!k.previous_key_hash.empty() && k.previous_hash_expires_micros) {
        table->by_previous_hash.emplace(k.previous_key_hash,
                                        PreviousSecret{account, *k.previous_hash_expires_micros});
      }
      table->by_hash.emplace(k.key_hash, std::move(account));
    }
    table_.store(std::move(table), std::memory_order_release);
    table_version_.fetch_add(1, std::memory_order_release);
    table_signature_ = std::move(signature);
  }
  return Status::Ok();
}

Status BillingGateway::Reload() {
  std::lock_guard<std::mutex> lock(store_mutex_);
  return ReloadLocked();
}

Status BillingGateway::ReloadIfChanged(bool* reloaded) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  if (reloaded) *reloaded = false;
  Result<int64_t> counter = store_->ChangeCounter();
  if (!counter.ok()) return counter.status();
  if (*counter >= 0 && change_counter_ && *counter == *change_counter_) return Status::Ok();
  if (reloaded) *reloaded = true;
  return ReloadLocked();
}

void BillingGateway::ReloadLoop() {
  using Steady = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(options_.reload_interval_millis);
  store::ChangeFeedWaiter waiter(options_.key_changes.get(), "gateway: key change signals");
  auto next_poll = Steady::now() + interval;
  std::unique_lock<std::mutex> lock(reload_mutex_);
  while (!reload_stopping_) {
    const bool signalled =
        waiter.Wait(lock, reload_cv_, next_poll, [this] { return reload_stopping_; });
    if (reload_stopping_) break;
    const bool due = Steady::now() >= next_poll;
    if (!signalled && !due) continue;
    lock.unlock();
    Status st = ReloadIfChanged();
    if (!st.ok()) spdlog::warn("gateway: reloading keys failed: {}", st.ToString());
    if (due) {
      // The ledger's charges reach the store other processes (the CLI) read at least this
      // often.
      st = MoveLedger();
      if (!st.ok()) spdlog::warn("gateway: moving the ledger's charges failed: {}", st.ToString());
      next_poll = Steady::now() + interval;
    }
    lock.lock();
  }
}

namespace {

// HashApiKey of the key this thread hashed last: keep-alive clients present the same key on
// every request, and SHA-256 through EVP costs more than the rest of Admit. Compared in
// constant time (the cached key may be another client's). Only the lookup key is cached:
// the account, its revocation and expiry are read from the current table every time.
const std::string& CachedKeyHash(std::string_view token) {
  struct Cache {
    std::string token;
    std::string hash;
  };
  static thread_local Cache cache;
  if (!cache.hash.empty() && cache.token.size() == token.size() &&
      CRYPTO_memcmp(cache.token.data(), token.data(), token.size()) == 0) {
    return cache.hash;
  }
  cache.hash = HashApiKey(token);
  cache.token.assign(token);
  return cache.hash;
}

}  // namespace

void BillingGateway::FillHeaders(const KeyAccount& account, const RateDecision& decision,
                                 Admission& admission) const {
  admission.ratelimit_policy = RateLimitPolicyHeader(account.rate_limit());
  admission.ratelimit = RateLimitHeader(decision);
  admission.retry_after_seconds = decision.allowed ? 0 : decision.retry_after_seconds;
}

const BillingGateway::KeyTable& BillingGateway::CurrentTable() const {
  struct Cached {
    uint64_t gateway = 0;
    uint64_t version = 0;
    std::shared_ptr<const KeyTable> table;
  };
  thread_local Cached cached;
  const uint64_t version = table_version_.load(std::memory_order_acquire);
  if (cached.gateway != instance_id_ || cached.version != version) {
    // Rare: after a key change, or when this thread serves another gateway (tests). The
    // table loaded is the one of `version` or a newer one (then the next call loads again).
    cached.table = table_.load(std::memory_order_acquire);
    cached.gateway = instance_id_;
    cached.version = version;
  }
  return *cached.table;
}

Admission BillingGateway::Admit(std::string_view authorization, std::string_view endpoint) {
  Admission admission;
  std::optional<std::string_view> token = ParseBearerToken(authorization);
  if (!token) {
    admission.outcome = AdmitOutcome::kMissingKey;
    return admission;
  }
  const KeyTable* table = &CurrentTable();
  const std::string& hash = CachedKeyHash(*token);
  auto it = table->by_hash.find(hash);
  const std::shared_ptr<KeyAccount>* found = it != table->by_hash.end() ? &it->second : nullptr;
  if (found == nullptr && !table->by_previous_hash.empty()) {
    // A rotated key's previous secret, during its grace period only.
    auto previous = table->by_previous_hash.find(hash);
    if (previous != table->by_previous_hash.end() &&
        clock_.NowMicros() < previous->second.until_micros) {
      found = &previous->second.account;
    }
  }
  if (found == nullptr) {
    admission.outcome = AdmitOutcome::kInvalidKey;
    return admission;
  }
  const std::shared_ptr<KeyAccount>& account = *found;
  if (account->revoked() ||
      (account->expires_micros() && clock_.NowMicros() >= *account->expires_micros())) {
    admission.outcome = AdmitOutcome::kInvalidKey;
    admission.key_id = account->key_id();
    return admission;
  }
  admission.account = account;
  admission.key_id = account->key_id();
  const int64_t now = clock_.MonotonicNanos();
  RateLimiter& limiter = *options_.rate_limiter;
  if (!account->AllowsEndpoint(endpoint)) {
    admission.outcome = AdmitOutcome::kForbidden;
    RateDecision peek = limiter.Peek(SubjectOf(*account), now);
    peek.allowed = true;  // a 403 carries the current state, not a Retry-After
    FillHeaders(*account, peek, admission);
    return admission;
  }
  std::optional<RateDecision> decision = limiter.TryAcquire(SubjectOf(*account), now);
  if (!decision) {
    admission.outcome = AdmitOutcome::kPending;  // FinishAdmit asks the limiter
    return admission;
  }
  admission.outcome = decision->allowed ? AdmitOutcome::kOk : AdmitOutcome::kRateLimited;
  FillHeaders(*account, *decision, admission);
  return admission;
}

void BillingGateway::FinishAdmit(Admission pending, std::function<void(Admission)> done) {
  if (pending.outcome != AdmitOutcome::kPending || pending.account == nullptr) {
    return done(std::move(pending));
  }
  const KeyAccount& account = *pending.account;  // kept alive by `pending` until done
  const RateSubject subject = SubjectOf(account);
  options_.rate_limiter->Acquire(
      subject, clock_.MonotonicNanos(),
      [this, pending = std::move(pending), done = std::move(done)](RateDecision d) mutable {
        pending.outcome = d.allowed ? AdmitOutcome::kOk : AdmitOutcome::kRateLimited;
        FillHeaders(*pending.account, d, pending);
        done(std::move(pending));
      });
}

ReserveOutcome BillingGateway::Reserve(KeyAccount& account, int64_t cost) {
  if (!options_.charging) return ReserveOutcome::kReserved;
  std::atomic<int64_t>& balance = account.state().balance;
  int64_t current = balance.load(std::memory_order_acquire);
  do {
    // With leases, a new lease may have it (FinishReserve).
    if (current < cost) return keeper_ ? ReserveOutcome::kPending : ReserveOutcome::kNoCredit;
  } while (!balance.compare_exchange_weak(current, current - cost, std::memory_order_acq_rel,
                                          std::memory_order_acquire));
  return ReserveOutcome::kReserved;
}

void BillingGateway::FinishReserve(std::shared_ptr<KeyAccount> account, int64_t cost,
                                   std::function<void(ReserveOutcome)> done) {
  if (!keeper_) {
    const ReserveOutcome outcome = Reserve(*account, cost);
    return done(outcome == ReserveOutcome::kPending ? ReserveOutcome::kNoCredit : outcome);
  }
  keeper_->Reserve(std::move(account), cost, std::move(done));
}

void BillingGateway::Release(KeyAccount& account, int64_t cost) {
  if (!options_.charging) return;
  account.state().balance.fetch_add(cost, std::memory_order_acq_rel);
}

int64_t BillingGateway::Balance(const KeyAccount& account) const {
  const int64_t own = account.state().balance.load(std::memory_order_acquire);
  if (!keeper_) return own;
  return own + account.state().shared_free.load(std::memory_order_relaxed);
}

std::optional<Status> BillingGateway::AppendToLane(LaneSlot& slot, KeyAccount& account,
                                                   const ChargeRef& charge) {
  const int64_t now = clock_.NowMicros();
  Status appended =
      slot.lane.load(std::memory_order_relaxed)
          ->Append({account.key_id(), charge.request_id, charge.endpoint, now, charge.cost});
  if (appended.ok()) {
    if (slot.failing) {
      slot.failing = false;
      spdlog::info("gateway: charge lane {} works again",
                   static_cast<uint32_t>(&slot - lanes_.data()));
    }
    account.state().AddUsage(1, charge.cost, now);
    if (options_.lane_move_after_charges > 0 &&
        ++slot.since_move >= options_.lane_move_after_charges) {
      slot.move_due = true;
    }
    MaybeKillAfter(1);
    return appended;
  }
  if (appended.code() == Status::Code::kInvalidArgument) {  // the charge, not the lane
    if (std::optional<int64_t> left_out = store_log_.Occur(clock_.MonotonicNanos())) {
      spdlog::error("gateway: charge {} for {} not stored: {} ({} such errors not logged)",
                    charge.request_id, account.key_id(), appended.ToString(), *left_out);
    }
    Release(account, charge.cost);
    return appended;
  }
  // The lane cannot take it (its next segment cannot be made: a full disk): this charge
  // and this loop's next ones go to the ledger thread, as durable, until the retry.
  LaneFailed(slot, appended);
  return std::nullopt;
}

std::optional<Status> BillingGateway::CommitNow(KeyAccount& account, const ChargeRef& charge) {
  if (!options_.charging) return Status::Ok();
  LaneSlot* slot = LaneOfThisThread();
  if (slot == nullptr) return std::nullopt;
  return AppendToLane(*slot, account, charge);
}

void BillingGateway::AfterAnswer() {
  if (!options_.current_lane) return;
  const std::optional<uint32_t> index = options_.current_lane();
  if (!index || *index >= kMaxLanes) return;
  LaneSlot& slot = lanes_[*index];
  if (slot.move_due) MaybeMoveLane(slot);
}

void BillingGateway::Commit(std::shared_ptr<KeyAccount> account, ChargeInfo charge,
                            std::function<void(Status)> done) {
  if (!options_.charging) return done(Status::Ok());
  if (LaneSlot* slot = LaneOfThisThread()) {
    if (std::optional<Status> appended =
            AppendToLane(*slot, *account, {charge.request_id, charge.endpoint, charge.cost})) {
      done(std::move(*appended));
      if (slot->move_due) MaybeMoveLane(*slot);
      return;
    }
  }
  PendingCharge pending{std::move(account), std::move(charge), clock_.NowMicros(), std::move(done)};
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (!stopping_) {
      // The writer waits only on an empty queue: wake it once per batch, not per charge.
      const bool was_empty = queue_.empty();
      queue_.push_back(std::move(pending));
      if (was_empty) queue_cv_.notify_one();
      return;
    }
  }
  Release(*pending.account, pending.charge.cost);
  pending.done(Status::FailedPrecondition("gateway is shutting down"));
}

BillingGateway::LaneSlot* BillingGateway::LaneOfThisThread() {
  if (!options_.current_lane || !ledger_has_lanes_.load(std::memory_order_relaxed)) return nullptr;
  const std::optional<uint32_t> index = options_.current_lane();
  if (!index || *index >= kMaxLanes) return nullptr;
  LaneSlot& slot = lanes_[*index];
  // Only this loop's thread ever gets this index: it alone reads and sets the slot.
  if (slot.failing && clock_.MonotonicNanos() < slot.retry_after_nanos) return nullptr;
  if (slot.lane.load(std::memory_order_relaxed) != nullptr) return &slot;
  // A loop's first charge (or a retry after its lane could not be made): the lane comes
  // from the ledger.
  Result<ledger::ChargeLane*> made = ledger_->Lane(*index);
  if (!made.ok()) {
    if (made.status().code() == Status::Code::kFailedPrecondition) {
      // The ledger gives out no lanes (--ledger-sync full, no logs): every charge goes to
      // the ledger thread.
      ledger_has_lanes_.store(false, std::memory_order_relaxed);
    } else {
      // It cannot be made now (a full disk): this loop alone falls back until the retry.
      LaneFailed(slot, made.status());
    }
    return nullptr;
  }
  slot.lane.store(*made, std::memory_order_relaxed);
  if (slot.failing) {
    slot.failing = false;
    spdlog::info("gateway: charge lane {} works again", *index);
  }
  return &slot;
}

void BillingGateway::MaybeKillAfter(int64_t n) {
  if (options_.kill_after_charges <= 0) return;
  if (durable_charges_.fetch_add(n) + n >= options_.kill_after_charges) ::kill(::getpid(), SIGKILL);
}

void BillingGateway::LaneFailed(LaneSlot& slot, const Status& st) {
  const int64_t now = clock_.MonotonicNanos();
  slot.failing = true;
  slot.retry_after_nanos = now + kLaneRetryNanos;
  if (std::optional<int64_t> left_out = lane_log_.Occur(now)) {
    spdlog::error(
        "gateway: charge lane {} failed: {}; its loop's charges go to the ledger thread, the "
        "lane is tried again every {} ms ({} such errors not logged)",
        static_cast<uint32_t>(&slot - lanes_.data()), st.ToString(), kLaneRetryNanos / 1'000'000,
        *left_out);
  }
}

void BillingGateway::MaybeMoveLane(LaneSlot& slot) {
  // Never waits: when the ledger or the store is busy, the reload thread's move takes them.
  slot.move_due = false;
  slot.since_move = 0;
  const uint32_t index = static_cast<uint32_t>(&slot - lanes_.data());
  Status st = ledger_->TryMoveLane(index);
  if (!st.ok()) {
    // Left in the lane: the reload thread's move retries and reports it.
    spdlog::debug("gateway: moving charge lane {} failed: {}", index, st.ToString());
  }
}

void BillingGateway::WriterLoop() {
  std::vector<PendingCharge> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      batch.swap(queue_);          // batch is empty: CommitBatch cleared it
    }
    CommitBatch(batch);
  }
}

void BillingGateway::CommitBatch(std::vector<PendingCharge>& batch) {
  // Reused: a steady stream of charges allocates nothing here.
  thread_local std::vector<store::ChargeView> views;
  views.clear();
  for (const PendingCharge& p : batch) {
    views.push_back({p.account->key_id(), p.charge.request_id, p.charge.endpoint, p.time_micros,
                     p.charge.cost});
  }
  Status st = ledger_->AppendGroup(views);
  if (st.ok()) {
    ledger_transactions_.fetch_add(1);
    // Usage totals: one update per run of charges of the same key (a batch is usually one
    // key's), not three contended atomic operations per charge.
    AccountState* run = nullptr;
    int64_t run_requests = 0, run_credits = 0, run_last = 0;
    auto flush_run = [&] {
      if (run == nullptr) return;
      run->AddUsage(run_requests, run_credits, run_last);
      run = nullptr;
      run_requests = run_credits = run_last = 0;
    };
    for (PendingCharge& p : batch) {
      AccountState& state = p.account->state();
      if (&state != run) flush_run();
      run = &state;
      ++run_requests;
      run_credits += p.charge.cost;
      run_last = std::max(run_last, p.time_micros);
    }
    flush_run();
    MaybeKillAfter(static_cast<int64_t>(batch.size()));
  }
  if (!st.ok()) {
    // One line per batch at most, and per kErrorLogNanos: every request of a failing disk
    // fails, its log must not grow with them.
    if (std::optional<int64_t> left_out = store_log_.Occur(clock_.MonotonicNanos())) {
      spdlog::error(
          "gateway: {} charge(s) not stored (first {} for {}): {} ({} such errors not "
          "logged)",
          batch.size(), batch.front().charge.request_id, batch.front().account->key_id(),
          st.ToString(), *left_out);
    }
  }
  for (PendingCharge& p : batch) {
    if (!st.ok()) Release(*p.account, p.charge.cost);
    p.done(st);
  }
  batch.clear();
  if (st.ok() && ledger_->journal_charges() >= options_.journal_move_after_charges) {
    // Durable already: an error leaves them in the journal; the next move retries it.
    st = ledger_->MoveAll();
    if (!st.ok()) {
      if (std::optional<int64_t> left_out = move_log_.Occur(clock_.MonotonicNanos())) {
        spdlog::warn("gateway: moving the journal failed: {} ({} such errors not logged)",
                     st.ToString(), *left_out);
      }
    }
  }
}

AccountView BillingGateway::Describe(const KeyAccount& account) const {
  AccountView v;
  v.key_id = account.key_id();
  v.name = account.name();
  v.balance = Balance(account);
  v.rate_limit = account.rate_limit();
  v.endpoints = account.endpoints();
  v.expires_micros = account.expires_micros();
  v.created_micros = account.created_micros();
  v.charged_requests = account.state().charged_requests.load();
  v.charged_credits = account.state().charged_credits.load();
  v.last_charge_micros = account.state().last_charge_micros.load();
  return v;
}

Result<CreatedKey> BillingGateway::CreateKey(const NewKeySpec& spec) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  Result<CreatedKey> created = manager_.CreateKey(spec);
  if (!created.ok()) return created;
  spdlog::info("gateway: created key {} ({})", created->record.key_id, created->record.name);
  ST_RETURN_IF_ERROR(ReloadLocked());
  return created;
}

Result<std::vector<store::KeyRecord>> BillingGateway::ListKeys() {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  return manager_.ListKeys();
}

Result<store::KeyRecord> BillingGateway::GetKey(std::string_view key_id) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  return manager_.GetKey(key_id);
}

Status BillingGateway::RevokeKey(std::string_view key_id) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  ST_RETURN_IF_ERROR(manager_.RevokeKey(key_id));
  spdlog::info("gateway: revoked key {}", key_id);
  return ReloadLocked();
}

Result<store::KeyRecord> BillingGateway::UpdateKey(std::string_view key_id,
                                                   const store::KeyChanges& changes) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  Result<store::KeyRecord> updated = manager_.UpdateKey(key_id, changes);
  if (!updated.ok()) return updated;
  spdlog::info("gateway: updated key {}", key_id);
  ST_RETURN_IF_ERROR(ReloadLocked());
  return updated;
}

Result<CreatedKey> BillingGateway::RotateKey(std::string_view key_id, int64_t grace_seconds) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  Result<CreatedKey> rotated = manager_.RotateKey(key_id, grace_seconds);
  if (!rotated.ok()) return rotated;
  spdlog::info("gateway: rotated key {} (previous secret accepted for {} s)", key_id,
               grace_seconds);
  ST_RETURN_IF_ERROR(ReloadLocked());
  return rotated;
}

Result<store::GrantResult> BillingGateway::GrantCredits(std::string_view key_id,
                                                        std::string_view grant_id, int64_t amount) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  Result<store::GrantResult> grant = manager_.GrantCredits(key_id, grant_id, amount);
  if (!grant.ok()) return grant;
  ST_RETURN_IF_ERROR(ReloadLocked());
  return grant;
}

Status BillingGateway::ForEachLedgerEntry(
    std::string_view key_id, const std::function<Status(const store::LedgerEntry&)>& fn) {
  std::lock_guard<std::mutex> lock(store_mutex_);
  ST_RETURN_IF_ERROR(MoveLedger());
  return manager_.ForEachLedgerEntry(key_id, fn);
}

}  // namespace soundtrend::gateway
