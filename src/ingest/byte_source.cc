#include "ingest/byte_source.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace soundtrend::ingest {
namespace {

constexpr size_t kRawBufferBytes = 1 << 20;

std::string Hex(const unsigned char* p, unsigned n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

}  // namespace

struct ByteSource::Sha {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Sha() { EVP_MD_CTX_free(ctx); }
};

ByteSource::ByteSource() : sha_(std::make_unique<Sha>()), content_sha_(std::make_unique<Sha>()) {}

ByteSource::~ByteSource() {
  if (file_) std::fclose(file_);
  if (inflating_ || gzip_) inflateEnd(&zs_);
}

Result<std::unique_ptr<ByteSource>> ByteSource::OpenFile(const std::string& path) {
  std::unique_ptr<ByteSource> src(new ByteSource());
  src->name_ = path;
  src->file_ = std::fopen(path.c_str(), "rb");
  if (!src->file_) {
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  if (std::fseek(src->file_, 0, SEEK_END) == 0) {
    long size = std::ftell(src->file_);
    if (size >= 0) src->raw_size_ = size;
    std::fseek(src->file_, 0, SEEK_SET);
  }
  src->raw_buf_.resize(kRawBufferBytes);
  ST_RETURN_IF_ERROR(src->Start());
  return src;
}

std::unique_ptr<ByteSource> ByteSource::FromMemory(std::string_view data) {
  std::unique_ptr<ByteSource> src(new ByteSource());
  src->name_ = "request body";
  src->from_memory_ = true;
  src->memory_ = data;
  src->raw_size_ = static_cast<int64_t>(data.size());
  Status st = src->Start();  // cannot fail for memory
  (void)st;
  return src;
}

Status ByteSource::FillRaw() {
  if (raw_eof_) return Status::Ok();
  if (from_memory_) {
    // The whole buffer is one raw block; it is hashed once.
    raw_pos_ = 0;
    raw_end_ = memory_.size();
    raw_read_ = static_cast<int64_t>(memory_.size());
    EVP_DigestUpdate(sha_->ctx, memory_.data(), memory_.size());
    raw_eof_ = true;
    return Status::Ok();
  }
  size_t n = std::fread(raw_buf_.data(), 1, raw_buf_.size(), file_);
  if (n < raw_buf_.size()) {
    if (std::ferror(file_)) return Status::IoError("read " + name_ + ": " + std::strerror(errno));
    raw_eof_ = true;
  }
  raw_pos_ = 0;
  raw_end_ = n;
  raw_read_ += static_cast<int64_t>(n);
  EVP_DigestUpdate(sha_->ctx, raw_buf_.data(), n);
  return Status::Ok();
}

Status ByteSource::Start() {
  ST_RETURN_IF_ERROR(FillRaw());
  const char* raw = from_memory_ ? memory_.data() : raw_buf_.data();
  gzip_ = raw_end_ >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f &&
          static_cast<unsigned char>(raw[1]) == 0x8b;
  if (gzip_) {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) return Status::Internal("inflateInit2 failed");
    inflating_ = true;
  }
  return Status::Ok();
}

Result<size_t> ByteSource::Read(char* out, size_t capacity) {
  const char* raw = from_memory_ ? memory_.data() : raw_buf_.data();
  if (!gzip_) {
    if (raw_pos_ == raw_end_) {
      ST_RETURN_IF_ERROR(FillRaw());
      if (raw_pos_ == raw_end_) return size_t{0};
    }
    size_t n = std::min(capacity, raw_end_ - raw_pos_);
    std::memcpy(out, raw + raw_pos_, n);
    raw_pos_ += n;
    return n;
  }
  size_t produced = 0;
  while (produced < capacity) {
    if (raw_pos_ == raw_end_) {
      if (raw_eof_) break;
      ST_RETURN_IF_ERROR(FillRaw());
      raw = from_memory_ ? memory_.data() : raw_buf_.data();
      continue;
    }
    if (!inflating_) {
      // Another gzip member follows the one that ended.
      inflateReset(&zs_);
      inflating_ = true;
      member_done_ = false;
    }
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw + raw_pos_));
    zs_.avail_in = static_cast<uInt>(std::min<size_t>(raw_end_ - raw_pos_, 1u << 30));
    zs_.next_out = reinterpret_cast<Bytef*>(out + produced);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(capacity - produced, 1u << 30));
    const uInt in_before = zs_.avail_in, out_before = zs_.avail_out;
    int rc = inflate(&zs_, Z_NO_FLUSH);
    raw_pos_ += in_before - zs_.avail_in;
    EVP_DigestUpdate(content_sha_->ctx, out + produced, out_before - zs_.avail_out);
    produced += out_before - zs_.avail_out;
    if (rc == Z_STREAM_END) {
      inflating_ = false;
      member_done_ = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Status::InvalidArgument(name_ + ": corrupt gzip data (" +
                                     (zs_.msg ? zs_.msg : "inflate error") + ")");
    } else if (in_before == zs_.avail_in && out_before == zs_.avail_out) {
      // Input and room both remain, yet inflate moved nothing: returning 0 here would read
      // as the end of the input and drop the rest silently.
      if (produced == 0) {
        return Status::InvalidArgument(name_ + ": corrupt gzip data (inflate made no progress)");
      }
      break;  // hand out what there is; the next call reports it
    }
  }
  if (produced == 0 && raw_eof_ && raw_pos_ == raw_end_ && !member_done_) {
    return Status::InvalidArgument(name_ + ": truncated gzip data");
  }
  return produced;
}

std::string ByteSource::Sha256Hex() const {
  return gzip_ ? DigestHex(*content_sha_) : DigestHex(*sha_);
}

std::string ByteSource::RawSha256Hex() const { return DigestHex(*sha_); }

std::string ByteSource::DigestHex(const Sha& sha) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, sha.ctx);
  EVP_DigestFinal_ex(copy, digest, &len);
  EVP_MD_CTX_free(copy);
  return Hex(digest, len);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return Hex(digest, len);
}

}  // namespace soundtrend::ingest
