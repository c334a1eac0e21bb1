#include "store/redis/redis_rate_store.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <deque>
#include <optional>
#include <unordered_map>

#include "embedded/redis_scripts.h"

namespace soundtrend::store::redis {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

int64_t CeilSecondsOfMicros(int64_t micros) {
  return micros <= 0 ? 0 : (micros + 999'999) / 1'000'000;
}

std::string_view Script() {
  const EmbeddedFile* file = embedded::redis_scripts::Find("gcra.lua");
  return file == nullptr ? std::string_view() : file->data;
}

std::atomic<uint64_t> next_store_id{1};

// The calling thread's connection of the store it last used (one store in serve).
struct HereCache {
  uint64_t store_id = 0;
  const void* loop = nullptr;
  RedisRateStore::LoopConnection* connection = nullptr;
};
thread_local HereCache here_cache;

}  // namespace

// What every loop's connection shares: options, counters, the outage log state.
struct RedisRateStore::Shared {
  RedisRateStoreOptions options;
  std::string script;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> ready{0};
  std::atomic<int64_t> unanswered{0};
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> decided{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> ahead_granted{0};
  std::atomic<uint64_t> ahead_used{0};
  std::atomic<uint64_t> ahead_lapsed{0};
  std::atomic<bool> ever_ready{false};
  std::atomic<bool> down{false};  // an outage was logged and no loop is back yet

  std::string Where() const {
    return options.address.host + ":" + std::to_string(options.address.port);
  }
  void LogDown(const std::string& reason) {
    if (!down.exchange(true)) {
      spdlog::warn(
          "Redis at {} unreachable ({}): rate limits are decided by this node alone until it "
          "is back",
          Where(), reason);
    }
  }
  void LogReady() {
    if (!ever_ready.exchange(true)) {
      down.store(false);
      spdlog::info("rate limits shared through Redis at {}", Where());
    } else if (down.exchange(false)) {
      spdlog::info("Redis at {} reachable again: rate limits shared", Where());
    }
  }
};

namespace {

// The Asio adapter for hiredis's async API (hiredis has none): the hooks hiredis calls
// when it wants to read or write start waits on the socket; a ready socket calls
// redisAsyncHandleRead/Write. hiredis owns the file descriptor (it closes it): the
// descriptor object only watches it and gives it back (release) at cleanup. Every wait's
// handler holds the Events, so it outlives the context: a handler that runs after the
// context is gone (cleanup cancelled it) does nothing.
struct Events : std::enable_shared_from_this<Events> {
  Events(net::io_context& ioc, redisAsyncContext* c) : context(c), socket(ioc, c->c.fd) {}

  redisAsyncContext* context;  // null after cleanup
  net::posix::stream_descriptor socket;
  bool reading = false, writing = false;
  bool read_waiting = false, write_waiting = false;

  static void Attach(const std::shared_ptr<Events>& e) {
    redisAsyncContext* ac = e->context;
    ac->ev.data = e.get();
    ac->ev.addRead = [](void* p) {
      auto* self = static_cast<Events*>(p);
      self->reading = true;
      self->WaitRead();
    };
    ac->ev.delRead = [](void* p) { static_cast<Events*>(p)->reading = false; };
    ac->ev.addWrite = [](void* p) {
      auto* self = static_cast<Events*>(p);
      self->writing = true;
      self->WaitWrite();
    };
    ac->ev.delWrite = [](void* p) { static_cast<Events*>(p)->writing = false; };
    ac->ev.cleanup = [](void* p) {
      auto* self = static_cast<Events*>(p);
      self->context = nullptr;
      self->reading = self->writing = false;
      if (self->socket.is_open()) self->socket.release();  // cancels the waits; hiredis closes
    };
  }

  void WaitRead() {
    if (read_waiting || !reading || context == nullptr) return;
    read_waiting = true;
    socket.async_wait(net::posix::descriptor_base::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        self->read_waiting = false;
                        if (ec || self->context == nullptr || !self->reading) return;
                        redisAsyncHandleRead(self->context);  // may clean up
                        self->WaitRead();
                      });
  }
  void WaitWrite() {
    if (write_waiting || !writing || context == nullptr) return;
    write_waiting = true;
    socket.async_wait(net::posix::descriptor_base::wait_write,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        self->write_waiting = false;
                        if (ec || self->context == nullptr || !self->writing) return;
                        redisAsyncHandleWrite(self->context);  // may clean up
                        self->WaitWrite();
                      });
  }
};

}  // namespace

