// Small wrappers over OpenSSL 3 for the security components: random bytes,
// SHA-256 (raw and hex: base/hex.hpp), base64url, HKDF-SHA256 and AES-256-GCM. Byte strings are
// std::string used as byte containers. Every function is thread-safe.
//
// Failures of OpenSSL itself (it cannot gather entropy, a cipher is missing)
// throw CryptoError; a GCM tag mismatch is an expected outcome and is reported
// by aes_256_gcm_decrypt returning std::nullopt.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace solo::crypto {

class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr size_t kAesKeyBytes = 32;
inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// n bytes from the OpenSSL CSPRNG (RAND_bytes).
std::string random_bytes(size_t n);

// Raw 32-byte SHA-256, and its lowercase hex.
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// RFC 4648 base64url without padding.
std::string base64url(std::string_view bytes);

// HKDF-SHA256 (RFC 5869), `length` bytes of output.
std::string hkdf_sha256(std::string_view key, std::string_view salt, std::string_view info, size_t length);

struct Sealed {
  std::string nonce;       // kGcmNonceBytes
  std::string ciphertext;  // plaintext.size() bytes
  std::string tag;         // kGcmTagBytes
};

// AES-256-GCM with a fresh random 96-bit nonce.
Sealed aes_256_gcm_encrypt(std::string_view key, std::string_view plaintext, std::string_view aad);
// nullopt when authentication fails (tampered data, wrong key or wrong AAD).
std::optional<std::string> aes_256_gcm_decrypt(std::string_view key, const Sealed& sealed, std::string_view aad);

// Overwrites the bytes (OPENSSL_cleanse), for keys and plaintexts.
void cleanse(std::string& bytes);

}  // namespace solo::crypto
