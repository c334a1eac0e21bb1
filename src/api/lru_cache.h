// A small thread-safe cache of shared values, least recently used dropped first. For what
// the serving snapshot computes on demand (past editions, sound details): values are
// immutable once made, so readers share them without copying.
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace soundtrend::api {

template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  // The cached value of `key`, or the one `make()` returns (called without the lock held,
  // so that a slow make does not hold up other keys; two callers missing the same key at
  // once both make it, and the first insert is kept). `make` may return null: cached too.
  template <typename Make>
  std::shared_ptr<const Value> GetOrMake(const Key& key, Make&& make) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = map_.find(key);
      if (it != map_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.second);
        return it->second.first;
      }
    }
    std::shared_ptr<const Value> made = make();
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = map_.try_emplace(key);
    if (inserted) {
      lru_.push_front(key);
      it->second = {std::move(made), lru_.begin()};
      if (map_.size() > capacity_) {
        map_.erase(lru_.back());
        lru_.pop_back();
      }
    }
    return it->second.first;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return map_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::list<Key> lru_;  // most recent first
  mutable std::map<Key, std::pair<std::shared_ptr<const Value>, typename std::list<Key>::iterator>>
      map_;
};

}  // namespace soundtrend::api
