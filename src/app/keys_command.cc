// Key and credit management from the command line (docs/api.md §6, /work/notes/cli.md):
//
//   soundtrend keys create --name NAME [--credits N] [--qps Q] [--burst B]
//                          [--expires YYYY-MM-DD] [--endpoints LIST] [--json]
//       Prints the new key ALONE on stdout line 1 (shown once; only its SHA-256 is
//       stored), then "field: value" lines (key_id, name, credits, qps, burst, endpoints,
//       expires). --json: one object {"key","key_id","details":{...}} instead.
//   soundtrend keys list [--json]            one line per key (tab-separated, header first)
//   soundtrend keys revoke KEY_ID [--json]
//   soundtrend keys show KEY_ID [--json]     "field: value" lines (never the key)
//   soundtrend keys update KEY_ID [--name N] [--qps Q] [--burst B]
//                          [--expires YYYY-MM-DD|never] [--endpoints LIST|all] [--json]
//       Changes only what is given (at least one); prints the key after, as `show`.
//   soundtrend keys rotate KEY_ID [--grace SECONDS] [--json]
//       A new secret for the same key id (balance, limits and ledger unchanged), alone on
//       stdout line 1 as in `create`; the old secret is refused at once (default) or once
//       SECONDS have passed (at most 2592000, 30 days). --json: {"key","key_id","details"}.
//   soundtrend credits grant KEY_ID AMOUNT --grant-id ID [--json]   (idempotent by ID)
//   soundtrend ledger show KEY_ID [--limit N] [--json]      the latest N entries (default 100)
//   soundtrend ledger export [--key-id K] [--out FILE]       RFC 4180 CSV, every entry (FILE 0600)
//   soundtrend ledger settle --node ID [--state-dir DIR]     PostgreSQL: a node that is gone
//       for good: the charges its logs in DIR hold (when given) are moved in, then every
//       credit it still holds leased is free again (README "Run as a cluster").
//
// --json prints what the admin API's `data` holds for the same operation (the OpenAPI
// schemas KeyRecord, LedgerEntry...), one JSON document on stdout. Every command but
// `keys create` refuses a database that does not exist (app/database.h).
//
// They work on the database directly (gateway::KeyManager over the SQLite key store), also
// while `soundtrend serve` runs on the same file: the server notices the change through
// SQLite's data_version within about a second (gateway::BillingGateway::ReloadIfChanged).
// Exit codes: 0 done (also: a grant id applied before), 1 refused or failed (unknown key,
// grant id reused for another key or amount, storage error), 2 bad arguments.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/admin_keys.h"
#include "app/commands.h"
#include "app/database.h"
#include "app/stores.h"
#include "common/clock.h"
#include "common/day.h"
#include "common/json_writer.h"
#include "common/random.h"
#include "gateway/key_admin.h"
#include "ledger/ledger.h"

namespace soundtrend::app {
namespace {

[[noreturn]] void Fail(std::string_view command, const std::string& message, int exit_code) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(command.size()), command.data(),
               message.c_str());
  throw CLI::RuntimeError(exit_code);
}

// NotFound and refusals are 1 like other failures; InvalidArgument is a usage error (2).
[[noreturn]] void FailWith(std::string_view command, const Status& status) {
  Fail(command, status.message(), status.code() == Status::Code::kInvalidArgument ? 2 : 1);
}

std::unique_ptr<store::KeyStore> OpenStore(const GlobalOptions& global, std::string_view command,
                                           DbAccess access = DbAccess::kExisting) {
  Result<DbCheck> check = CheckDatabase(global.db_path, access);
  if (!check.ok()) FailWith(command, check.status());
  auto store = OpenKeyStore(global.db_path);
  if (!store.ok()) {
    Fail(command, "cannot open " + global.db_path + ": " + store.status().ToString(), 1);
  }
  ReportCreated(command, global.db_path, *check);
  // PostgreSQL: every node moves its own logs (they are on its machine, app/stores.h).
  if (BackendOf(global.db_path) == Backend::kPostgres) return std::move(store).value();
  // Charges a killed server left in the ledger's logs, unless a running server holds them
  // (its charges then reach the database within its reload interval).
  ledger::LedgerOptions ledger_options;
  ledger_options.log_path = ledger::LogPathBeside(global.db_path);
  const Status recovered = ledger::Ledger::RecoverIfUnowned(**store, ledger_options);
  if (!recovered.ok()) {
    Fail(command,
         "cannot move the charges left beside " + global.db_path + ": " + recovered.ToString(), 1);
  }
  return std::move(store).value();
}

