// One NDJSON record through the parser and validator (docs/formats.md), with the padding
// the RecordReader guarantees. A valid record satisfies the documented rules.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ingest/record_parser.h"
#include "ingest/record_reader.h"

using namespace soundtrend::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static NdjsonParser parser(TimeLimits::ForNowMicros(1'800'000'000'000'000));
  std::vector<char> padded(size + kRecordPadding, '\0');
  std::memcpy(padded.data(), data, size);
  ParsedRecord record;
  std::string reason;
  if (parser.Parse(std::string_view(padded.data(), size), &record, &reason)) {
    if (record.kind == RecordKind::kUse && record.use.clip_id == 0) std::abort();
    if (record.kind == RecordKind::kDaily && record.daily.uses < 1) std::abort();
  } else if (reason.empty()) {
    std::abort();  // an invalid record always says why
  }
  return 0;
}
