// CSV: the first line is the header (it decides the record kind), every further line a
// record, as the ingester feeds them (RecordReader splits with RFC 4180 quotes).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ingest/byte_source.h"
#include "ingest/record_parser.h"
#include "ingest/record_reader.h"

using namespace soundtrend::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const TimeLimits limits = TimeLimits::ForNowMicros(1'800'000'000'000'000);
  auto source = ByteSource::FromMemory(std::string_view(reinterpret_cast<const char*>(data), size));
  RecordReader reader(*source, {.csv_quotes = true, .block_bytes = 4096, .max_record_bytes = 1024});
  std::string_view text;
  int64_t line = 0;
  bool too_long = false;
  auto first = reader.Next(&text, &line, &too_long);
  if (!first.ok() || !*first || too_long) return 0;
  auto parser = CsvParser::FromHeader(text, limits);
  if (!parser.ok()) return 0;
  ParsedRecord record;
  std::string reason;
  for (;;) {
    auto next = reader.Next(&text, &line, &too_long);
    if (!next.ok() || !*next) break;
    if (too_long) continue;
    if (!parser->Parse(text, &record, &reason) && reason.empty()) std::abort();
  }
  return 0;
}