void PrintJson(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// {"key", "key_id", "details"}: a new secret (create, rotate), shown once.
void PrintCreatedKeyJson(const gateway::CreatedKey& created) {
  std::string out = "{\"key\":";
  json::AppendString(out, created.api_key);
  out += ",\"key_id\":";
  json::AppendString(out, created.record.key_id);
  out += ",\"details\":";
  api::AppendKeyJson(out, created.record);
  out += '}';
  PrintJson(out);
}

std::string JoinEndpoints(const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) return "all";
  std::string out;
  for (const auto& e : endpoints) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string OptionalTime(const std::optional<int64_t>& micros, const char* none) {
  return micros ? gateway::FormatTimeMicros(*micros) : none;
}

std::string KeyStatus(const store::KeyRecord& k, int64_t now_micros) {
  if (k.revoked_micros) return "revoked";
  if (k.expires_micros && now_micros >= *k.expires_micros) return "expired";
  return "active";
}

// --- keys create -------------------------------------------------------------------

struct CreateOptions {
  std::string name;
  int64_t credits = 0;
  int64_t qps = 10;
  std::optional<int64_t> burst;
  std::string expires;
  std::string endpoints;
  bool json = false;
};

void RunCreate(const GlobalOptions& global, const CreateOptions& o) {
  constexpr std::string_view kCmd = "keys create";
  gateway::NewKeySpec spec;
  spec.name = o.name;
  spec.credits = o.credits;
  spec.qps_limit = o.qps;
  spec.burst = o.burst;
  spec.endpoints = SplitList(o.endpoints);
  if (!o.expires.empty()) {
    std::optional<Day> day = ParseDay(o.expires);
    if (!day) Fail(kCmd, "--expires must be YYYY-MM-DD, got '" + o.expires + "'", 2);
    spec.expires_micros = DayStartUnixSeconds(*day) * 1'000'000;
  }
  Status valid = gateway::ValidateNewKeySpec(spec, SystemClock::Instance().NowMicros());
  if (!valid.ok()) FailWith(kCmd, Status::InvalidArgument("--" + valid.message()));

  auto store = OpenStore(global, kCmd, DbAccess::kCreate);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Result<gateway::CreatedKey> created = manager.CreateKey(spec);
  if (!created.ok()) FailWith(kCmd, created.status());
  const store::KeyRecord& r = created->record;
  if (o.json) {
    PrintCreatedKeyJson(*created);
    std::fprintf(stderr, "keys create: the key above is shown once; only its SHA-256 is stored.\n");
    return;
  }
  std::printf("%s\n", created->api_key.c_str());
  std::printf("key_id: %s\n", r.key_id.c_str());
  std::printf("name: %s\n", r.name.c_str());
  std::printf("credits: %lld\n", static_cast<long long>(r.balance));
  std::printf("qps: %lld\n", static_cast<long long>(r.qps_limit));
  std::printf("burst: %lld\n", static_cast<long long>(r.burst));
  std::printf("endpoints: %s\n", JoinEndpoints(r.endpoints).c_str());
  std::printf("expires: %s\n", OptionalTime(r.expires_micros, "never").c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "keys create: the key above is shown once; only its SHA-256 is stored. A running "
               "server accepts it within about a second.\n");
}

// --- keys list / revoke --------------------------------------------------------------

void RunList(const GlobalOptions& global, bool as_json) {
  constexpr std::string_view kCmd = "keys list";
  auto store = OpenStore(global, kCmd);
  Result<std::vector<store::KeyRecord>> keys = store->ListKeys();
  if (!keys.ok()) FailWith(kCmd, keys.status());
  if (as_json) {
    std::string out = "{\"keys\":[";
    for (size_t i = 0; i < keys->size(); ++i) {
      if (i) out += ',';
      api::AppendKeyJson(out, (*keys)[i]);
    }
    out += "]}";
    return PrintJson(out);
  }
  const int64_t now = SystemClock::Instance().NowMicros();
  std::printf(
      "key_id\tstatus\tbalance\tqps\tburst\tcharged_requests\tendpoints\tcreated\texpires\t"
      "name\n");
  for (const store::KeyRecord& k : *keys) {
    std::printf("%s\t%s\t%lld\t%lld\t%lld\t%lld\t%s\t%s\t%s\t%s\n", k.key_id.c_str(),
                KeyStatus(k, now).c_str(), static_cast<long long>(k.balance),
                static_cast<long long>(k.qps_limit), static_cast<long long>(k.burst),
                static_cast<long long>(k.charged_requests), JoinEndpoints(k.endpoints).c_str(),
                gateway::FormatTimeMicros(k.created_micros).c_str(),
                OptionalTime(k.expires_micros, "never").c_str(), k.name.c_str());
  }
  std::fflush(stdout);
}

void RunRevoke(const GlobalOptions& global, const std::string& key_id, bool as_json) {
  constexpr std::string_view kCmd = "keys revoke";
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Status st = manager.RevokeKey(key_id);
  if (!st.ok()) FailWith(kCmd, st);
  if (as_json) {
    std::string out = "{\"key_id\":";
    json::AppendString(out, key_id);
    out += ",\"revoked\":true}";
    return PrintJson(out);
  }
  std::printf("revoked %s\n", key_id.c_str());
  std::fflush(stdout);
}

// --- keys show / update / rotate -------------------------------------------------------

void PrintKeyFields(const store::KeyRecord& k) {
  const int64_t now = SystemClock::Instance().NowMicros();
  std::printf("key_id: %s\n", k.key_id.c_str());
  std::printf("name: %s\n", k.name.c_str());
  std::printf("status: %s\n", KeyStatus(k, now).c_str());
  std::printf("balance: %lld\n", static_cast<long long>(k.balance));
  std::printf("qps: %lld\n", static_cast<long long>(k.qps_limit));
  std::printf("burst: %lld\n", static_cast<long long>(k.burst));
  std::printf("endpoints: %s\n", JoinEndpoints(k.endpoints).c_str());
  std::printf("created: %s\n", gateway::FormatTimeMicros(k.created_micros).c_str());
  std::printf("expires: %s\n", OptionalTime(k.expires_micros, "never").c_str());
  std::printf("revoked: %s\n", OptionalTime(k.revoked_micros, "no").c_str());
  std::printf("charged_requests: %lld\n", static_cast<long long>(k.charged_requests));
  std::printf("credits_used: %lld\n", static_cast<long long>(k.charged_credits));
  std::printf("previous_key_expires: %s\n",
              k.previous_key_hash.empty()
                  ? "none"
                  : OptionalTime(k.previous_hash_expires_micros, "none").c_str());
  std::fflush(stdout);
}

void PrintKey(const store::KeyRecord& k, bool as_json) {
  if (as_json) {
    std::string out;
    api::AppendKeyJson(out, k);
    return PrintJson(out);
  }
  PrintKeyFields(k);
}

void RunShow(const GlobalOptions& global, const std::string& key_id, bool as_json) {
  constexpr std::string_view kCmd = "keys show";
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Result<store::KeyRecord> key = manager.GetKey(key_id);
  if (!key.ok()) FailWith(kCmd, key.status());
  PrintKey(*key, as_json);
}

struct UpdateOptions {
  std::string key_id;
  std::optional<std::string> name;
  std::optional<int64_t> qps;
  std::optional<int64_t> burst;
  std::optional<std::string> expires;    // YYYY-MM-DD or "never"
  std::optional<std::string> endpoints;  // a list or "all"
  bool json = false;
};

void RunUpdate(const GlobalOptions& global, const UpdateOptions& o) {
  constexpr std::string_view kCmd = "keys update";
  store::KeyChanges changes;
  changes.name = o.name;
  changes.qps_limit = o.qps;
  changes.burst = o.burst;
  if (o.expires) {
    if (*o.expires == "never") {
      changes.expires_micros = std::optional<int64_t>();
    } else {
      std::optional<Day> day = ParseDay(*o.expires);
      if (!day) Fail(kCmd, "--expires must be YYYY-MM-DD or never, got '" + *o.expires + "'", 2);
      changes.expires_micros = DayStartUnixSeconds(*day) * 1'000'000;
    }
  }
  if (o.endpoints) {
    changes.endpoints =
        *o.endpoints == "all" ? std::vector<std::string>{} : SplitList(*o.endpoints);
  }
  if (changes.empty()) {
    Fail(kCmd, "nothing to change: give --name, --qps, --burst, --expires or --endpoints", 2);
  }
  Status valid = gateway::ValidateKeyChanges(changes, SystemClock::Instance().NowMicros());
  if (!valid.ok()) FailWith(kCmd, Status::InvalidArgument("--" + valid.message()));
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Result<store::KeyRecord> key = manager.UpdateKey(o.key_id, changes);
  if (!key.ok()) FailWith(kCmd, key.status());
  PrintKey(*key, o.json);
  if (!o.json) {
    std::fprintf(stderr, "keys update: a running server applies it within about a second.\n");
  }
}

struct RotateOptions {
  std::string key_id;
  int64_t grace = 0;
  bool json = false;
};

void RunRotate(const GlobalOptions& global, const RotateOptions& o) {
  constexpr std::string_view kCmd = "keys rotate";
  if (o.grace < 0 || o.grace > gateway::kMaxRotationGraceSeconds) {
    Fail(kCmd, "--grace must be between 0 and 2592000 seconds (30 days)", 2);
  }
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Result<gateway::CreatedKey> rotated = manager.RotateKey(o.key_id, o.grace);
  if (!rotated.ok()) FailWith(kCmd, rotated.status());
  const store::KeyRecord& r = rotated->record;
  if (o.json) {
    PrintCreatedKeyJson(*rotated);
  } else {
    std::printf("%s\n", rotated->api_key.c_str());
    std::printf("key_id: %s\n", r.key_id.c_str());
    std::printf("previous key refused: %s\n",
                r.previous_hash_expires_micros
                    ? ("from " + gateway::FormatTimeMicros(*r.previous_hash_expires_micros)).c_str()
                    : "at once");
    std::fflush(stdout);
  }
  std::fprintf(stderr,
               "keys rotate: the new key above is shown once; a running server accepts it (and "
               "refuses the old one when due) within about a second.\n");
}

// --- credits grant -------------------------------------------------------------------

struct GrantOptions {
  std::string key_id;
  int64_t amount = 0;
  std::string grant_id;
  bool json = false;
};

void RunGrant(const GlobalOptions& global, const GrantOptions& o) {
  constexpr std::string_view kCmd = "credits grant";
  if (o.amount <= 0) Fail(kCmd, "AMOUNT must be a positive integer", 2);
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Result<store::GrantResult> grant = manager.GrantCredits(o.key_id, o.grant_id, o.amount);
  if (!grant.ok()) FailWith(kCmd, grant.status());
  if (o.json) {
    std::string out = "{\"key_id\":";
    json::AppendString(out, o.key_id);
    out += ",\"grant_id\":";
    json::AppendString(out, o.grant_id);
    out += ",\"applied\":";
    json::AppendBool(out, grant->applied);
    out += ",\"balance\":";
    json::AppendInt(out, grant->balance_after);
    out += '}';
    return PrintJson(out);
  }
  if (grant->applied) {
    std::printf("granted %lld credits to %s (grant %s); balance: %lld\n",
                static_cast<long long>(o.amount), o.key_id.c_str(), o.grant_id.c_str(),
                static_cast<long long>(grant->balance_after));
  } else {
    std::printf("grant %s was already applied; nothing changed; balance: %lld\n",
                o.grant_id.c_str(), static_cast<long long>(grant->balance_after));
  }
  std::fflush(stdout);
}

// --- ledger show / export ------------------------------------------------------------

void RunLedgerShow(const GlobalOptions& global, const std::string& key_id, int64_t limit,
                   bool as_json) {
  constexpr std::string_view kCmd = "ledger show";
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  Result<store::KeyRecord> key = manager.GetKey(key_id);
  if (!key.ok()) FailWith(kCmd, key.status());
  std::deque<store::LedgerEntry> latest;
  int64_t total = 0;
  Status st = manager.ForEachLedgerEntry(key_id, [&](const store::LedgerEntry& e) {
    ++total;
    latest.push_back(e);
    if (static_cast<int64_t>(latest.size()) > limit) latest.pop_front();
    return Status::Ok();
  });
  if (!st.ok()) FailWith(kCmd, st);
  if (as_json) {
    std::string out = "{\"key_id\":";
    json::AppendString(out, key->key_id);
    out += ",\"name\":";
    json::AppendString(out, key->name);
    out += ",\"balance\":";
    json::AppendInt(out, key->balance);
    out += ",\"total\":";
    json::AppendInt(out, total);
    out += ",\"entries\":[";
    bool first = true;
    for (const store::LedgerEntry& e : latest) {
      if (!first) out += ',';
      first = false;
      api::AppendLedgerJson(out, e);
    }
    out += "]}";
    return PrintJson(out);
  }
  std::printf("%s (%s): balance %lld, %lld ledger entries, showing the latest %zu\n",
              key->key_id.c_str(), key->name.c_str(), static_cast<long long>(key->balance),
              static_cast<long long>(total), latest.size());
  std::printf("seq\ttime\tkind\tamount\tbalance_after\treference\tendpoint\n");
  for (const store::LedgerEntry& e : latest) {
    std::printf("%lld\t%s\t%s\t%lld\t%lld\t%s\t%s\n", static_cast<long long>(e.seq),
                gateway::FormatTimeMicros(e.time_micros).c_str(),
                std::string(store::LedgerKindName(e.kind)).c_str(),
                static_cast<long long>(e.amount), static_cast<long long>(e.balance_after),
                e.reference.c_str(), e.endpoint.empty() ? "-" : e.endpoint.c_str());
  }
  std::fflush(stdout);
}

void RunLedgerExport(const GlobalOptions& global, const std::string& key_id,
                     const std::string& out_path) {
  constexpr std::string_view kCmd = "ledger export";
  auto store = OpenStore(global, kCmd);
  gateway::KeyManager manager(*store, SystemClock::Instance(), SecureRandom::Instance());
  std::FILE* out = stdout;
  std::string tmp_path;
  if (!out_path.empty()) {
    tmp_path = out_path + ".tmp";
    // The ledger names keys and requests: readable by its owner alone (0600), whatever the
    // umask, as the database is (issue 12).
    const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0 && ::fchmod(fd, 0600) == 0) out = ::fdopen(fd, "wb");
    if (fd < 0 || out == stdout || out == nullptr) {
      if (fd >= 0) ::close(fd);
      Fail(kCmd, "cannot write " + tmp_path, 1);
    }
  }
  std::string buffer = gateway::LedgerCsvHeader();
  int64_t rows = 0;
  bool write_failed = false;
  auto flush = [&] {
    if (!buffer.empty() && std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size()) {
      write_failed = true;
    }
    buffer.clear();
  };
  Status st = manager.ForEachLedgerEntry(key_id, [&](const store::LedgerEntry& e) {
    gateway::AppendLedgerCsvRow(buffer, e);
    ++rows;
    if (buffer.size() > (1 << 16)) flush();
    return write_failed ? Status::IoError("write failed") : Status::Ok();
  });
  flush();
  if (std::fflush(out) != 0) write_failed = true;
  if (out != stdout) {
    if (std::fclose(out) != 0) write_failed = true;
    if (!st.ok() || write_failed) std::remove(tmp_path.c_str());
  }
  if (!st.ok()) FailWith(kCmd, st);
  if (write_failed) Fail(kCmd, "writing the CSV failed", 1);
  if (out != stdout) {
    std::error_code ec;
    std::filesystem::rename(tmp_path, out_path, ec);
    if (ec) Fail(kCmd, "cannot rename " + tmp_path + " to " + out_path + ": " + ec.message(), 1);
    std::fprintf(stderr, "ledger export: %lld entries written to %s\n",
                 static_cast<long long>(rows), out_path.c_str());
  }
}

