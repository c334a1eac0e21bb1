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
  Dictionary keys;
  Dictionary endpoints;
  std::string body;
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

Status DecodeChargeBlock(std::string_view block, int64_t first_seq, std::string_view key_id,
                         const std::function<Status(const LedgerEntry&)>& fn) {
  VarintDecoder d(block);
  std::vector<std::string_view> keys, endpoints;
  uint64_t count = 0;
  if (!ReadHeader(d, &keys, &endpoints, &count)) return BadBlock();
  LedgerEntry e;
  e.kind = LedgerKind::kCharge;
  int64_t time = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t key = 0, endpoint = 0, time_delta = 0, cost = 0, balance = 0;
    std::string_view request_id;
    if (!d.Varint(&key) || key >= keys.size() || !d.Varint(&endpoint) ||
        endpoint >= endpoints.size() || !ReadBytes(d, &request_id) || !d.Varint(&time_delta) ||
        !d.Varint(&cost) || !d.Varint(&balance)) {
      return BadBlock();
    }
    time += UnZigZag(time_delta);
    if (!key_id.empty() && keys[key] != key_id) continue;
    e.seq = first_seq + static_cast<int64_t>(i);
    e.key_id.assign(keys[key]);
    e.time_micros = time;
    e.reference.assign(request_id);
    e.endpoint.assign(endpoints[endpoint]);
    e.amount = -static_cast<int64_t>(cost);
    e.balance_after = static_cast<int64_t>(balance);
    ST_RETURN_IF_ERROR(fn(e));
  }
  if (!d.done()) return BadBlock();
  return Status::Ok();
}

}  // namespace soundtrend::store
