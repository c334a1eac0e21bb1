// A file whose bytes are compiled into the binary (st_embed_files in cmake/soundtrend.cmake).
#pragma once

#include <string_view>

namespace soundtrend {

struct EmbeddedFile {
  std::string_view name;  // path relative to the embedded directory, '/'-separated
  std::string_view data;  // the file's bytes, exactly
};

}  // namespace soundtrend
