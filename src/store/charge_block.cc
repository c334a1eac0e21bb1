#include "store/charge_block.h"

#include <cstdint>
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

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsDash(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

// A canonical lowercase UUID (8-4-4-4-12 hex digits) as its 16 bytes.
bool ParseUuid(std::string_view s, uint8_t out[16]) {
  if (s.size() != 36) return false;
  size_t byte = 0;
  for (size_t i = 0; i < 36; i += 2) {
    if (IsDash(i)) {
      if (s[i] != '-') return false;
      ++i;
    }
    const int hi = HexValue(s[i]), lo = HexValue(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[byte++] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

void FormatUuid(const uint8_t* bytes, char out[36]) {
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (IsDash(pos)) out[pos++] = '-';
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 0x0f];
  }
}

// Request ids: varint 0 and 16 bytes for a canonical UUID (what the server generates),
// otherwise varint (length + 1) and the text.
void PutRequestId(std::string& out, std::string_view id) {
  uint8_t uuid[16];
  if (ParseUuid(id, uuid)) {
    PutVarint(out, 0);
    out.append(reinterpret_cast<const char*>(uuid), sizeof uuid);
    return;
  }
  PutVarint(out, id.size() + 1);
  out.append(id);
}

// `text` holds the formatted UUID; *out may point into it.
bool ReadRequestId(VarintDecoder& d, char text[36], std::string_view* out) {
  uint64_t n = 0;
  if (!d.Varint(&n)) return false;
  std::string_view raw;
  if (n > 0) return d.Bytes(n - 1, out);
  if (!d.Bytes(16, &raw)) return false;
  FormatUuid(reinterpret_cast<const uint8_t*>(raw.data()), text);
  *out = std::string_view(text, 36);
  return true;
}

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

// Assigns dense indexes to distinct strings in first-seen order.
class ChargeBlockEncoder::Dictionary {
 public:
  void Clear() {
    index_.clear();
    order_.clear();
    last_ = 0;
  }
  uint64_t IndexOf(std::string_view s) {
    // Runs of one key (and one endpoint) are the rule: no hashing for them.
    if (!order_.empty() && s == order_[last_]) return last_;
    auto [it, inserted] = index_.try_emplace(s, order_.size());
    if (inserted) order_.push_back(s);
    last_ = it->second;
    return last_;
  }
  void Encode(std::string& out) const {
    PutVarint(out, order_.size());
    for (std::string_view s : order_) PutBytes(out, s);
  }

 private:
  std::unordered_map<std::string_view, uint64_t> index_;
  std::vector<std::string_view> order_;
  uint64_t last_ = 0;  // the index returned last
};

ChargeBlockEncoder::ChargeBlockEncoder()
    : keys_(std::make_unique<Dictionary>()), endpoints_(std::make_unique<Dictionary>()) {}

ChargeBlockEncoder::~ChargeBlockEncoder() = default;

void ChargeBlockEncoder::Add(const PackedCharge& c) {
  PutVarint(body_, keys_->IndexOf(c.key_id));
  PutVarint(body_, endpoints_->IndexOf(c.endpoint));
  PutRequestId(body_, c.request_id);
  // Modulo 2^64: every int64 time encodes, and decodes back exactly.
  PutVarint(body_, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(c.time_micros) -
                                               static_cast<uint64_t>(previous_time_))));
  previous_time_ = c.time_micros;
  PutVarint(body_, static_cast<uint64_t>(c.cost));
  PutVarint(body_, static_cast<uint64_t>(c.balance_after));
  ++count_;
}

void ChargeBlockEncoder::Finish(std::string& out) {
  out.clear();
  PutVarint(out, kVersion);
  keys_->Encode(out);
  endpoints_->Encode(out);
  PutVarint(out, count_);
  out += body_;
  Reset();
}

void ChargeBlockEncoder::Reset() {
  keys_->Clear();
  endpoints_->Clear();
  body_.clear();
  count_ = 0;
  previous_time_ = 0;
}

void EncodeChargeBlock(std::span<const PackedCharge> charges, std::string& out) {
  // Kept per thread: encoding a group allocates nothing once warm.
  thread_local ChargeBlockEncoder encoder;
  for (const PackedCharge& c : charges) encoder.Add(c);
  encoder.Finish(out);
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
  std::vector<std::string_view> keys, endpoints;
  char uuid_text[36];
  do {  // one group after another
    keys.clear();
    endpoints.clear();
    uint64_t count = 0;
    if (!ReadHeader(d, &keys, &endpoints, &count)) return BadBlock();
    PackedCharge c;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t key = 0, endpoint = 0, time_delta = 0, cost = 0, balance = 0;
      if (!d.Varint(&key) || key >= keys.size() || !d.Varint(&endpoint) ||
          endpoint >= endpoints.size() || !ReadRequestId(d, uuid_text, &c.request_id) ||
          !d.Varint(&time_delta) || !d.Varint(&cost) || !d.Varint(&balance) ||
          // The format's ranges: a cost > 0 and a balance >= 0, both in int64 (a damaged
          // block must not decode into a negative charge, i.e. credits made up).
          cost == 0 || cost > static_cast<uint64_t>(INT64_MAX) ||
          balance > static_cast<uint64_t>(INT64_MAX)) {
        return BadBlock();
      }
      c.key_id = keys[key];
      c.endpoint = endpoints[endpoint];
      // Modulo 2^64, as encoded: a damaged block's deltas cannot overflow.
      c.time_micros = static_cast<int64_t>(static_cast<uint64_t>(c.time_micros) +
                                           static_cast<uint64_t>(UnZigZag(time_delta)));
      c.cost = static_cast<int64_t>(cost);
      c.balance_after = static_cast<int64_t>(balance);
      ST_RETURN_IF_ERROR(fn(c));
    }
  } while (!d.done());
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
