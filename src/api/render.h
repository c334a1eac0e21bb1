// JSON rendering of chart entries (docs/api.md §3). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/chart_set.h"

namespace soundtrend::api {

// A title as a URL slug: every run of characters other than ASCII letters, ASCII digits
// and non-ASCII (UTF-8) characters becomes one '-', with none at either end
// ("New Sun" -> "New-Sun", "Don't Stop (Remix)" -> "Don-t-Stop-Remix"). A title with no
// letter or digit at all gives "sound".
std::string UrlSlug(std::string_view title);

// "https://www.tiktok.com/music/x-<clip_id>".
std::string SoundLink(uint64_t clip_id);

// Appends one `sound_list` item: every docs/api.md §3 field with its JSON type, in the reference
// example's (alphabetical) order, ids as digit strings, `related_items` null when empty,
// `on_list_times` null when unknown, trend values with at most two decimals; `growth`
// (after `duration`) on surging entries, `rank` null when 0 (a detail's unranked sound).
void AppendSoundJson(std::string& out, const engine::ChartEntry& entry,
                     std::string_view country_code, bool is_search);

}  // namespace soundtrend::api