// One event loop's connection. Everything here runs on that loop's thread, except the
// constructor (under the store's mutex, on the loop's thread too) and Shutdown's post.
class RedisRateStore::LoopConnection : public std::enable_shared_from_this<LoopConnection> {
 public:
  using Done = std::function<void(std::optional<SharedDecision>)>;

  LoopConnection(net::io_context& ioc, std::shared_ptr<Shared> shared)
      : ioc_(ioc), shared_(std::move(shared)), backoff_(shared_->options.min_backoff) {
    retry_timer_.emplace(ioc_);
    watchdog_.emplace(ioc_);
    shared_->connections.fetch_add(1);
  }
  ~LoopConnection() { shared_->connections.fetch_sub(1); }

  net::io_context& ioc() { return ioc_; }
  bool ready() const { return state_ == State::kReady; }

  void Start() {
    if (state_ == State::kIdle) Connect();
  }

  bool Submit(std::string_view key, const SharedLimit& limit, int64_t now_nanos, Done& done) {
    if (state_ != State::kReady) return false;
    KeyState& state = StateOf(key, limit);
    ++state.seen;
    BatchOf(state, key, limit, now_nanos).waiters.push_back(std::move(done));
    // A key whose call is unanswered waits for its answer (OnReply flushes then).
    if (!state.in_flight) PostFlush();
    return true;
  }

  std::optional<SharedDecision> TakeAhead(std::string_view key, const SharedLimit& limit,
                                          int64_t now_nanos) {
    auto it = keys_.find(key);
    if (it == keys_.end()) return std::nullopt;
    KeyState& state = it->second;
    if (!SameLimit(state.limit, limit)) {
      DropGrants(state);
      return std::nullopt;
    }
    // The oldest grant's cells first (their slots come first); lapsed ones are skipped.
    while (!state.grants.empty()) {
      Grant& g = state.grants.front();
      if (g.next < g.count && g.DeadlineNanos(g.count - 1) >= now_nanos) {
        while (g.DeadlineNanos(g.next) < now_nanos) Lapse(state, g, 1);
        break;
      }
      Lapse(state, g, g.count - g.next);
      state.grants.erase(state.grants.begin());
    }
    if (state.grants.empty()) return std::nullopt;
    Grant& g = state.grants.front();
    const int64_t cell = g.next++;
    --state.cells;
    ++state.seen;
    SharedDecision d;
    d.allowed = true;
    // This cell's TAT relative to now (the grant's now moved on by the time since it was
    // sent): the headers as the request would have had them.
    const int64_t after = g.SlotMicros(cell) + g.interval - (now_nanos - g.sent_nanos) / 1000;
    const int64_t slack = g.tolerance - after;
    d.remaining = slack >= 0 ? slack / g.interval + 1 : 0;
    d.reset_seconds = CeilSecondsOfMicros(after);
    if (g.next == g.count) state.grants.erase(state.grants.begin());
    shared_->ahead_used.fetch_add(1, std::memory_order_relaxed);
    shared_->decided.fetch_add(1, std::memory_order_relaxed);
    // Half spent: the next cells are asked for now, so that they are in before these run out.
    if (state_ == State::kReady && !state.in_flight && state.queued < 0 && WantsCells(state)) {
      BatchOf(state, key, limit, now_nanos);
      PostFlush();
    }
    return d;
  }

  // Shutdown, on the loop: nothing of Asio is left once this returns (the loop may then
  // finish and its io_context go before this object does).
  void Close() {
    if (state_ == State::kStopped) return;
    const State was = state_;
    state_ = State::kStopped;
    if (was == State::kReady) shared_->ready.fetch_sub(1);
    FailBatches();
    keys_.clear();
    if (redisAsyncContext* ac = context_) {
      context_ = nullptr;
      redisAsyncFree(ac);  // its unanswered requests: nullopt (decided locally)
    }
    events_.reset();
    retry_timer_.reset();
    watchdog_.reset();
  }

 private:
  enum class State { kIdle, kConnecting, kReady, kDown, kStopped };

