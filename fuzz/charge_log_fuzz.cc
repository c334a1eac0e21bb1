// The charge log's decoders, over bytes as a crash or a damaged disk may leave them. One
// harness per format, chosen at build time (CHARGE_LOG_FORMAT):
//   1 lane:    a lane segment file (ChargeLane::ReadSegmentFile) and each record's payload
//              (ChargeLane::Decode);
//   2 journal: a charge journal file (ChargeJournal::Open cuts a torn tail; ForEach) and
//              each record as a charge block, as the key store reads it back;
//   3 block:   a charge block (DecodeChargeBlock, ForEachPackedCharge, ChargeBlockCount).
// Decoding never reads out of bounds and never loops; a record it accepts decodes again
// to the same thing.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "ledger/charge_journal.h"
#include "ledger/charge_lane.h"
#include "store/charge_block.h"

using namespace soundtrend;
using namespace soundtrend::ledger;
using namespace soundtrend::store;

namespace {

[[maybe_unused]] std::string& TempPath() {
  static std::string path = [] {
    char dir[] = "/tmp/soundtrend_log_fuzz_XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    return std::string(dir) + "/log";
  }();
  return path;
}

[[maybe_unused]] void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

[[maybe_unused]] void CheckBlock(std::string_view block) {
  int64_t decoded = 0;
  const Status all = ForEachPackedCharge(block, [&](const PackedCharge& c) {
    if (c.cost <= 0) std::abort();  // the format's rule: a decoder that accepts 0 is wrong
    ++decoded;
    return Status::Ok();
  });
  int64_t entries = 0;
  const Status ledger = DecodeChargeBlock(block, 1, "", [&](const LedgerEntry& e) {
    if (e.seq != entries + 1) std::abort();
    ++entries;
    return Status::Ok();
  });
  if (all.ok() != ledger.ok()) std::abort();
  if (all.ok() && decoded != entries) std::abort();
  (void)ChargeBlockCount(block);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#if CHARGE_LOG_FORMAT == 1
  LaneCharge charge;
  (void)ChargeLane::Decode(std::string_view(reinterpret_cast<const char*>(data), size), &charge);
  WriteFile(TempPath(), data, size);
  LanePosition last = 0;
  (void)ChargeLane::ReadSegmentFile(
      TempPath(), 7, MakeLanePosition(7, 0), [&](LanePosition end, std::string_view payload) {
        if (end <= last || LaneSegment(end) != 7 || LaneOffset(end) > size) std::abort();
        last = end;
        LaneCharge c;
        (void)ChargeLane::Decode(payload, &c);
        return Status::Ok();
      });
#elif CHARGE_LOG_FORMAT == 2
  WriteFile(TempPath(), data, size);
  auto journal = ChargeJournal::Open(TempPath(), {}, 1);
  if (journal.ok()) {
    uint64_t previous = 0;
    (void)(*journal)->ForEach([&](uint64_t id, std::string_view payload) {
      if (previous != 0 && id != previous + 1) std::abort();
      previous = id;
      CheckBlock(payload);
      return Status::Ok();
    });
  }
#elif CHARGE_LOG_FORMAT == 3
  CheckBlock(std::string_view(reinterpret_cast<const char*>(data), size));
#else
#error "CHARGE_LOG_FORMAT must be 1, 2 or 3"
#endif
  return 0;
}
