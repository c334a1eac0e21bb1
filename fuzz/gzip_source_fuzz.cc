// The gzip byte source (plain or gzip, concatenated members, truncation, corruption) and
// the record splitter on top of it, with small buffers so that every boundary is crossed.
// Whatever the bytes, reading ends (no loop), memory stays bounded, and the content hash
// equals the hash of the bytes read.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ingest/byte_source.h"
#include "ingest/record_reader.h"

using namespace soundtrend::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    auto source = ByteSource::FromMemory(input);
    std::string content;
    char buf[7];
    for (int guard = 0;; ++guard) {
      if (guard > (64 << 20)) std::abort();  // no progress: a loop
      auto n = source->Read(buf, sizeof buf);
      if (!n.ok() || *n == 0) {
        if (n.ok() && source->Sha256Hex() != Sha256Hex(content)) std::abort();
        break;
      }
      content.append(buf, *n);
      if (content.size() > (16u << 20)) break;  // a bomb: enough
    }
  }
  auto source = ByteSource::FromMemory(input);
  RecordReader reader(
      *source,
      {.csv_quotes = size > 0 && data[0] == 'c', .block_bytes = 16, .max_record_bytes = 64});
  std::string_view text;
  int64_t line = 0, last_line = 0;
  bool too_long = false;
  for (int i = 0; i < 1 << 20; ++i) {
    auto next = reader.Next(&text, &line, &too_long);
    if (!next.ok() || !*next) break;
    if (line <= last_line) std::abort();  // line numbers increase
    if (!too_long && text.size() > 64) std::abort();
    last_line = line;
  }
  return 0;
}
