#include "engine/security/crypto.hpp"

#include "base/hex.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>

namespace solo::crypto {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void require(bool ok, const char* what) {
  if (!ok) throw CryptoError(std::string("OpenSSL: ") + what + " failed");
}

// Algorithms fetched once (OpenSSL 3 implicit fetches cost a lookup per call;
// verify hashes on every request). Fetched objects are immutable and shared
// between threads; they live until exit.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  require(md != nullptr, "EVP_MD_fetch(SHA256)");
  return md;
}

const EVP_CIPHER* aes_256_gcm_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  require(cipher != nullptr, "EVP_CIPHER_fetch(AES-256-GCM)");
  return cipher;
}

EVP_KDF* hkdf() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  require(kdf != nullptr, "EVP_KDF_fetch(HKDF)");
  return kdf;
}

std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> gcm_context(std::string_view key, std::string_view nonce,
                                                           bool encrypt) {
  require(key.size() == kAesKeyBytes, "AES-256 key length");
  require(nonce.size() == kGcmNonceBytes, "GCM nonce length");
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  require(ctx != nullptr, "EVP_CIPHER_CTX_new");
  require(EVP_CipherInit_ex(ctx.get(), aes_256_gcm_cipher(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1,
          "EVP_CipherInit_ex");
  require(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1,
          "GCM set IV length");
  require(EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce), -1) == 1,
          "EVP_CipherInit_ex (key)");
  return ctx;
}

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0) require(RAND_bytes(bytes(out), static_cast<int>(n)) == 1, "RAND_bytes");
  return out;
}

std::string sha256(std::string_view data) {
  // One digest context per thread, reset by each init: EVP_Digest makes and
  // frees one per call, most of the cost of hashing a service's code at
  // every deploy.
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  require(ctx != nullptr, "EVP_MD_CTX_new");
  std::string out(32, '\0');
  unsigned int size = 0;
  require(EVP_DigestInit_ex2(ctx.get(), sha256_md(), nullptr) == 1 &&
              EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
              EVP_DigestFinal_ex(ctx.get(), bytes(out), &size) == 1 && size == 32,
          "SHA-256 digest");
  return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (in.size() - i == 1) {
    uint32_t v = at(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string hkdf_sha256(std::string_view key, std::string_view salt, std::string_view info, size_t length) {
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(hkdf()));
  require(ctx != nullptr, "EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(key.data()), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string out(length, '\0');
  require(EVP_KDF_derive(ctx.get(), bytes(out), out.size(), params) == 1, "EVP_KDF_derive(HKDF-SHA256)");
  return out;
}

Sealed aes_256_gcm_encrypt(std::string_view key, std::string_view plaintext, std::string_view aad) {
  Sealed sealed;
  sealed.nonce = random_bytes(kGcmNonceBytes);
  auto ctx = gcm_context(key, sealed.nonce, true);
  int len = 0;
  require(EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1, "GCM AAD");
  sealed.ciphertext.assign(plaintext.size(), '\0');
  if (!plaintext.empty()) {
    require(EVP_EncryptUpdate(ctx.get(), bytes(sealed.ciphertext), &len, bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1,
            "GCM encrypt");
  }
  unsigned char tail[16];
  require(EVP_EncryptFinal_ex(ctx.get(), tail, &len) == 1 && len == 0, "GCM final");
  sealed.tag.assign(kGcmTagBytes, '\0');
  require(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes), bytes(sealed.tag)) ==
              1,
          "GCM get tag");
  return sealed;
}

std::optional<std::string> aes_256_gcm_decrypt(std::string_view key, const Sealed& sealed, std::string_view aad) {
  if (sealed.nonce.size() != kGcmNonceBytes || sealed.tag.size() != kGcmTagBytes) return std::nullopt;
  auto ctx = gcm_context(key, sealed.nonce, false);
  int len = 0;
  require(EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1, "GCM AAD");
  std::string plaintext(sealed.ciphertext.size(), '\0');
  if (!sealed.ciphertext.empty()) {
    require(EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &len, bytes(std::string_view(sealed.ciphertext)),
                              static_cast<int>(sealed.ciphertext.size())) == 1,
            "GCM decrypt");
  }
  std::string tag = sealed.tag;
  require(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), bytes(tag)) == 1,
          "GCM set tag");
  unsigned char tail[16];
  if (EVP_DecryptFinal_ex(ctx.get(), tail, &len) != 1) {
    cleanse(plaintext);
    return std::nullopt;
  }
  return plaintext;
}

void cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace solo::crypto
