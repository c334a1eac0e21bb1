// store/change_feed.h on PostgreSQL: LISTEN on a channel (a connection of its own, opened at
// the first wait and again after a loss) and a session advisory lock.
//
// Channels (the writers' NOTIFY is in the same transaction as the change, so it is
// delivered at its commit, and only then):
// - kKeyChangeChannel: a key created, updated, rotated or revoked, a grant applied
//   (PgKeyStore); the gateway's reload thread listens (gateway/billing_gateway.h).
// - kChartChangeChannel: a chart batch stored (PgChartStore::ApplyBatch); the serve
//   publication thread listens (app/serve_publish.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/change_feed.h"

namespace soundtrend::store::postgres {

inline constexpr std::string_view kKeyChangeChannel = "soundtrend_keys";
inline constexpr std::string_view kChartChangeChannel = "soundtrend_charts";
// The publisher's session advisory lock (pg_try_advisory_lock), distinct from the
// migrations' and the batch writers' keys.
inline constexpr int64_t kPublisherLockKey = 0x736f756e64707562;  // "soundpub"

// Connects lazily: opening never fails for an unreachable server (WaitForChange says so).
std::unique_ptr<ChangeFeed> OpenPgChangeFeed(const std::string& url, std::string_view channel);
std::unique_ptr<PublisherLock> OpenPgPublisherLock(const std::string& url);

}  // namespace soundtrend::store::postgres