  struct Batch {
    std::string key;
    SharedLimit limit;
    std::vector<Done> waiters;  // empty: a call for cells ahead only
    // The caller's clock, at most the time the call is sent (the newest request's time).
    int64_t sent_nanos = 0;
    // Cells ahead asked for, and their spread (gcra.lua's m, spacing, start).
    int64_t ahead = 0, spacing_micros = 0, start_micros = 0;
  };
  // Cells granted ahead by one call: cell j (0-based) may be spent until DeadlineNanos(j).
  struct Grant {
    int64_t sent_nanos = 0;    // the call's Batch::sent_nanos
    int64_t first_micros = 0;  // cell 0's slot by the TAT, relative to Redis's now
    int64_t interval = 1, spacing = 1, start = 0, tolerance = 0;
    int64_t cap_micros = 0;  // no deadline later than this after sent_nanos
    int64_t count = 0, next = 0;
    // gcra.lua's s_j - now, for j = cell + 1.
    int64_t SlotMicros(int64_t cell) const {
      return std::max(first_micros + cell * interval, start + (cell + 1) * spacing);
    }
    int64_t DeadlineNanos(int64_t cell) const {
      return sent_nanos + 1000 * std::min(SlotMicros(cell), cap_micros);
    }
  };
  // What a loop knows of one key: its cells ahead and how busy it is here.
  struct KeyState {
    SharedLimit limit;
    std::vector<Grant> grants;  // oldest first (their slots come first); a few at most
    int64_t cells = 0;          // cells left in `grants`
    int64_t seen = 0;           // requests of the key here since `since`
    int64_t since = -1;         // the caller's clock; -1: no call yet
    double per_second = 0;      // the key's request rate here, last measured
    bool in_flight = false;     // a script call of the key is unanswered on this connection
    int64_t queued = -1;        // its Batch in batches_ (not sent yet); -1: none
  };
  // What a command's callback gets (privdata): the connection and, for a script call, the
  // batch it decides.
  struct Pending {
    LoopConnection* connection;
    uint64_t generation;
    std::unique_ptr<Batch> batch;  // null: SCRIPT LOAD
  };

  void Connect() {
    if (state_ == State::kStopped) return;
    redisAsyncContext* ac =
        redisAsyncConnect(shared_->options.address.host.c_str(), shared_->options.address.port);
    if (ac == nullptr) return Lost("cannot allocate a connection");
    if (ac->err != 0) {
      const std::string why = ac->errstr;
      redisAsyncFree(ac);
      return Lost(why);
    }
    ac->data = this;
    auto events = std::make_shared<Events>(ioc_, ac);
    Events::Attach(events);
    events_ = events;
    context_ = ac;
    ++generation_;
    state_ = State::kConnecting;
    redisAsyncSetDisconnectCallback(ac, &OnDisconnect);
    redisAsyncSetConnectCallback(ac, &OnConnect);  // waits for the socket to be writable
    // AUTH and SELECT first when the URL has them (redis_url.h), then the script once they
    // succeeded: the connection is ready when Redis has it. An error answer (a wrong
    // password, a database Redis does not have) drops the connection as an outage does
    // (logged once with host:port, never the password; local decisions; retried).
    const RedisAddress& address = shared_->options.address;
    struct Setup {
      LoopConnection* connection;
      uint64_t generation;
      std::shared_ptr<bool> failed;  // shared by the connect's setup commands
      bool last;                     // its answer sends the script
    };
    static constexpr void (*kLoadScript)(LoopConnection&) = [](LoopConnection& self) {
      const char* argv[] = {"SCRIPT", "LOAD", self.shared_->script.data()};
      const size_t lens[] = {6, 4, self.shared_->script.size()};
      self.Send(nullptr, 3, argv, lens);
    };
    static constexpr redisCallbackFn* kSetupDone = [](redisAsyncContext* ac, void* reply_ptr,
                                                      void* privdata) {
      std::unique_ptr<Setup> setup(static_cast<Setup*>(privdata));
      const auto* reply = static_cast<const redisReply*>(reply_ptr);
      if (reply == nullptr || ac->data == nullptr) return;  // the connection is gone
      LoopConnection& self = *setup->connection;
      if (setup->generation != self.generation_ || self.state_ != State::kConnecting) return;
      if (reply->type == REDIS_REPLY_ERROR) {
        if (!std::exchange(*setup->failed, true)) {
          self.FailLater(setup->generation,
                         "Redis answered: " + std::string(reply->str, reply->len));
        }
      } else if (setup->last && !*setup->failed) {
        kLoadScript(self);
      }
    };
    std::vector<std::vector<std::string>> setup;
    if (!address.password.empty()) {
      if (address.user.empty()) {
        setup.push_back({"AUTH", address.password});
      } else {
        setup.push_back({"AUTH", address.user, address.password});
      }
    }
    if (address.db != 0) setup.push_back({"SELECT", std::to_string(address.db)});
    auto failed = std::make_shared<bool>(false);
    for (size_t i = 0; i < setup.size(); ++i) {
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      for (const std::string& arg : setup[i]) {
        argv.push_back(arg.data());
        lens.push_back(arg.size());
      }
      auto* pending = new Setup{this, generation_, failed, i + 1 == setup.size()};
      if (redisAsyncCommandArgv(ac, kSetupDone, pending, static_cast<int>(argv.size()), argv.data(),
                                lens.data()) != REDIS_OK) {
        delete pending;
        *failed = true;  // the connect timeout drops it
      }
    }
    if (setup.empty()) kLoadScript(*this);
    const uint64_t generation = generation_;
    retry_timer_->expires_after(shared_->options.connect_timeout);
    retry_timer_->async_wait(
        [self = shared_from_this(), generation](const boost::system::error_code& ec) {
          if (ec || generation != self->generation_ || self->state_ != State::kConnecting) return;
          self->Fail("no connection in " +
                     std::to_string(self->shared_->options.connect_timeout.count()) + " ms");
        });
  }