// A node that will not come back (README "Run as a cluster"): its charges, when its logs
// are at hand, then its leases. What it leased and had not spent becomes free again; a
// charge it answered but whose logs are lost is not in the ledger (that request was free).
void RunLedgerSettle(const GlobalOptions& global, const std::string& node,
                     const std::string& state_dir) {
  constexpr std::string_view kCmd = "ledger settle";
  if (BackendOf(global.db_path) != Backend::kPostgres) {
    Fail(kCmd,
         "settle is for nodes on PostgreSQL (--db postgresql://...); with SQLite the one "
         "node's next start, or any command, moves what it left",
         2);
  }
  if (node.empty()) Fail(kCmd, "--node must not be empty", 2);
  Result<DbCheck> check = CheckDatabase(global.db_path, DbAccess::kExisting);
  if (!check.ok()) FailWith(kCmd, check.status());
  StoreOptions options;
  options.node_id = node;
  // The store holds the node's id while it settles (store/postgres/pg_key_store.h): refused
  // while the node runs, and a node starting with that id meanwhile waits for it.
  auto store = OpenKeyStore(global.db_path, options);
  if (store.status().code() == Status::Code::kAlreadyExists) {
    Fail(kCmd,
         "node " + node + " is running (" + store.status().message() +
             "): settle is for a node that is gone for good; stop it first",
         1);
  }
  if (!store.ok())
    Fail(kCmd, "cannot open " + global.db_path + ": " + store.status().ToString(), 1);
  if (!state_dir.empty()) {
    ledger::LedgerOptions ledger_options;
    ledger_options.log_path = LedgerLogPath(global.db_path, node, state_dir);
    ledger_options.marker_prefix = node + "/";
    ledger_options.lanes = false;
    auto ledger = ledger::Ledger::Open(**store, ledger_options);
    if (ledger.status().code() == Status::Code::kFailedPrecondition) {
      Fail(kCmd, "node " + node + " is running (it holds its logs in " + state_dir + ")", 1);
    }
    if (!ledger.ok())
      Fail(kCmd, "cannot move the charges of " + node + ": " + ledger.status().ToString(), 1);
  }
  store::CreditLeases* leases = LeasesOf(**store);
  if (leases == nullptr) Fail(kCmd, "this database has no credit leases", 1);
  Result<int64_t> settled = leases->SettleLeases(node);
  if (!settled.ok()) FailWith(kCmd, settled.status());
  std::printf("node %s settled: %lld leased credits are free again\n", node.c_str(),
              static_cast<long long>(*settled));
  std::fflush(stdout);
}

}  // namespace

