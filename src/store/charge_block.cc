#include "store/charge_block.h"

#include <unordered_map>
#include <vector>

#include "store/varint.h"

namespace soundtrend::store {
namespace {

constexpr uint64_t kVersion = 1;

Status BadBlock() { return Status::Corruption("stored charge block does not decode"); }

void PutBytes(std::string& out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out.append(bytes);
}

// Assigns dense indexes to distinct strings in first-seen order.
class Dictionary {
 public:
  void Clear() {
    index_.clear();
    order_.clear();
  }
  uint64_t IndexOf(std::string_view s) {
    auto [it, inserted] = index_.try_emplace(s, order_.size());
    if (inserted) order_.push_back(s);
    return it->second;
  }
  void Encode(std::string& out) const {
    PutVarint(out, order_.size());
    for (std::string_view s : order_) PutBytes(out, s);
  }

 private:
  std::unordered_map<std::string_view, uint64_t> index_;
  std::vector<std::string_view> order_;
};

bool ReadBytes(VarintDecoder& d, std::string_view* out) {
  uint64_t n = 0;
  return d.Varint(&n) && d.Bytes(n, out);
}

bool ReadDictionary(VarintDecoder& d, std::vector<std::string_view>* out) {
  uint64_t n = 0;
  if (!d.Varint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!ReadBytes(d, &s)) return false;
    out->push_back(s);
  }
  return true;
}

// Reads the header up to and including the charge count.
bool ReadHeader(VarintDecoder& d, std::vector<std::string_view>* keys,
                std::vector<std::string_view>* endpoints, uint64_t* count) {
  uint64_t version = 0;
  return d.Varint(&version) && version == kVersion && ReadDictionary(d, keys) &&
         ReadDictionary(d, endpoints) && d.Varint(count);
}

}  // namespace

void EncodeChargeBlock(std::span<const PackedCharge> charges, std::string& out) {
  // Scratch kept per thread: encoding a group allocates nothing once warm.
  thread_local Dictionary keys;
  thread_local Dictionary endpoints;
  thread_local std::string body;
  keys.Clear();
  endpoints.Clear();
  body.clear();
  int64_t previous_time = 0;
  for (const PackedCharge& c : charges) {
    PutVarint(body, keys.IndexOf(c.key_id));
    PutVarint(body, endpoints.IndexOf(c.endpoint));
    PutBytes(body, c.request_id);
    PutVarint(body, ZigZag(c.time_micros - previous_time));
    previous_time = c.time_micros;
    PutVarint(body, static_cast<uint64_t>(c.cost));
    PutVarint(body, static_cast<uint64_t>(c.balance_after));
  }
  out.clear();
  PutVarint(out, kVersion);
  keys.Encode(out);
  endpoints.Encode(out);
  PutVarint(out, charges.size());
  out += body;
}

Result<int64_t> ChargeBlockCount(std::string_view block) {
  VarintDecoder d(block);
  std::vector<std::string_view> keys, endpoints;
  uint64_t count = 0;
  if (!ReadHeader(d, &keys, &endpoints, &count)) return BadBlock();
  return static_cast<int64_t>(count);
}

Status ForEachPackedCharge(std::string_view block,
                           const std::function<Status(const PackedCharge&)>& fn) {
  VarintDecoder d(block);
  thread_local std::vector<std::string_view> keys, endpoints;
  keys.clear();
  endpoints.clear();
  uint64_t count = 0;
  if (!ReadHeader(d, &keys, &endpoints, &count)) return BadBlock();
  PackedCharge c;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t key = 0, endpoint = 0, time_delta = 0, cost = 0, balance = 0;
    if (!d.Varint(&key) || key >= keys.size() || !d.Varint(&endpoint) ||
        endpoint >= endpoints.size() || !ReadBytes(d, &c.request_id) || !d.Varint(&time_delta) ||
        !d.Varint(&cost) || !d.Varint(&balance)) {
      return BadBlock();
    }
    c.key_id = keys[key];
    c.endpoint = endpoints[endpoint];
    c.time_micros += UnZigZag(time_delta);
    c.cost = static_cast<int64_t>(cost);
    c.balance_after = static_cast<int64_t>(balance);
    ST_RETURN_IF_ERROR(fn(c));
  }
  if (!d.done()) return BadBlock();
  return Status::Ok();
}

Status DecodeChargeBlock(std::string_view block, int64_t first_seq, std::string_view key_id,
                         const std::function<Status(const LedgerEntry&)>& fn) {
  LedgerEntry e;
  e.kind = LedgerKind::kCharge;
  e.seq = first_seq - 1;
  return ForEachPackedCharge(block, [&](const PackedCharge& c) {
    ++e.seq;
    if (!key_id.empty() && c.key_id != key_id) return Status::Ok();
    e.key_id.assign(c.key_id);
    e.time_micros = c.time_micros;
    e.reference.assign(c.request_id);
    e.endpoint.assign(c.endpoint);
    e.amount = -c.cost;
    e.balance_after = c.balance_after;
    return fn(e);
  });
}

}  // namespace soundtrend::store