  // Sends one command (on the context, which writes it at the next writable socket:
  // everything sent in one loop turn goes out together).
  void Send(std::unique_ptr<Batch> batch, int argc, const char** argv, const size_t* lens) {
    auto* pending = new Pending{this, generation_, std::move(batch)};
    if (redisAsyncCommandArgv(context_, &OnReply, pending, argc, argv, lens) != REDIS_OK) {
      std::unique_ptr<Pending> owned(pending);
      if (owned->batch) {
        if (KeyState* state = Known(owned->batch->key)) state->in_flight = false;
        Answer(*owned->batch, nullptr);
      }
      return;
    }
    shared_->unanswered.fetch_add(1, std::memory_order_relaxed);
    sent_.push_back(Clock::now());
    if (!watchdog_armed_) ArmWatchdog();
  }

  void PostFlush() {
    if (flush_posted_) return;
    flush_posted_ = true;
    net::post(ioc_, [self = shared_from_this()] { self->Flush(); });
  }

  // Sends one script call for each key with waiting requests and no call unanswered; the
  // requests of a key whose call is unanswered stay, to go together in its next call once
  // the answer is in (so a busy key has at most one call in flight per loop, and each call
  // decides everything that arrived meanwhile).
  void Flush() {
    flush_posted_ = false;
    std::vector<std::unique_ptr<Batch>> batches;
    batches.swap(batches_);
    for (std::unique_ptr<Batch>& batch : batches) {
      KeyState& state = *Known(batch->key);  // a queued key is never forgotten
      state.queued = -1;
      if (state_ != State::kReady) {
        Answer(*batch, nullptr);
        continue;
      }
      if (state.in_flight) {
        state.queued = static_cast<int64_t>(batches_.size());
        batches_.push_back(std::move(batch));
        continue;
      }
      MeasureRate(state, batch->sent_nanos);
      // A call for cells only is sent while they are still needed.
      if (batch->waiters.empty() && !WantsCells(state)) continue;
      const int64_t wanted = WantedAhead(state);
      if (wanted > state.cells) {
        batch->ahead = wanted - state.cells;
        batch->spacing_micros = std::max<int64_t>(1, static_cast<int64_t>(1e6 / state.per_second));
        // After the cells still held here: they are spent first.
        batch->start_micros =
            shared_->options.ahead_start.count() + state.cells * batch->spacing_micros;
      }
      state.in_flight = true;
      const std::string redis_key = shared_->options.key_prefix + batch->key;
      const std::string qps = std::to_string(std::max<int64_t>(1, batch->limit.qps));
      const std::string burst = std::to_string(std::max<int64_t>(1, batch->limit.burst));
      const std::string n = std::to_string(batch->waiters.size());
      std::string now;
      if (shared_->options.test_now_micros)
        now = std::to_string(shared_->options.test_now_micros());
      const std::string ahead = std::to_string(batch->ahead);
      const std::string spacing = std::to_string(batch->spacing_micros);
      const std::string start = std::to_string(batch->start_micros);
      const char* argv[] = {"EVALSHA",     sha_.c_str(),    "1",          redis_key.c_str(),
                            qps.c_str(),   burst.c_str(),   n.c_str(),    now.c_str(),
                            ahead.c_str(), spacing.c_str(), start.c_str()};
      const size_t lens[] = {7,
                             sha_.size(),
                             1,
                             redis_key.size(),
                             qps.size(),
                             burst.size(),
                             n.size(),
                             now.size(),
                             ahead.size(),
                             spacing.size(),
                             start.size()};
      const int argc = batch->ahead > 0 ? 11 : 8;
      shared_->calls.fetch_add(1, std::memory_order_relaxed);
      Send(std::move(batch), argc, argv, lens);
    }
    if (keys_.size() > kMaxKeys) ForgetIdleKeys();
  }