void AddKeysCommands(CLI::App& app, GlobalOptions& global) {
  constexpr const char* kJsonHelp =
      "Print one JSON document (the admin API's data) instead of text";
  // keys
  auto* keys = app.add_subcommand("keys", "Create, list, show, update, rotate and revoke API keys");
  keys->require_subcommand(1);

  auto create = std::make_shared<CreateOptions>();
  auto* c = keys->add_subcommand("create", "Create a key; prints the key alone on line 1");
  c->add_option("--name", create->name, "Who the key is for")->required();
  c->add_option("--credits", create->credits, "Initial credits (2 per successful request)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  c->add_option("--qps", create->qps, "Requests per second")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->capture_default_str();
  c->add_option("--burst", create->burst, "Requests allowed back to back (default: --qps)")
      ->check(CLI::PositiveNumber);
  c->add_option("--expires", create->expires,
                "The key is refused from 00:00 UTC of this day (YYYY-MM-DD)");
  c->add_option("--endpoints", create->endpoints,
                "Comma-separated customer endpoints the key may call (default: all of them: "
                "/v1/tiktok/trending/music, /v1/tiktok/regions, /v1/account)");
  c->add_flag("--json", create->json, kJsonHelp);
  c->callback([&global, create] { RunCreate(global, *create); });

  auto list_json = std::make_shared<bool>(false);
  auto* l = keys->add_subcommand("list", "List keys (never the keys themselves)");
  l->add_flag("--json", *list_json, kJsonHelp);
  l->callback([&global, list_json] { RunList(global, *list_json); });

  auto revoke_id = std::make_shared<std::string>();
  auto revoke_json = std::make_shared<bool>(false);
  auto* r =
      keys->add_subcommand("revoke", "Revoke a key (a running server refuses it within ~1 s)");
  r->add_option("KEY_ID", *revoke_id, "key_...")->required();
  r->add_flag("--json", *revoke_json, kJsonHelp);
  r->callback([&global, revoke_id, revoke_json] { RunRevoke(global, *revoke_id, *revoke_json); });

  auto show_id = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  auto* sh = keys->add_subcommand("show", "One key's settings, balance and usage (never the key)");
  sh->add_option("KEY_ID", *show_id, "key_...")->required();
  sh->add_flag("--json", *show_json, kJsonHelp);
  sh->callback([&global, show_id, show_json] { RunShow(global, *show_id, *show_json); });

  auto update = std::make_shared<UpdateOptions>();
  auto* u = keys->add_subcommand(
      "update", "Change a key's name, limits, expiry or endpoints (only what is given)");
  u->add_option("KEY_ID", update->key_id, "key_...")->required();
  u->add_option("--name", update->name, "Who the key is for");
  u->add_option("--qps", update->qps, "Requests per second (1 to 100000)");
  u->add_option("--burst", update->burst, "Requests allowed back to back (1 to 6000000)");
  u->add_option("--expires", update->expires,
                "Refused from 00:00 UTC of this day (YYYY-MM-DD, in the future), or never");
  u->add_option("--endpoints", update->endpoints,
                "Comma-separated customer endpoints the key may call, or all");
  u->add_flag("--json", update->json, kJsonHelp);
  u->callback([&global, update] { RunUpdate(global, *update); });

  auto rotate = std::make_shared<RotateOptions>();
  auto* ro = keys->add_subcommand(
      "rotate", "A new secret for the same key id; prints the new key alone on line 1");
  ro->add_option("KEY_ID", rotate->key_id, "key_...")->required();
  ro->add_option("--grace", rotate->grace,
                 "Seconds the old secret keeps working (default 0: refused at once; at most "
                 "2592000)")
      ->capture_default_str();
  ro->add_flag("--json", rotate->json, kJsonHelp);
  ro->callback([&global, rotate] { RunRotate(global, *rotate); });

  // credits
  auto* credits = app.add_subcommand("credits", "Grant credits");
  credits->require_subcommand(1);
  auto grant = std::make_shared<GrantOptions>();
  auto* g = credits->add_subcommand("grant", "Add credits to a key; idempotent by --grant-id");
  g->add_option("KEY_ID", grant->key_id, "key_...")->required();
  g->add_option("AMOUNT", grant->amount, "Credits to add (> 0)")->required();
  g->add_option("--grant-id", grant->grant_id,
                "Unique id of this grant (e.g. an invoice number); the same id adds once")
      ->required();
  g->add_flag("--json", grant->json, kJsonHelp);
  g->callback([&global, grant] { RunGrant(global, *grant); });

  // ledger
  auto* ledger = app.add_subcommand("ledger", "Show or export the credit ledger");
  ledger->require_subcommand(1);
  struct ShowOptions {
    std::string key_id;
    int64_t limit = 100;
    bool json = false;
  };
  auto show = std::make_shared<ShowOptions>();
  auto* s = ledger->add_subcommand("show", "The latest ledger entries of a key");
  s->add_option("KEY_ID", show->key_id, "key_...")->required();
  s->add_option("--limit", show->limit, "How many entries")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  s->add_flag("--json", show->json, kJsonHelp);
  s->callback([&global, show] { RunLedgerShow(global, show->key_id, show->limit, show->json); });

  struct ExportOptions {
    std::string key_id;
    std::string out;
  };
  auto exp = std::make_shared<ExportOptions>();
  auto* e = ledger->add_subcommand("export", "The whole ledger as CSV (stdout or --out)");
  e->add_option("--key-id", exp->key_id, "Only this key");
  e->add_option("--out", exp->out, "Write to this file instead of stdout");
  e->callback([&global, exp] { RunLedgerExport(global, exp->key_id, exp->out); });

  struct SettleOptions {
    std::string node;
    std::string state_dir;
  };
  auto settle = std::make_shared<SettleOptions>();
  auto* st = ledger->add_subcommand(
      "settle", "PostgreSQL: free what a node that is gone for good holds leased");
  st->add_option("--node", settle->node, "The node's --node-id")->required();
  st->add_option("--state-dir", settle->state_dir,
                 "The node's --state-dir, when its charge logs are at hand: moved in first");
  st->callback([&global, settle] { RunLedgerSettle(global, settle->node, settle->state_dir); });
}

}  // namespace soundtrend::app
