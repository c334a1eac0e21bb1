#include "ledger/charge_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace soundtrend::ledger {
namespace {

constexpr size_t kHeaderBytes = 4 + 4 + 8;

Status Errno(std::string what) {
  return Status::IoError(std::move(what) + ": " + std::strerror(errno));
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// CRC-32 of the id (8 bytes LE) followed by the payload.
uint32_t RecordCrc(const char* id_bytes, std::string_view payload) {
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(id_bytes), 8);
  crc =
      crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

// Walks well-formed records from the start of `data`; returns the length of the valid
// prefix and calls `fn` for each record in it. A record is well formed when it is whole,
// its CRC matches and its id is one more than the previous record's (a repeated or
// out-of-order id, e.g. a block of the file written twice, is damage like a bad CRC).
size_t ValidPrefix(std::string_view data,
                   const std::function<void(uint64_t, std::string_view)>& fn) {
  size_t pos = 0;
  uint64_t previous_id = 0;
  while (data.size() - pos >= kHeaderBytes) {
    const char* h = data.data() + pos;
    const uint64_t length = GetLE(h, 4);
    if (data.size() - pos - kHeaderBytes < length) break;
    const std::string_view payload(h + kHeaderBytes, length);
    if (RecordCrc(h + 8, payload) != static_cast<uint32_t>(GetLE(h + 4, 4))) break;
    const uint64_t id = GetLE(h + 8, 8);
    if (pos > 0 && id != previous_id + 1) break;
    previous_id = id;
    fn(id, payload);
    pos += kHeaderBytes + length;
  }
  return pos;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<ChargeJournal>> ChargeJournal::Open(const std::string& path, Options options,
                                                           uint64_t first_id) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open " + path);
  std::unique_ptr<ChargeJournal> journal(new ChargeJournal(fd, options));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::FailedPrecondition("charge journal " + path + " is held by another process");
    }
    return Errno("flock " + path);
  }
  std::string data;
  char buf[1 << 16];
  for (off_t offset = 0;;) {
    const ssize_t r = ::pread(fd, buf, sizeof buf, offset);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read " + path);
    }
    if (r == 0) break;
    data.append(buf, static_cast<size_t>(r));
    offset += r;
  }
  uint64_t last_id = 0;
  const size_t valid = ValidPrefix(data, [&](uint64_t id, std::string_view payload) {
    last_id = id;
    journal->starts_.push_back(static_cast<size_t>(payload.data() - data.data()) - kHeaderBytes);
  });
  if (valid < data.size()) {
    // A torn (or damaged) tail: an Append that never returned. Cut it off so that new
    // records follow the last good one.
    if (::ftruncate(fd, static_cast<off_t>(valid)) != 0) return Errno("truncate " + path);
    journal->bytes_cut_ = data.size() - valid;
    data.resize(valid);
  }
  journal->records_ = std::move(data);
  journal->next_id_ = std::max(first_id, last_id + 1);
  return journal;
}

ChargeJournal::~ChargeJournal() { ::close(fd_); }  // releases the flock

Result<uint64_t> ChargeJournal::Append(std::string_view payload) {
  const size_t start = records_.size();
  const uint64_t id = next_id_;
  PutU32(records_, static_cast<uint32_t>(payload.size()));
  PutU32(records_, 0);  // CRC, below
  PutU64(records_, id);
  records_.append(payload);
  const uint32_t crc = RecordCrc(records_.data() + start + 8, payload);
  for (int i = 0; i < 4; ++i) records_[start + 4 + i] = static_cast<char>(crc >> (8 * i));
  const bool written = WriteAll(fd_, records_.data() + start, records_.size() - start);
  if (!written || (options_.sync && ::fdatasync(fd_) != 0)) {
    Status st = Errno("append to the charge journal");
    records_.resize(start);
    // Drop whatever part of the record reached the file (the next Open would cut it too).
    if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
      return Status::IoError(st.message() + "; and cannot cut the partial record off");
    }
    return st;
  }
  starts_.push_back(start);
  ++next_id_;
  return id;
}

Status ChargeJournal::ForEach(
    const std::function<Status(uint64_t id, std::string_view payload)>& fn) const {
  for (size_t start : starts_) {
    const char* h = records_.data() + start;
    ST_RETURN_IF_ERROR(fn(GetLE(h + 8, 8), std::string_view(h + kHeaderBytes, GetLE(h, 4))));
  }
  return Status::Ok();
}

Status ChargeJournal::Clear() {
  if (records_.empty()) return Status::Ok();
  if (::ftruncate(fd_, 0) != 0) return Errno("truncate the charge journal");
  if (options_.sync && ::fdatasync(fd_) != 0) return Errno("sync the charge journal");
  records_.clear();
  starts_.clear();
  return Status::Ok();
}

}  // namespace soundtrend::ledger
