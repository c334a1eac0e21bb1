// ChunkedArray<T>: a growable array whose snapshots are cheap and immutable.
//
// The array is stored as fixed-size chunks held by shared_ptr. Snapshot() copies only the
// chunk pointers (size / 4096 of them); a later write to a chunk that a snapshot still
// holds copies that chunk first (copy-on-write), so a snapshot never changes.
//
// Thread-safety: the array itself is single-writer (one thread mutates it, no concurrent
// readers of the array object). A Snapshot is immutable and safe to read from any number
// of threads, also while the array keeps changing and while other snapshots are dropped.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace soundtrend::engine {

template <typename T>
class ChunkedArray {
 public:
  static constexpr size_t kChunkBits = 12;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;

  using Chunk = std::vector<T>;  // always kChunkSize elements

  class Snapshot {
   public:
    Snapshot() = default;
    size_t size() const { return size_; }
    const T& operator[](size_t i) const {
      return (*chunks_[i >> kChunkBits])[i & (kChunkSize - 1)];
    }

   private:
    friend class ChunkedArray;
    std::vector<std::shared_ptr<const Chunk>> chunks_;
    size_t size_ = 0;
  };

  ChunkedArray() = default;
  // `size` elements, each `fill` (also the fill of later chunks).
  ChunkedArray(size_t size, T fill) : size_(size), fill_(std::move(fill)) {
    chunks_.reserve((size + kChunkSize - 1) >> kChunkBits);
    for (size_t i = 0; i < size; i += kChunkSize)
      chunks_.push_back(std::make_shared<Chunk>(kChunkSize, fill_));
  }

  size_t size() const { return size_; }
  const T& operator[](size_t i) const { return (*chunks_[i >> kChunkBits])[i & (kChunkSize - 1)]; }

  // Returns a writable reference to element i, copying its chunk if a snapshot shares it.
  T& Mutable(size_t i) {
    std::shared_ptr<Chunk>& chunk = chunks_[i >> kChunkBits];
    if (chunk.use_count() > 1) chunk = std::make_shared<Chunk>(*chunk);
    return (*chunk)[i & (kChunkSize - 1)];
  }
  void Set(size_t i, T value) { Mutable(i) = std::move(value); }

  void PushBack(T value) {
    if ((size_ >> kChunkBits) == chunks_.size()) {
      chunks_.push_back(std::make_shared<Chunk>(kChunkSize, fill_));
    }
    ++size_;
    Set(size_ - 1, std::move(value));
  }

  // Value of the elements of a chunk that are not yet pushed (default T()).
  void set_fill(T fill) { fill_ = std::move(fill); }

  Snapshot TakeSnapshot() const {
    Snapshot s;
    s.chunks_.assign(chunks_.begin(), chunks_.end());
    s.size_ = size_;
    return s;
  }

 private:
  std::vector<std::shared_ptr<Chunk>> chunks_;
  size_t size_ = 0;
  T fill_{};
};

}  // namespace soundtrend::engine