  // The key's state here (made on first use); a changed limit drops its cells.
  KeyState& StateOf(std::string_view key, const SharedLimit& limit) {
    auto it = keys_.find(key);
    if (it == keys_.end()) it = keys_.emplace(std::string(key), KeyState{}).first;
    KeyState& state = it->second;
    if (!SameLimit(state.limit, limit)) {
      DropGrants(state);
      state.limit = limit;
    }
    return state;
  }

  // The key's state here if it has one (a key with a call out or a batch queued has).
  KeyState* Known(std::string_view key) {
    auto it = keys_.find(key);
    return it == keys_.end() ? nullptr : &it->second;
  }

  // The key's batch of requests to send (made if there is none).
  Batch& BatchOf(KeyState& state, std::string_view key, const SharedLimit& limit,
                 int64_t now_nanos) {
    if (state.queued < 0) {
      auto batch = std::make_unique<Batch>();
      batch->key = std::string(key);
      batch->limit = limit;
      batch->sent_nanos = now_nanos;
      state.queued = static_cast<int64_t>(batches_.size());
      batches_.push_back(std::move(batch));
    }
    Batch& batch = *batches_[state.queued];
    batch.sent_nanos = std::max(batch.sent_nanos, now_nanos);
    return batch;
  }

  static bool SameLimit(const SharedLimit& a, const SharedLimit& b) {
    return a.qps == b.qps && a.burst == b.burst;
  }

  // The key's request rate here, measured over at least a quarter of a horizon between
  // calls (a few requests close together are no rate).
  void MeasureRate(KeyState& state, int64_t now_nanos) const {
    if (state.since < 0) {
      state.since = now_nanos;
      state.seen = 0;
      return;
    }
    const int64_t elapsed = now_nanos - state.since;
    if (elapsed < 1000 * shared_->options.ahead_horizon.count() / 4 || elapsed <= 0) return;
    state.per_second = static_cast<double>(state.seen) * 1e9 / static_cast<double>(elapsed);
    state.seen = 0;
    state.since = now_nanos;
  }

  // How many cells ahead the key should have here: a horizon's worth at its rate here, and
  // no more than a horizon of its limit (what a loop may leave unspent when the key's
  // requests stop); none when that is less than two.
  int64_t WantedAhead(const KeyState& state) const {
    const double horizon = std::chrono::duration<double>(shared_->options.ahead_horizon).count();
    const double wanted =
        std::min(state.per_second, static_cast<double>(state.limit.qps)) * horizon;
    if (wanted < 2) return 0;
    return std::min<int64_t>(shared_->options.ahead_max_cells, static_cast<int64_t>(wanted));
  }

  // True when the key should ask for cells now: it wants some and half are spent.
  bool WantsCells(const KeyState& state) const {
    const int64_t wanted = WantedAhead(state);
    return wanted > 0 && state.cells * 2 <= wanted;
  }

  void Lapse(KeyState& state, Grant& g, int64_t cells) {
    g.next += cells;
    state.cells -= cells;
    shared_->ahead_lapsed.fetch_add(cells, std::memory_order_relaxed);
  }

