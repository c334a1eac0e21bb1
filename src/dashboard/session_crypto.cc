#include "dashboard/session_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>

namespace soundtrend::dashboard {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

std::array<unsigned char, 32> Sha256(std::string_view label, std::string_view data) {
  std::array<unsigned char, 32> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, label.data(), label.size());
  const unsigned char zero = 0;
  EVP_DigestUpdate(ctx, &zero, 1);
  EVP_DigestUpdate(ctx, data.data(), data.size());
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &n);
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string Hex(const std::array<unsigned char, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) |
                       (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string NewSessionToken(RandomSource& random) {
  std::array<uint8_t, kTokenBytes> bytes{};
  random.Fill(bytes);
  return Base64Url(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool IsWellFormedToken(std::string_view token) {
  if (token.size() != (kTokenBytes * 4 + 2) / 3) return false;
  for (char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string SessionIdHash(std::string_view token) {
  return Hex(Sha256("soundtrend-session-id", token));
}

std::string CsrfTokenFor(std::string_view token) {
  const auto digest = Sha256("soundtrend-session-csrf", token);
  return Base64Url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SealSecret(std::string_view token, std::string_view secret, RandomSource& random) {
  const auto key = Sha256("soundtrend-session-key", token);
  const std::string aad = SessionIdHash(token);
  std::string out(kNonceBytes + secret.size() + kTagBytes, '\0');
  random.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), kNonceBytes));
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  auto* cipher = nonce + kNonceBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr);
  EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce);
  EVP_EncryptUpdate(ctx.get(), nullptr, &n, U(aad), static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), cipher, &n, U(secret), static_cast<int>(secret.size()));
  EVP_EncryptFinal_ex(ctx.get(), cipher + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + secret.size());
  return out;
}

Result<std::string> OpenSecret(std::string_view token, std::string_view sealed) {
  if (sealed.size() < kNonceBytes + kTagBytes) return Status::Unauthenticated("sealed too short");
  const auto key = Sha256("soundtrend-session-key", token);
  const std::string aad = SessionIdHash(token);
  const size_t length = sealed.size() - kNonceBytes - kTagBytes;
  std::string secret(length, '\0');
  std::array<unsigned char, kTagBytes> tag{};
  std::copy_n(U(sealed) + kNonceBytes + length, kTagBytes, tag.begin());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr);
  EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), U(sealed));
  EVP_DecryptUpdate(ctx.get(), nullptr, &n, U(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &n,
                    U(sealed) + kNonceBytes, static_cast<int>(length));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()) + n, &n) !=
      1) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return Status::Unauthenticated("session secret does not open under this token");
  }
  return secret;
}

}  // namespace soundtrend::dashboard