  void DropGrants(KeyState& state) {
    for (Grant& g : state.grants) Lapse(state, g, g.count - g.next);
    state.grants.clear();
  }

  // Keeps keys_ bounded: forgets keys with no cells, no call unanswered and nothing queued.
  void ForgetIdleKeys() {
    for (auto it = keys_.begin(); it != keys_.end();) {
      const KeyState& state = it->second;
      if (state.grants.empty() && !state.in_flight && state.queued < 0) {
        it = keys_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Delivers a script's answer (or, with a null reply, "decide locally") to every waiter.
  void Answer(Batch& batch, const redisReply* reply) {
    int64_t values[5] = {0, 0, 0, 0, 0};
    bool ok = reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 5;
    for (size_t i = 0; ok && i < 5; ++i) {
      if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
        ok = false;
      } else {
        values[i] = reply->element[i]->integer;
      }
    }
    std::vector<Done> waiters;
    waiters.swap(batch.waiters);
    if (!ok) {
      for (Done& done : waiters) done(std::nullopt);
      return;
    }
    const int64_t admitted = values[0], base = values[1],
                  interval = std::max<int64_t>(1, values[2]), tolerance = values[3],
                  ahead = std::clamp<int64_t>(values[4], 0, batch.ahead);
    shared_->decided.fetch_add(waiters.size(), std::memory_order_relaxed);
    if (ahead > 0) KeepGrant(batch, base + admitted * interval, interval, tolerance, ahead);
    for (size_t i = 0; i < waiters.size(); ++i) {
      SharedDecision d;
      if (static_cast<int64_t>(i) < admitted) {
        const int64_t offset = base + static_cast<int64_t>(i + 1) * interval;  // new TAT - now
        const int64_t slack = tolerance - offset;
        d.allowed = true;
        d.remaining = slack >= 0 ? slack / interval + 1 : 0;
        d.reset_seconds = CeilSecondsOfMicros(offset);
      } else {
        const int64_t offset = base + admitted * interval;
        d.allowed = false;
        d.remaining = 0;
        d.reset_seconds = CeilSecondsOfMicros(offset);
        d.retry_after_seconds = std::max<int64_t>(1, CeilSecondsOfMicros(offset - tolerance));
      }
      waiters[i](d);
    }
  }

  // Keeps the cells a call was granted ahead, for the key's next requests here.
  void KeepGrant(const Batch& batch, int64_t first_micros, int64_t interval, int64_t tolerance,
                 int64_t count) {
    shared_->ahead_granted.fetch_add(count, std::memory_order_relaxed);
    // The key's requests now carry another limit (it changed while the call was out), or
    // the key is gone: these cells are lost (the key's state keeps the newer limit).
    auto it = keys_.find(batch.key);
    if (it == keys_.end() || !SameLimit(it->second.limit, batch.limit)) {
      shared_->ahead_lapsed.fetch_add(count, std::memory_order_relaxed);
      return;
    }
    KeyState& state = it->second;
    Grant g;
    g.sent_nanos = batch.sent_nanos;
    g.first_micros = first_micros;
    g.interval = interval;
    g.spacing = std::max(batch.spacing_micros, interval);  // as gcra.lua does
    g.start = batch.start_micros;
    g.tolerance = tolerance;
    g.cap_micros = batch.start_micros + 2 * shared_->options.ahead_horizon.count();
    g.count = count;
    state.grants.push_back(g);
    state.cells += count;
  }

  void FailBatches() {
    std::vector<std::unique_ptr<Batch>> batches;
    batches.swap(batches_);
    for (auto& batch : batches) {
      if (KeyState* state = Known(batch->key)) state->queued = -1;
      Answer(*batch, nullptr);
    }
  }

  static void OnReply(redisAsyncContext* /*ac*/, void* reply_ptr, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    LoopConnection& self = *pending->connection;
    self.shared_->unanswered.fetch_sub(1, std::memory_order_relaxed);
    const auto* reply = static_cast<const redisReply*>(reply_ptr);
    if (pending->generation == self.generation_) {
      if (!self.sent_.empty()) self.sent_.pop_front();
      // The key's requests that arrived meanwhile can go now.
      KeyState* state = pending->batch ? self.Known(pending->batch->key) : nullptr;
      if (state != nullptr && state->in_flight) {
        state->in_flight = false;
        if (state->queued >= 0) self.PostFlush();
      }
    }
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
      const std::string error(reply->str, reply->len);
      if (pending->batch) self.Answer(*pending->batch, nullptr);
      // NOSCRIPT (the script cache was flushed) or anything else unexpected: a new
      // connection loads the script again. Not from inside hiredis's callback.
      self.FailLater(pending->generation, "Redis answered: " + error);
      return;
    }
    if (pending->batch) {
      if (reply != nullptr && reply->type != REDIS_REPLY_ARRAY) {
        self.FailLater(pending->generation, "unexpected answer to the script");
      }
      self.Answer(*pending->batch, reply);
      return;
    }
    // SCRIPT LOAD's answer: the script's SHA1; the connection is ready.
    if (reply == nullptr || pending->generation != self.generation_ ||
        self.state_ != State::kConnecting) {
      return;
    }
    if (reply->type != REDIS_REPLY_STRING) {
      self.FailLater(pending->generation, "unexpected answer to SCRIPT LOAD");
      return;
    }
    self.sha_.assign(reply->str, reply->len);
    self.state_ = State::kReady;
    self.backoff_ = self.shared_->options.min_backoff;
    self.retry_timer_->cancel();
    self.shared_->ready.fetch_add(1);
    self.shared_->LogReady();
  }

  static void OnConnect(const redisAsyncContext* ac, int status) {
    if (status == REDIS_OK || ac->data == nullptr) return;
    auto& self = *static_cast<LoopConnection*>(ac->data);
    // hiredis frees the context after this callback.
    if (self.context_ == ac) {
      self.context_ = nullptr;
      self.Lost(ac->errstr != nullptr ? ac->errstr : "connect failed");
    }
  }

  static void OnDisconnect(const redisAsyncContext* ac, int /*status*/) {
    if (ac->data == nullptr) return;
    auto& self = *static_cast<LoopConnection*>(ac->data);
    if (self.context_ == ac) {  // lost (not closed by Fail or Close, which clear context_)
      self.context_ = nullptr;
      self.Lost(ac->err != 0 && ac->errstr != nullptr ? ac->errstr : "connection closed");
    }
  }

  // The connection is gone (context_ already cleared or never set): decide locally until
  // the next one is ready.
  void Lost(const std::string& reason) {
    if (state_ == State::kStopped || state_ == State::kDown) return;
    if (state_ == State::kReady) shared_->ready.fetch_sub(1);
    state_ = State::kDown;
    ++generation_;
    sent_.clear();
    for (auto& [key, state] : keys_) state.in_flight = false;
    shared_->failures.fetch_add(1, std::memory_order_relaxed);
    shared_->LogDown(reason);
    FailBatches();
    const std::chrono::milliseconds wait = backoff_;
    backoff_ = std::min(backoff_ * 2, shared_->options.max_backoff);
    retry_timer_->expires_after(wait);
    retry_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && self->state_ == State::kDown) self->Connect();
    });
  }

  // Drops the connection (not from inside a hiredis callback: FailLater).
  void Fail(const std::string& reason) {
    redisAsyncContext* ac = context_;
    context_ = nullptr;
    Lost(reason);
    if (ac != nullptr) {
      ac->data = nullptr;  // its callbacks find no connection to report to
      redisAsyncFree(ac);  // unanswered requests: nullopt (decided locally)
    }
  }
  void FailLater(uint64_t generation, std::string reason) {
    net::post(ioc_, [self = shared_from_this(), generation, reason = std::move(reason)] {
      if (generation == self->generation_ && self->context_ != nullptr) self->Fail(reason);
    });
  }

  void ArmWatchdog() {
    if (sent_.empty() || !watchdog_) {
      watchdog_armed_ = false;
      return;
    }
    watchdog_armed_ = true;
    watchdog_->expires_at(sent_.front() + shared_->options.reply_timeout);
    watchdog_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->watchdog_armed_ = false;
      if (ec || self->state_ == State::kStopped) return;
      if (!self->sent_.empty() &&
          Clock::now() - self->sent_.front() >= self->shared_->options.reply_timeout) {
        self->Fail("no answer in " + std::to_string(self->shared_->options.reply_timeout.count()) +
                   " ms");
        return;
      }
      self->ArmWatchdog();
    });
  }

  net::io_context& ioc_;
  std::shared_ptr<Shared> shared_;
  State state_ = State::kIdle;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<Events> events_;
  uint64_t generation_ = 0;  // of the current context: stale callbacks and timers see a change
  std::string sha_;
  std::chrono::milliseconds backoff_;
  std::optional<net::steady_timer> retry_timer_;  // connect deadline, then back-off
  std::optional<net::steady_timer> watchdog_;     // reply_timeout of the oldest command
  bool watchdog_armed_ = false;
  std::deque<Clock::time_point> sent_;  // when each unanswered command was sent, in order
  // Heterogeneous lookup: a request's key is found without making a string of it.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  std::vector<std::unique_ptr<Batch>> batches_;  // requests not sent yet, one batch per key
  static constexpr size_t kMaxKeys = 10'000;
  std::unordered_map<std::string, KeyState, KeyHash, std::equal_to<>> keys_;
  bool flush_posted_ = false;
};

RedisRateStore::RedisRateStore(RedisRateStoreOptions options)
    : shared_(std::make_shared<Shared>()), id_(next_store_id.fetch_add(1)) {
  shared_->options = std::move(options);
  shared_->script = std::string(Script());
  // hiredis writes with write(2): a connection Redis closed must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

RedisRateStore::~RedisRateStore() {
  shared_->stopping.store(true);
  if (here_cache.store_id == id_) here_cache = {};
}

RedisRateStore::LoopConnection* RedisRateStore::Here(bool create) {
  if (shared_->stopping.load(std::memory_order_relaxed) || !shared_->options.current_loop) {
    return nullptr;
  }
  net::io_context* ioc = shared_->options.current_loop();
  if (ioc == nullptr) return nullptr;
  if (here_cache.store_id == id_ && here_cache.loop == ioc) return here_cache.connection;
  std::lock_guard lock(mutex_);
  LoopConnection* found = nullptr;
  for (const auto& c : connections_) {
    if (&c->ioc() == ioc) found = c.get();
  }
  if (found == nullptr) {
    // Shutdown sets `stopping` under the mutex: no connection is made after it has run.
    if (!create || shared_->stopping.load()) return nullptr;
    connections_.push_back(std::make_shared<LoopConnection>(*ioc, shared_));
    found = connections_.back().get();
  }
  here_cache = {id_, ioc, found};
  return found;
}

std::optional<SharedDecision> RedisRateStore::TakeAhead(std::string_view key,
                                                        const SharedLimit& limit,
                                                        int64_t now_nanos) {
  LoopConnection* here = Here(false);
  if (here == nullptr) return std::nullopt;
  return here->TakeAhead(key, limit, now_nanos);
}

bool RedisRateStore::Submit(std::string_view key, const SharedLimit& limit, int64_t now_nanos,
                            Done&& done) {
  if (shared_->stopping.load(std::memory_order_relaxed)) return false;
  LoopConnection* here = Here(true);
  if (here == nullptr) return false;
  here->Start();  // a loop that ConnectHere did not reach: connects now, decides locally now
  return here->Submit(key, limit, now_nanos, done);
}

bool RedisRateStore::Ready() {
  if (shared_->stopping.load(std::memory_order_relaxed)) return false;
  LoopConnection* here = Here(true);
  if (here == nullptr) return false;
  here->Start();
  return here->ready();
}

void RedisRateStore::ConnectHere() {
  if (LoopConnection* here = Here(true)) here->Start();
}

void RedisRateStore::Shutdown() {
  std::lock_guard lock(mutex_);
  shared_->stopping.store(true);
  for (const auto& c : connections_) net::post(c->ioc(), [c] { c->Close(); });
}

SharedLimitStats RedisRateStore::Stats() const {
  SharedLimitStats s;
  s.connections = shared_->connections.load();
  s.ready_connections = shared_->ready.load();
  s.unanswered = shared_->unanswered.load();
  s.calls = shared_->calls.load();
  s.decided = shared_->decided.load();
  s.failures = shared_->failures.load();
  s.ahead_granted = shared_->ahead_granted.load();
  s.ahead_used = shared_->ahead_used.load();
  s.ahead_lapsed = shared_->ahead_lapsed.load();
  return s;
}

const RedisAddress& RedisRateStore::address() const { return shared_->options.address; }

}  // namespace soundtrend::store::redis
